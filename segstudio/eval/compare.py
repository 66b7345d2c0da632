"""Compare a prediction label set with ground truth over many images.

One pass per image computes the bbox-pruned overlaps of every prediction with
every ground-truth instance once; instance matching, the COCO AP protocol and
the per-class pixel metrics all reuse them.  Choices (see docs/review.md):
- predictions scoring below `score_threshold` are left out of matching and pixel
  metrics (COCO AP/AR always uses every prediction, as COCO does); predictions
  without a score always count;
- an image's `agreement` is sum(IoU of matched pairs) / (TP + FP + FN), i.e. its
  panoptic quality: 1 for a perfect image, 0 when nothing matches.  The review
  queue sorts by it (lowest first);
- an image's `uncertainty` is the largest `uncertainty` attribute a pre-label run
  stored on its predictions (or on pre-labelled ground truth), else the largest
  1 - |2·score - 1| of its predictions; `project_eval` also reads the per-image
  uncertainty of the latest pre-label model run.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np

from segstudio.core.instance import Instance
from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.eval.cocoap import CocoImage, CocoResult, coco_evaluate
from segstudio.eval.matching import match_instances
from segstudio.eval.overlap import areas, intersections, iou_from_counts
from segstudio.eval.pixel import class_map, dice_from, iou_from, pixel_stats


@dataclass(frozen=True)
class EvalOptions:
    iou_threshold: float = 0.5
    per_class: bool = True
    score_threshold: float = 0.5
    boundary_tolerance: int = 2
    compute_ap: bool = True
    pixel_metrics: bool = True  # off: instance matching only (the review panel's instant update)

    def __post_init__(self) -> None:
        if not 0.0 < self.iou_threshold <= 1.0:
            raise ValueError(f"IoU threshold must be in (0, 1], got {self.iou_threshold}")
        if self.boundary_tolerance < 0:
            raise ValueError("boundary tolerance must be >= 0 pixels")


@dataclass
class EvalImage:
    image_id: int
    name: str
    shape: tuple[int, int]
    gt: list[Instance]
    pred: list[Instance]
    frame: int = 0
    gt_area: list[float] | None = None  # annotation areas when they differ from pixel counts


@dataclass
class ImageEval:
    image_id: int
    frame: int
    name: str
    n_gt: int
    n_pred: int
    tp: int
    fp: int
    fn: int
    ignored: int
    matches: list[tuple[int, int, int, float]]  # gt id, pred id, gt category id, IoU
    false_positives: list[int]  # prediction instance ids
    false_negatives: list[int]  # ground-truth instance ids
    class_iou: dict[int, float]
    class_dice: dict[int, float]
    class_boundary_f: dict[int, float]
    agreement: float
    uncertainty: float | None

    @staticmethod
    def _mean(values: dict[int, float]) -> float:
        v = [x for x in values.values() if not math.isnan(x)]
        return float(np.mean(v)) if v else float("nan")

    @property
    def iou(self) -> float:
        return self._mean(self.class_iou)

    @property
    def dice(self) -> float:
        return self._mean(self.class_dice)

    @property
    def boundary_f(self) -> float:
        return self._mean(self.class_boundary_f)

    @property
    def mean_matched_iou(self) -> float:
        return float(np.mean([m[3] for m in self.matches])) if self.matches else float("nan")


@dataclass
class ClassEval:
    category_id: int
    name: str
    n_gt: int = 0
    n_pred: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    iou: float = float("nan")
    dice: float = float("nan")
    boundary_f: float = float("nan")
    matched_iou: float = float("nan")
    ap: float = float("nan")
    ap50: float = float("nan")
    ap75: float = float("nan")
    ar100: float = float("nan")

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def f1(self) -> float:
        d = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / d if d else float("nan")


@dataclass
class EvalResult:
    options: EvalOptions
    categories: list[tuple[int, str]]
    images: list[ImageEval]
    classes: list[ClassEval]
    confusion: np.ndarray  # (C+1) x (C+1), index 0 = background
    coco: CocoResult | None
    tp_scores: np.ndarray
    fp_scores: np.ndarray
    low_scores: np.ndarray  # scores of predictions below the score threshold
    has_scores: bool = False
    gt_name: str = "gt"
    pred_name: str = "pred"
    extra: dict = field(default_factory=dict)
    ignore: frozenset[int] = frozenset()  # ignore-region category ids (left out of every metric)

    @property
    def confusion_labels(self) -> list[str]:
        return ["background"] + [n for _, n in self.categories]

    def summary(self) -> dict[str, float]:
        tp = sum(c.tp for c in self.classes)
        fp = sum(c.fp for c in self.classes)
        fn = sum(c.fn for c in self.classes)
        matched = [m[3] for im in self.images for m in im.matches]

        def nanmean(vals: list[float]) -> float:
            v = [x for x in vals if not math.isnan(x)]
            return float(np.mean(v)) if v else float("nan")

        out = {
            "images": float(len(self.images)),
            "tp": float(tp),
            "fp": float(fp),
            "fn": float(fn),
            "precision": tp / (tp + fp) if tp + fp else float("nan"),
            "recall": tp / (tp + fn) if tp + fn else float("nan"),
            "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan"),
            "matched_iou": float(np.mean(matched)) if matched else float("nan"),
            "mIoU": nanmean([c.iou for c in self.classes]),
            "mDice": nanmean([c.dice for c in self.classes]),
            "mBoundaryF": nanmean([c.boundary_f for c in self.classes]),
            "pixel_accuracy": float(np.trace(self.confusion) / self.confusion.sum())
            if self.confusion.sum()
            else float("nan"),
            "mean_agreement": nanmean([i.agreement for i in self.images]),
        }
        if self.coco is not None:
            out.update(self.coco.as_dict())
        return out

    def image(self, image_id: int, frame: int = 0) -> ImageEval | None:
        return next((i for i in self.images if i.image_id == image_id and i.frame == frame), None)


def _uncertainty(preds: Sequence[Instance], gt: Sequence[Instance] = ()) -> float | None:
    """Stored `uncertainty` attributes (predictions first, else pre-labelled ground truth),
    else the least certain prediction score."""
    for insts in (preds, gt):
        stored = [float(i.attributes["uncertainty"]) for i in insts if "uncertainty" in i.attributes]
        if stored:
            return max(stored)
    scored = [1.0 - abs(2.0 * float(p.score) - 1.0) for p in preds if p.score is not None]
    return max(scored) if scored else None


def _pixel_stats(
    shape: tuple[int, int], gt: list[Instance], pred: list[Instance], index: dict[int, int], tolerance: int
):
    """Pixel statistics of one image, on class maps drawn over the window holding every instance."""
    boxes: dict[int, tuple[int, int, int, int]] = {}
    for inst in (*gt, *pred):
        m = inst.mask
        if not m.data.size:
            continue
        k = index[inst.category_id]
        b = boxes.get(k)
        boxes[k] = (m.y0, m.x0, m.y1, m.x1) if b is None else (
            min(b[0], m.y0), min(b[1], m.x0), max(b[2], m.y1), max(b[3], m.x1)
        )
    h, w = shape
    if boxes:
        bb = np.array(list(boxes.values()))
        pad = tolerance + 2  # the window's edges must be the image's or empty
        win = (max(0, int(bb[:, 0].min()) - pad), max(0, int(bb[:, 1].min()) - pad),
               min(h, int(bb[:, 2].max()) + pad), min(w, int(bb[:, 3].max()) + pad))
    else:
        win = (0, 0, 0, 0)
    outside = h * w - (win[2] - win[0]) * (win[3] - win[1])
    boxes = {k: (b[0] - win[0], b[1] - win[1], b[2] - win[0], b[3] - win[1]) for k, b in boxes.items()}
    gmap = class_map(shape, gt, index, ignore_crowd=True, box=win)
    pmap = class_map(shape, pred, index, by_score=True, box=win)
    return pixel_stats(gmap, pmap, len(index), tolerance=tolerance, class_boxes=boxes, outside=outside)


def evaluate(
    images: Sequence[EvalImage],
    categories: Sequence[tuple[int, str]],
    options: EvalOptions | None = None,
    *,
    ignore: Collection[int] = (),
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
) -> EvalResult:
    """Every metric of `images` (their `pred` against their `gt`) for the given categories.

    `ignore`: category ids of ignore regions ("don't care": LabelMe's __ignore__, VOC's 255).
    They get no metrics of their own and act as crowd regions of every category, as COCOeval
    treats crowds: a prediction lying mostly inside one is neither a true nor a false positive,
    and their pixels leave the pixel metrics, as the VOC protocol drops void pixels."""
    opt = options or EvalOptions()
    ignore = frozenset(ignore)
    cats = [c for c in categories if c[0] not in ignore]
    cat_ids = [c for c, _ in cats]
    index = {c: k for k, c in enumerate(cat_ids)}
    n_cls = len(cats)
    per_class = {c: ClassEval(c, n) for c, n in cats}
    confusion = np.zeros((n_cls + 1, n_cls + 1), np.int64)
    bf_sum = np.zeros(n_cls)
    bf_n = np.zeros(n_cls)
    matched_iou: dict[int, list[float]] = {c: [] for c in cat_ids}
    tp_scores: list[float] = []
    fp_scores: list[float] = []
    low_scores: list[float] = []
    has_scores = False
    coco_images: list[CocoImage] = []
    results: list[ImageEval] = []
    total = len(images)
    for n, img in enumerate(images):
        if cancel is not None:
            cancel.check()
        if n % 32 == 0:
            report(progress, n, total, "comparing")
        keep = [i for i, g in enumerate(img.gt) if g.category_id in index]
        gt = [img.gt[i] for i in keep]
        pred = [p for p in img.pred if p.category_id in index]
        if ignore and cat_ids:
            regions = [i for i, g in enumerate(img.gt) if g.category_id in ignore and g.mask.data.size]
            # a crowd region of every category predicted here (the first one when none is)
            present_cats = sorted({p.category_id for p in pred}) or cat_ids[:1]
            for i in regions:
                keep += [i] * len(present_cats)
                gt += [img.gt[i].with_(category_id=c, crowd=True) for c in present_cats]
        gt_masks = [g.mask for g in gt]
        pred_masks = [p.mask for p in pred]
        gt_px, pred_px = areas(gt_masks), areas(pred_masks)
        inter = intersections(pred_masks, gt_masks)  # D x G
        scores = np.array([1.0 if p.score is None else float(p.score) for p in pred], np.float64)
        has_scores = has_scores or any(p.score is not None for p in pred)
        if opt.compute_ap:
            gt_area = (
                np.asarray([img.gt_area[i] for i in keep], np.float64)
                if img.gt_area is not None
                else gt_px.astype(np.float64)
            )
            coco_images.append(CocoImage(
                np.array([g.category_id for g in gt], np.int64), gt_area, gt_px,
                np.array([g.crowd for g in gt], bool),
                np.array([p.category_id for p in pred], np.int64), scores, pred_px, inter,
                np.array([g.id == 0 for g in gt], bool),
            ))
        used = np.array(
            [p.score is None or p.score >= opt.score_threshold for p in pred], bool
        ).reshape(-1)
        used_idx = np.flatnonzero(used)
        low_scores.extend(scores[~used].tolist())
        crowd = np.array([g.crowd for g in gt], bool)
        inter_gp = inter[used_idx].T  # G x P
        iou_gp = iou_from_counts(inter_gp, gt_px, pred_px[used_idx])
        with np.errstate(divide="ignore", invalid="ignore"):
            cover = np.where(pred_px[used_idx][None, :] > 0, inter_gp / np.maximum(pred_px[used_idx], 1)[None, :], 0.0)
        gt_cats = np.array([g.category_id for g in gt], np.int64)
        pred_cats = np.array([pred[i].category_id for i in used_idx], np.int64)
        mr = match_instances(
            iou_gp, gt_cats, pred_cats, threshold=opt.iou_threshold, per_class=opt.per_class,
            gt_crowd=crowd, crowd_cover=cover,
        )
        matches = []
        for g, p, v in mr.pairs:
            c = int(gt_cats[g])
            matches.append((gt[g].id, pred[used_idx[p]].id, c, v))
            per_class[c].tp += 1
            matched_iou[c].append(v)
            tp_scores.append(float(scores[used_idx[p]]))
        for p in mr.unmatched_pred:
            per_class[int(pred_cats[p])].fp += 1
            fp_scores.append(float(scores[used_idx[p]]))
        for g in mr.unmatched_gt:
            per_class[int(gt_cats[g])].fn += 1
        for g_inst in gt:
            if not g_inst.crowd:
                per_class[g_inst.category_id].n_gt += 1
        for pi in used_idx.tolist():
            per_class[pred[pi].category_id].n_pred += 1

        present: list[int] = []
        ious = dices = bfs = np.full(n_cls, np.nan)
        if opt.pixel_metrics:
            ps = _pixel_stats(img.shape, gt, [pred[i] for i in used_idx], index, opt.boundary_tolerance)
            confusion += ps.confusion
            ious, dices, bfs = ps.iou(), ps.dice(), ps.boundary_f()
            present = [k for k in range(n_cls) if not math.isnan(ious[k])]
            for k in present:
                if not math.isnan(bfs[k]):
                    bf_sum[k] += bfs[k]
                    bf_n[k] += 1
        n_err = mr.tp + mr.fp + mr.fn
        results.append(ImageEval(
            image_id=img.image_id, frame=img.frame, name=img.name,
            n_gt=int((~crowd).sum()), n_pred=len(used_idx),
            tp=mr.tp, fp=mr.fp, fn=mr.fn, ignored=len(mr.ignored_pred),
            matches=matches,
            false_positives=[pred[used_idx[p]].id for p in mr.unmatched_pred],
            false_negatives=[gt[g].id for g in mr.unmatched_gt],
            class_iou={cat_ids[k]: float(ious[k]) for k in present},
            class_dice={cat_ids[k]: float(dices[k]) for k in present},
            class_boundary_f={cat_ids[k]: float(bfs[k]) for k in present},
            agreement=(sum(m[3] for m in matches) / n_err) if n_err else 1.0,
            uncertainty=_uncertainty(img.pred, img.gt),
        ))
    report(progress, total, total, "comparing")
    inter_c = np.diag(confusion)[1:].astype(np.float64)
    gt_c = confusion.sum(axis=1)[1:].astype(np.float64)
    pred_c = confusion.sum(axis=0)[1:].astype(np.float64)
    ious, dices = iou_from(inter_c, gt_c, pred_c), dice_from(inter_c, gt_c, pred_c)
    coco = coco_evaluate(coco_images, cat_ids, cancel=cancel) if opt.compute_ap and cats else None
    for k, c in enumerate(cat_ids):
        ce = per_class[c]
        ce.iou, ce.dice = float(ious[k]), float(dices[k])
        ce.boundary_f = float(bf_sum[k] / bf_n[k]) if bf_n[k] else float("nan")
        ce.matched_iou = float(np.mean(matched_iou[c])) if matched_iou[c] else float("nan")
        if coco is not None:
            ce.ap, ce.ap50, ce.ap75 = coco.category_ap(c), coco.category_ap(c, 0.5), coco.category_ap(c, 0.75)
            ce.ar100 = coco.category_ar(c)
    return EvalResult(
        opt, cats, results, [per_class[c] for c in cat_ids], confusion, coco,
        np.array(tp_scores), np.array(fp_scores), np.array(low_scores), has_scores, ignore=ignore,
    )


__all__ = [
    "ClassEval", "EvalImage", "EvalOptions", "EvalResult", "ImageEval", "evaluate",
]
