"""The NoC (number of clicks) protocol of interactive segmentation research, model-agnostic.

A simulated user clicks until the predicted mask reaches an IoU threshold (or `max_clicks`):
every next click goes to the interior point farthest from the boundary of the largest error
region, positive when that region is missed foreground, negative when it is false foreground.
Two ways to pick "the largest" region are offered:

* ``area`` (default): the connected error component with the most pixels, then its interior
  point farthest from the component's boundary (the rule as the issue words it);
* ``distance``: the RITM/f-BRS reference rule: the error pixel farthest from any error boundary
  over the whole false-negative and false-positive maps (the region with the widest interior).

Distances treat the image border as boundary (the error maps are padded), as the reference code
does.  IoU ignores pixels marked ignore (the 128 band of GrabCut-style `boundary_GT` masks).

The model is any callable ``predict(clicks, prev_mask) -> bool mask``; this module imports no
model code (segstudio.eval must stay torch-free); the CLI wires a model in.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from segstudio.core.tasks import CancelToken, ProgressFn, report

# (x, y, positive) in image pixel coordinates (pixel centres at integer + 0.5 are not used: the
# click is the integer pixel index, as in the reference protocol)
SimClick = tuple[int, int, bool]
PredictFn = Callable[[list[SimClick], "np.ndarray | None"], np.ndarray]

LAYOUTS = (("img", "gt"), ("images", "masks"), ("data_GT", "boundary_GT"))
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def iou(pred: np.ndarray, gt: np.ndarray, ignore: np.ndarray | None = None) -> float:
    if ignore is not None:
        valid = ~ignore
        pred, gt = pred & valid, gt & valid
    union = np.count_nonzero(pred | gt)
    if union == 0:
        return 1.0
    return np.count_nonzero(pred & gt) / union


def _interior_peak(region: np.ndarray) -> tuple[int, int, float]:
    """(x, y, distance) of the region pixel farthest from its boundary (image border counts)."""
    padded = np.pad(region.astype(np.uint8), 1)
    dist = cv2.distanceTransform(padded, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]
    idx = int(np.argmax(dist))
    y, x = divmod(idx, region.shape[1])
    return x, y, float(dist[y, x])


def next_click(
    pred: np.ndarray, gt: np.ndarray, ignore: np.ndarray | None = None, rule: str = "area"
) -> SimClick | None:
    """The simulated user's next click, or None when there is no error left."""
    fn = gt & ~pred
    fp = pred & ~gt
    if ignore is not None:
        fn &= ~ignore
        fp &= ~ignore
    if rule == "distance":
        best: tuple[float, SimClick] | None = None
        for err, positive in ((fn, True), (fp, False)):
            if err.any():
                x, y, d = _interior_peak(err)
                if best is None or d > best[0]:
                    best = (d, (x, y, positive))
        return None if best is None else best[1]
    if rule != "area":
        raise ValueError(f"unknown click rule {rule!r} (area or distance)")
    best_area, best_region, best_pos = 0, None, True
    for err, positive in ((fn, True), (fp, False)):
        if not err.any():
            continue
        n, labels, stats, _ = cv2.connectedComponentsWithStats(err.astype(np.uint8), connectivity=8)
        k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        area = int(stats[k, cv2.CC_STAT_AREA])
        if area > best_area:
            x0, y0 = stats[k, cv2.CC_STAT_LEFT], stats[k, cv2.CC_STAT_TOP]
            w, h = stats[k, cv2.CC_STAT_WIDTH], stats[k, cv2.CC_STAT_HEIGHT]
            best_area = area
            best_region = (labels[y0 : y0 + h, x0 : x0 + w] == k, x0, y0, w, h)
            best_pos = positive
    if best_region is None:
        return None
    region, x0, y0, _w, _h = best_region
    # The crop is the component's bounding box: everything beyond it is outside the component,
    # so padding the crop with zeros gives the same distances as the whole image would.
    x, y, _ = _interior_peak(region)
    return x0 + x, y0 + y, best_pos


@dataclass
class ImageRun:
    name: str
    ious: list[float]  # IoU after click 1, 2, ...
    clicks: list[SimClick] = field(default_factory=list)
    seconds: float = 0.0

    def noc(self, threshold: float, max_clicks: int) -> int:
        for k, v in enumerate(self.ious, 1):
            if v >= threshold:
                return k
        return max_clicks

    def iou_at(self, k: int) -> float:
        if not self.ious:
            return 0.0
        return self.ious[min(k, len(self.ious)) - 1]


