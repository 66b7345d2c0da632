"""The NoC (number of clicks) protocol of interactive segmentation research, model-agnostic.

A simulated user clicks until the predicted mask reaches an IoU threshold (or `max_clicks`):
every next click goes to the interior point farthest from the boundary of the largest error
region, positive when that region is missed foreground, negative when it is false foreground.
Two ways to pick "the largest" region are offered:

* ``distance`` (default): the RITM/f-BRS reference rule: the error pixel farthest from any
  error boundary over the whole false-negative and false-positive maps (the region with the
  widest interior);
* ``area``: the connected error component with the most pixels, then its interior point
  farthest from the component's boundary (the figures of SegStudio before 2026-12 used it).

Distances treat the image border as boundary (the error maps are padded), as the reference code
does.  IoU ignores pixels marked ignore: the value 128 of a single-channel mask (the band of
GrabCut-style `boundary_GT` masks), in every layout.

The model is any callable ``predict(clicks, prev_mask) -> bool mask``; this module imports no
model code (segstudio.eval must stay torch-free); the CLI wires a model in.
"""

from __future__ import annotations

import csv
import time
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
    pred: np.ndarray, gt: np.ndarray, ignore: np.ndarray | None = None, rule: str = "distance"
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
    ious: list[float]  # IoU after click 1, 2, ... (padded to max_clicks with the last value)
    clicks: list[SimClick] = field(default_factory=list)
    seconds: float = 0.0  # all clicks (the model's answers), without the image's setup
    click_seconds: list[float] = field(default_factory=list)  # one per click actually made
    setup_seconds: float = 0.0  # the model's per-image preparation (set_image, embeddings)

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
    rule: str = "distance",
    name: str = "",
    cancel: CancelToken | None = None,
) -> ImageRun:
    """Simulate up to `max_clicks` clicks on one image.  Once `min_clicks` are done and the IoU
    reaches `stop_at` the user stops (pass the highest NoC threshold to save time; IoU@k after
    the stop repeats the last value, which is what the user ends up with)."""
    clicks: list[SimClick] = []
    pred = np.zeros(gt.shape, bool)
    prev: np.ndarray | None = None
    ious: list[float] = []
    times: list[float] = []
    for _ in range(max_clicks):
        if cancel is not None:
            cancel.check()
        c = next_click(pred, gt, ignore, rule)
        if c is None:
            ious.append(ious[-1] if ious else 1.0)
            break
        clicks.append(c)
        t0 = time.perf_counter()
        pred = np.asarray(predict(list(clicks), prev), bool)
        times.append(time.perf_counter() - t0)
        if pred.shape != gt.shape:
            raise ValueError(f"{name}: model returned mask {pred.shape} for image {gt.shape}")
        prev = pred
        ious.append(iou(pred, gt, ignore))
        if ious[-1] >= stop_at and len(ious) >= min_clicks:
            break
    while len(ious) < max_clicks:  # done early: the mask stays as it is
        ious.append(ious[-1])
    return ImageRun(name, ious, clicks, float(sum(times)), times)


MIOU_AT = (1, 3, 5, 10)


@dataclass
class Summary:
    n: int
    noc85: float
    noc90: float
    miou: dict[int, float]
    failures90: int  # images that never reached 0.90
    seconds_per_click: float = float("nan")
    setup_seconds: float = float("nan")  # mean per image

    def lines(self) -> list[str]:
        parts = [f"images {self.n}", f"NoC@85 {self.noc85:.2f}", f"NoC@90 {self.noc90:.2f}"]
        parts += [f"mIoU@{k} {v:.3f}" for k, v in sorted(self.miou.items())]
        parts.append(f"NoC@90 failures {self.failures90}")
        if self.seconds_per_click == self.seconds_per_click:
            parts.append(f"{1000 * self.seconds_per_click:.0f} ms/click")
        if self.setup_seconds == self.setup_seconds:
            parts.append(f"setup {1000 * self.setup_seconds:.0f} ms/image")
        return parts


def summarize(runs: Sequence[ImageRun], max_clicks: int) -> Summary:
    if not runs:
        return Summary(0, float("nan"), float("nan"), {}, 0)
    noc85 = float(np.mean([r.noc(0.85, max_clicks) for r in runs]))
    noc90 = float(np.mean([r.noc(0.90, max_clicks) for r in runs]))
    miou = {k: float(np.mean([r.iou_at(k) for r in runs])) for k in MIOU_AT if k <= max_clicks}
    fails = sum(1 for r in runs if max(r.ious) < 0.90)
    n_clicks = sum(len(r.click_seconds) for r in runs)
    per_click = sum(r.seconds for r in runs) / n_clicks if n_clicks else float("nan")
    setup = float(np.mean([r.setup_seconds for r in runs]))
    return Summary(len(runs), noc85, noc90, miou, fails, per_click, setup)


def csv_header(max_clicks: int) -> list[str]:
    return (["image", "noc85", "noc90", "clicks", "setup_s"]
            + [f"iou{k}" for k in range(1, max_clicks + 1)]
            + [f"s{k}" for k in range(1, max_clicks + 1)])


