"""COCO mask AP/AR with the exact protocol of `pycocotools.cocoeval.COCOeval` (segm).

Same IoU thresholds, recall points, area ranges and detection limits; the same
greedy score-ordered matching with crowd and area-range ignores (ties broken the
same way), the same accumulation and the same 12 summary numbers; tests check
equality with COCOeval on the same data.  Faster because the pairwise overlaps
are computed once, bbox-pruned, and shared with the rest of the evaluation, and
the per-detection matching is vectorised over thresholds and area ranges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.eval.overlap import iou_from_counts

STAT_NAMES = (
    "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl",
)


@dataclass(frozen=True)
class CocoParams:
    iou_thresholds: np.ndarray = field(
        default_factory=lambda: np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1)
    )
    recall_thresholds: np.ndarray = field(
        default_factory=lambda: np.linspace(0.0, 1.0, int(np.round(1.0 / 0.01)) + 1)
    )
    max_dets: tuple[int, ...] = (1, 10, 100)
    area_ranges: tuple[tuple[float, float], ...] = (
        (0.0, 1e5**2), (0.0, 32.0**2), (32.0**2, 96.0**2), (96.0**2, 1e5**2),
    )


@dataclass
class CocoImage:
    """What the protocol needs of one image: categories, areas, crowd flags, scores, overlaps.

    `gt_area` is the annotation's area (used for the area ranges, as COCOeval does);
    `gt_pixels` / `dt_pixels` are mask pixel counts (used for IoU); `inter[d, g]`
    the shared pixels of detection d and ground truth g.  COCOeval records a match by
    the ground truth's annotation id and reads id 0 as "no match": a detection matched
    to an annotation with id 0 counts as a false positive (the annotation is used up
    all the same).  `gt_zero_id` reproduces that, so numbers stay identical on files
    whose ids start at 0 (labelme2coco writes such files; callers warn about it).
    """

    gt_categories: np.ndarray
    gt_area: np.ndarray
    gt_pixels: np.ndarray
    gt_crowd: np.ndarray
    dt_categories: np.ndarray
    dt_scores: np.ndarray
    dt_pixels: np.ndarray
    inter: np.ndarray
    gt_zero_id: np.ndarray | None = None  # ground truth whose annotation id is 0 (see below)


@dataclass
class CocoResult:
    category_ids: list[int]
    precision: np.ndarray  # T x R x K x A x M, -1 where undefined
    recall: np.ndarray  # T x K x A x M
    stats: np.ndarray  # the 12 COCOeval summary numbers (-1 where undefined)
    params: CocoParams

    def stat(self, name: str) -> float:
        return float(self.stats[STAT_NAMES.index(name)])

    def as_dict(self) -> dict[str, float]:
        return {n: float(v) for n, v in zip(STAT_NAMES, self.stats)}

    def category_ap(self, category_id: int, iou: float | None = None) -> float:
        """AP of one category (area all, 100 detections); NaN when it has no ground truth."""
        k = self.category_ids.index(category_id)
        s = self.precision[:, :, k, 0, -1]
        if iou is not None:
            s = s[np.isclose(self.params.iou_thresholds, iou)]
        s = s[s > -1]
        return float(s.mean()) if s.size else float("nan")

    def category_ar(self, category_id: int) -> float:
        k = self.category_ids.index(category_id)
        s = self.recall[:, k, 0, -1]
        s = s[s > -1]
        return float(s.mean()) if s.size else float("nan")


@dataclass
class _Cell:
    scores: np.ndarray  # D, sorted descending, truncated to the largest max_dets
    dtm: np.ndarray  # A x T x D matched
    dtig: np.ndarray  # A x T x D ignored
    npig: np.ndarray  # A: non-ignored ground truth count


def _match_cell(
    ious: np.ndarray, gt_ign: np.ndarray, crowd: np.ndarray, thr: np.ndarray, dt_out: np.ndarray,
    zero_id: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """COCOeval.evaluateImg for all area ranges (A) and thresholds (T) at once.

    For each detection in score order and each (area, threshold): the candidate
    ground truths have IoU >= threshold and are free (crowds never get used up).
    Non-ignored candidates win over ignored ones; among them the highest IoU,
    the last one on ties (COCOeval scans with `>=`).
    """
    n_area, n_gt = gt_ign.shape
    n_dt = ious.shape[0]
    n_thr = thr.size
    dtm = np.zeros((n_area, n_thr, n_dt), bool)
    dtig = np.zeros((n_area, n_thr, n_dt), bool)
    edges = ious >= thr.min() if n_gt and n_dt else None
    if edges is not None and edges.sum(axis=0).max() <= 1 and edges.sum(axis=1).max() <= 1:
        # No detection competes for a ground truth and none has a choice: the greedy
        # outcome is fixed, whatever the order (the common case, done without a loop).
        for d, g in zip(*np.nonzero(edges)):
            hit = ious[d, g] >= thr  # T
            dtm[:, :, d] = hit[None, :] & (zero_id is None or not zero_id[g])
            dtig[:, :, d] = hit[None, :] & gt_ign[:, g][:, None]
    elif edges is not None:
        matched = np.zeros((n_area, n_thr, n_gt), bool)
        reusable = crowd[None, None, :]
        ign = gt_ign[:, None, :]
        lowest = thr.min()
        for d in range(n_dt):
            row = ious[d]
            if row.max() < lowest:
                continue
            ok = row[None, :] >= thr[:, None]  # T x G
            avail = ok[None] & ~(matched & ~reusable)
            cand_n = avail & ~ign
            cand_i = avail & ign
            has_n = cand_n.any(-1)
            has = has_n | cand_i.any(-1)
            if not has.any():
                continue
            cand = np.where(has_n[..., None], cand_n, cand_i)
            vals = np.where(cand, row[None, None, :], -1.0)
            m = n_gt - 1 - vals[..., ::-1].argmax(-1)
            dtm[:, :, d] = has if zero_id is None else has & ~zero_id[m]
            dtig[:, :, d] = has & ~has_n
            a_idx, t_idx = np.nonzero(has)
            matched[a_idx, t_idx, m[a_idx, t_idx]] = True
    dtig |= ~dtm & dt_out[:, None, :]
    return dtm, dtig


def coco_evaluate(
    images: Sequence[CocoImage],
    category_ids: Sequence[int],
    params: CocoParams | None = None,
    *,
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
) -> CocoResult:
    """Evaluate like COCOeval(iouType='segm') over `images` (in image-id order) and categories."""
    p = params or CocoParams()
    cats = sorted(set(int(c) for c in category_ids))
    cat_index = {c: k for k, c in enumerate(cats)}
    thr = np.minimum(p.iou_thresholds, 1 - 1e-10)
    lo = np.array([r[0] for r in p.area_ranges])[:, None]
    hi = np.array([r[1] for r in p.area_ranges])[:, None]
    max_det = p.max_dets[-1]
    cells: list[list[_Cell]] = [[] for _ in cats]
    total = len(images)
    for n, img in enumerate(images):
        if cancel is not None and n % 64 == 0:
            cancel.check()
        if n % 256 == 0:
            report(progress, n, total, "AP: matching")
        gt_cats = np.asarray(img.gt_categories)
        dt_cats = np.asarray(img.dt_categories)
        for c in np.unique(np.concatenate([gt_cats, dt_cats])).tolist():
            k = cat_index.get(int(c))
            if k is None:
                continue
            g = np.flatnonzero(gt_cats == c)
            d = np.flatnonzero(dt_cats == c)
            order = np.argsort(-np.asarray(img.dt_scores, np.float64)[d], kind="mergesort")[:max_det]
            d = d[order]
            crowd = np.asarray(img.gt_crowd, bool)[g]
            ious = iou_from_counts(
                np.asarray(img.inter)[np.ix_(d, g)],
                np.asarray(img.dt_pixels)[d],
                np.asarray(img.gt_pixels)[g],
                crowd,
            )
            area = np.asarray(img.gt_area, np.float64)[g][None, :]
            gt_ign = crowd[None, :] | (area < lo) | (area > hi)
            dt_area = np.asarray(img.dt_pixels, np.float64)[d][None, :]
            dt_out = (dt_area < lo) | (dt_area > hi)
            zero = None if img.gt_zero_id is None else np.asarray(img.gt_zero_id, bool)[g]
            dtm, dtig = _match_cell(ious, gt_ign, crowd, thr, dt_out, zero if zero is not None and zero.any() else None)
            scores = np.asarray(img.dt_scores, np.float64)[d]
            cells[k].append(_Cell(scores, dtm, dtig, (~gt_ign).sum(axis=1)))
    report(progress, total, total, "AP: accumulating")
    precision, recall = _accumulate(cells, p)
    return CocoResult(cats, precision, recall, _summarize(precision, recall, p), p)


def _accumulate(cells: list[list[_Cell]], p: CocoParams) -> tuple[np.ndarray, np.ndarray]:
    n_thr, n_rec = p.iou_thresholds.size, p.recall_thresholds.size
    n_cat, n_area, n_max = len(cells), len(p.area_ranges), len(p.max_dets)
    precision = -np.ones((n_thr, n_rec, n_cat, n_area, n_max))
    recall = -np.ones((n_thr, n_cat, n_area, n_max))
    eps = np.spacing(1)
    for k, cat_cells in enumerate(cells):
        if not cat_cells:
            continue
        npig_all = np.sum([c.npig for c in cat_cells], axis=0)
        for m, max_det in enumerate(p.max_dets):
            scores = np.concatenate([c.scores[:max_det] for c in cat_cells])
            inds = np.argsort(-scores, kind="mergesort")
            dtm_all = np.concatenate([c.dtm[:, :, :max_det] for c in cat_cells], axis=2)[:, :, inds]
            dtig_all = np.concatenate([c.dtig[:, :, :max_det] for c in cat_cells], axis=2)[:, :, inds]
            for a in range(n_area):
                npig = int(npig_all[a])
                if npig == 0:
                    continue
                dtm, dtig = dtm_all[a], dtig_all[a]
                n_d = dtm.shape[1]
                if n_d == 0:
                    recall[:, k, a, m] = 0
                    precision[:, :, k, a, m] = 0
                    continue
                tp = np.cumsum(dtm & ~dtig, axis=1).astype(float)
                fp = np.cumsum(~dtm & ~dtig, axis=1).astype(float)
                rc = tp / npig
                pr = tp / (fp + tp + eps)
                recall[:, k, a, m] = rc[:, -1]
                pr = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]
                for t in range(n_thr):
                    idx = np.searchsorted(rc[t], p.recall_thresholds, side="left")
                    inside = idx < n_d
                    q = np.zeros(n_rec)
                    q[inside] = pr[t, idx[inside]]
                    precision[t, :, k, a, m] = q
    return precision, recall


def _summarize(precision: np.ndarray, recall: np.ndarray, p: CocoParams) -> np.ndarray:
    def mean(s: np.ndarray) -> float:
        s = s[s > -1]
        return float(np.mean(s)) if s.size else -1.0

    thr = p.iou_thresholds
    i50, i75 = int(np.argmin(np.abs(thr - 0.5))), int(np.argmin(np.abs(thr - 0.75)))
    last = len(p.max_dets) - 1
    stats = [
        mean(precision[:, :, :, 0, last]),
        mean(precision[i50, :, :, 0, last]),
        mean(precision[i75, :, :, 0, last]),
        mean(precision[:, :, :, 1, last]),
        mean(precision[:, :, :, 2, last]),
        mean(precision[:, :, :, 3, last]),
    ]
    stats += [mean(recall[:, :, 0, m]) for m in range(len(p.max_dets))]
    stats += [mean(recall[:, :, a, last]) for a in (1, 2, 3)]
    return np.array(stats)