def run_image(
    predict: PredictFn,
    gt: np.ndarray,
    ignore: np.ndarray | None = None,
    max_clicks: int = 20,
    stop_at: float = 1.01,
    min_clicks: int = 5,
    rule: str = "area",
    name: str = "",
    cancel: CancelToken | None = None,
) -> ImageRun:
    """Simulate up to `max_clicks` clicks on one image.  Once `min_clicks` are done and the IoU
    reaches `stop_at` the user stops (pass the highest NoC threshold to save time; IoU@k after
    the stop repeats the last value, which is what the user ends up with)."""
    import time

    t0 = time.perf_counter()
    clicks: list[SimClick] = []
    pred = np.zeros(gt.shape, bool)
    prev: np.ndarray | None = None
    ious: list[float] = []
    for _ in range(max_clicks):
        if cancel is not None:
            cancel.check()
        c = next_click(pred, gt, ignore, rule)
        if c is None:
            ious.append(ious[-1] if ious else 1.0)
            break
        clicks.append(c)
        pred = np.asarray(predict(list(clicks), prev), bool)
        if pred.shape != gt.shape:
            raise ValueError(f"{name}: model returned mask {pred.shape} for image {gt.shape}")
        prev = pred
        ious.append(iou(pred, gt, ignore))
        if ious[-1] >= stop_at and len(ious) >= min_clicks:
            break
    while len(ious) < max_clicks:  # done early: the mask stays as it is
        ious.append(ious[-1])
    return ImageRun(name, ious, clicks, time.perf_counter() - t0)


@dataclass
class Summary:
    n: int
    noc85: float
    noc90: float
    miou: dict[int, float]
    failures90: int  # images that never reached 0.90

    def lines(self) -> list[str]:
        parts = [f"images {self.n}", f"NoC@85 {self.noc85:.2f}", f"NoC@90 {self.noc90:.2f}"]
        parts += [f"mIoU@{k} {v:.3f}" for k, v in sorted(self.miou.items())]
        parts.append(f"NoC@90 failures {self.failures90}")
        return parts


def summarize(runs: Sequence[ImageRun], max_clicks: int) -> Summary:
    if not runs:
        return Summary(0, float("nan"), float("nan"), {}, 0)
    noc85 = float(np.mean([r.noc(0.85, max_clicks) for r in runs]))
    noc90 = float(np.mean([r.noc(0.90, max_clicks) for r in runs]))
    miou = {k: float(np.mean([r.iou_at(k) for r in runs])) for k in (1, 3, 5)}
    fails = sum(1 for r in runs if max(r.ious) < 0.90)
    return Summary(len(runs), noc85, noc90, miou, fails)


def write_csv(path: Path, runs: Sequence[ImageRun], max_clicks: int) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["image", "noc85", "noc90", "iou1", "iou3", "iou5", f"iou{max_clicks}", "seconds"])
        for r in runs:
            w.writerow(
                [r.name, r.noc(0.85, max_clicks), r.noc(0.90, max_clicks)]
                + [f"{r.iou_at(k):.4f}" for k in (1, 3, 5, max_clicks)]
                + [f"{r.seconds:.3f}"]
            )


# ----------------------------------------------------------------------------- datasets
@dataclass(frozen=True)
class Sample:
    name: str
    image: Path
    mask: Path
    ignore_128: bool


def find_samples(folder: Path) -> list[Sample]:
    """Pairs of image and mask in one of the layouts img/+gt/, images/+masks/,
    data_GT/+boundary_GT/; masks are matched by file stem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: dataset folder not found")
    for img_dir, gt_dir in LAYOUTS:
        if (folder / img_dir).is_dir() and (folder / gt_dir).is_dir():
            break
    else:
        raise ValueError(
            f"{folder}: no known layout (expected {', '.join(a + '/+' + b + '/' for a, b in LAYOUTS)})"
        )
    masks = {p.stem: p for p in sorted((folder / gt_dir).iterdir()) if p.suffix.lower() in IMAGE_EXTS}
    out = []
    for p in sorted((folder / img_dir).iterdir()):
        if p.suffix.lower() in IMAGE_EXTS and p.stem in masks:
            out.append(Sample(p.stem, p, masks[p.stem], gt_dir == "boundary_GT"))
    if not out:
        raise ValueError(f"{folder}: no image in {img_dir}/ has a mask with the same name in {gt_dir}/")
    return out


def load_mask(sample: Sample) -> tuple[np.ndarray, np.ndarray | None]:
    """(foreground, ignore) boolean maps; colour masks are binarised with any channel > 0."""
    m = cv2.imread(str(sample.mask), cv2.IMREAD_UNCHANGED)
    if m is None:
        raise ValueError(f"{sample.mask}: cannot read mask")
    if m.ndim == 3:
        m = m[..., :3].max(axis=2)
    if sample.ignore_128:
        return m > 128, m == 128
    return m > 0, None


def evaluate(
    samples: Sequence[Sample],
    make_predict: Callable[[np.ndarray], PredictFn],
    load_rgb: Callable[[Path], np.ndarray],
    max_clicks: int = 20,
    rule: str = "area",
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
) -> list[ImageRun]:
    """Run the protocol over a dataset.  `make_predict(rgb)` prepares the model for one image
    (its set_image) and returns the click -> mask function."""
    runs = []
    for i, s in enumerate(samples):
        report(progress, i, len(samples), s.name)
        gt, ignore = load_mask(s)
        rgb = load_rgb(s.image)
        if rgb.shape[:2] != gt.shape:
            raise ValueError(f"{s.mask}: mask size {gt.shape} differs from image {rgb.shape[:2]}")
        predict = make_predict(rgb)
        runs.append(
            run_image(predict, gt, ignore, max_clicks, 0.90, 5, rule, s.name, cancel)
        )
    report(progress, len(samples), len(samples), "done")
    return runs