def write_csv(path: Path, runs: Sequence[ImageRun], max_clicks: int) -> None:
    """One row per image: NoC, clicks made, the model's setup time, IoU after every click
    (repeating the last value once the user stopped) and seconds per click (empty when the
    click was not made)."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(csv_header(max_clicks))
        for r in runs:
            times = [f"{t:.4f}" for t in r.click_seconds[:max_clicks]]
            w.writerow(
                [r.name, r.noc(0.85, max_clicks), r.noc(0.90, max_clicks), len(r.click_seconds),
                 f"{r.setup_seconds:.4f}"]
                + [f"{r.iou_at(k):.4f}" for k in range(1, max_clicks + 1)]
                + times + [""] * (max_clicks - len(times))
            )


# ----------------------------------------------------------------------------- datasets
@dataclass(frozen=True)
class Sample:
    name: str
    image: Path
    mask: Path
    ignore_128: bool


@dataclass
class Scan:
    samples: list[Sample]
    images_without_mask: list[str]  # file names
    masks_without_image: list[str]

    def warnings(self, limit: int = 10) -> list[str]:
        out = []
        for what, names in (("images without a mask", self.images_without_mask),
                            ("masks without an image", self.masks_without_image)):
            if names:
                shown = ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")
                out.append(f"{len(names)} {what} (skipped): {shown}")
        return out


def scan(folder: Path) -> Scan:
    """Pairs of image and mask in one of the layouts img/+gt/, images/+masks/,
    data_GT/+boundary_GT/ (matched by file stem), and the files that have no partner."""
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
    images = [p for p in sorted((folder / img_dir).iterdir()) if p.suffix.lower() in IMAGE_EXTS]
    out = [Sample(p.stem, p, masks[p.stem], gt_dir == "boundary_GT") for p in images if p.stem in masks]
    if not out:
        raise ValueError(f"{folder}: no image in {img_dir}/ has a mask with the same name in {gt_dir}/")
    stems = {p.stem for p in images}
    return Scan(
        out,
        [p.name for p in images if p.stem not in masks],
        [p.name for stem, p in masks.items() if stem not in stems],
    )


def find_samples(folder: Path) -> list[Sample]:
    """The image/mask pairs of a dataset folder (see `scan`)."""
    return scan(folder).samples


def select(samples: Sequence[Sample], limit: int = 0, every: int = 1) -> list[Sample]:
    """Every `every`-th sample (from the first), then the first `limit` of those (0 = all):
    `every=3` is the documented davis345 subset (115 of 345)."""
    if every < 1 or limit < 0:
        raise ValueError("--every must be at least 1 and --limit at least 0")
    out = list(samples)[::every]
    return out[:limit] if limit else out


def load_mask(sample: Sample, notes: list[str] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """(foreground, ignore) boolean maps.  Single-channel masks (and colour masks whose channels
    are equal): 0 background, 128 ignored, any other value foreground; values other than
    0/128/255 add a line to `notes`.  Colour masks (DAVIS): any channel > 0 is foreground."""
    m = cv2.imread(str(sample.mask), cv2.IMREAD_UNCHANGED)
    if m is None:
        raise ValueError(f"{sample.mask}: cannot read mask")
    if m.ndim == 3:
        m = m[..., :3]
        if (m == m[..., :1]).all():
            m = m[..., 0]
        else:
            return m.max(axis=2) > 0, None
    if m.dtype != np.uint8:
        raise ValueError(f"{sample.mask}: {m.dtype} mask; expected 8-bit values (0, 128 = ignore, 255)")
    counts = np.bincount(m.ravel(), minlength=256)
    odd = [v for v in np.flatnonzero(counts) if v not in (0, 128, 255)]
    if odd and notes is not None:
        shown = ", ".join(str(v) for v in odd[:6]) + (" ..." if len(odd) > 6 else "")
        notes.append(f"{sample.mask.name}: values {shown} besides 0/128/255 (counted as foreground)")
    ignore = m == 128 if counts[128] else None
    return (m > 0) & (m != 128), ignore


def reduce(rgb: np.ndarray, gt: np.ndarray, ignore: np.ndarray | None, max_side: int):
    """Image and masks at a long side of at most `max_side` (area-averaged image, nearest-
    neighbour object mask, ignore band kept where any pixel of a cell was ignored), as published
    protocols evaluate big photos; 0 = unchanged."""
    h, w = gt.shape
    if not max_side or max(h, w) <= max_side:
        return rgb, gt, ignore
    s = max_side / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    gt = cv2.resize(gt.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    if ignore is not None:  # a thin band must survive: a cell with any ignored pixel is ignored
        ignore = cv2.resize(ignore.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
    return rgb, gt, ignore


def evaluate(
    samples: Sequence[Sample],
    make_predict: Callable[[np.ndarray], PredictFn],
    load_rgb: Callable[[Path], np.ndarray],
    max_clicks: int = 20,
    rule: str = "distance",
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
    max_side: int = 0,
    notes: list[str] | None = None,
) -> list[ImageRun]:
    """Run the protocol over a dataset.  `make_predict(rgb)` prepares the model for one image
    (its set_image; timed as the image's setup) and returns the click -> mask function."""
    runs = []
    for i, s in enumerate(samples):
        report(progress, i, len(samples), s.name)
        gt, ignore = load_mask(s, notes)
        rgb = load_rgb(s.image)
        if rgb.shape[:2] != gt.shape:
            raise ValueError(f"{s.mask}: mask size {gt.shape} differs from image {rgb.shape[:2]}")
        rgb, gt, ignore = reduce(rgb, gt, ignore, max_side)
        t0 = time.perf_counter()
        predict = make_predict(rgb)
        setup = time.perf_counter() - t0
        run = run_image(predict, gt, ignore, max_clicks, 0.90, 5, rule, s.name, cancel)
        run.setup_seconds = setup
        runs.append(run)
    report(progress, len(samples), len(samples), "done")
    return runs
