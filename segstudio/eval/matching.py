"""Instance matching by IoU with an optimal one-to-one assignment.

A prediction and a ground-truth instance may pair when their IoU reaches the
threshold (and, per class, when their categories agree).  Among all valid
one-to-one pairings we take the one with the most pairs, then the highest total
IoU: weights `K + IoU` with K larger than any possible IoU sum make cardinality
dominate.  Greedy matching (COCO's) can lose a true positive when masks overlap;
this cannot.  Crowd ground truth never pairs: a prediction left unmatched that
lies mostly inside a crowd region (intersection / prediction area >= threshold)
is ignored instead of counted as a false positive.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from segstudio.eval.hungarian import linear_sum_assignment


@dataclass
class MatchResult:
    pairs: list[tuple[int, int, float]] = field(default_factory=list)  # (gt index, pred index, IoU)
    unmatched_gt: list[int] = field(default_factory=list)  # false negatives (crowd excluded)
    unmatched_pred: list[int] = field(default_factory=list)  # false positives
    ignored_pred: list[int] = field(default_factory=list)  # inside a crowd region

    @property
    def tp(self) -> int:
        return len(self.pairs)

    @property
    def fp(self) -> int:
        return len(self.unmatched_pred)

    @property
    def fn(self) -> int:
        return len(self.unmatched_gt)


def match_instances(
    iou: np.ndarray,
    gt_categories: np.ndarray,
    pred_categories: np.ndarray,
    *,
    threshold: float = 0.5,
    per_class: bool = True,
    gt_crowd: np.ndarray | None = None,
    crowd_cover: np.ndarray | None = None,
) -> MatchResult:
    """Match G ground-truth rows to P prediction columns of the (G, P) IoU matrix.

    `crowd_cover[g, p]` is intersection / area(pred) (needed only for crowd rows).
    """
    iou = np.asarray(iou, dtype=np.float64)
    n_gt, n_pred = iou.shape
    gt_cats = np.asarray(gt_categories)
    pred_cats = np.asarray(pred_categories)
    crowd = np.zeros(n_gt, bool) if gt_crowd is None else np.asarray(gt_crowd, bool)
    same = gt_cats[:, None] == pred_cats[None, :] if per_class else np.ones((n_gt, n_pred), bool)
    valid = (iou >= threshold) & same & ~crowd[:, None]
    result = MatchResult()
    rows = np.flatnonzero(valid.any(axis=1))
    cols = np.flatnonzero(valid.any(axis=0))
    matched_gt: set[int] = set()
    matched_pred: set[int] = set()
    if rows.size:
        sub_valid = valid[np.ix_(rows, cols)]
        sub_iou = iou[np.ix_(rows, cols)]
        if sub_valid.sum(axis=0).max() == 1 and sub_valid.sum(axis=1).max() == 1:
            r_idx, c_idx = np.nonzero(sub_valid)  # no conflicts: the valid pairs are the answer
        else:
            big = float(min(rows.size, cols.size) + 1)
            weight = np.where(sub_valid, big + sub_iou, 0.0)
            r_idx, c_idx = linear_sum_assignment(weight, maximize=True)
        for r, c in zip(r_idx, c_idx):
            if sub_valid[r, c]:
                g, p = int(rows[r]), int(cols[c])
                result.pairs.append((g, p, float(iou[g, p])))
                matched_gt.add(g)
                matched_pred.add(p)
    result.pairs.sort()
    result.unmatched_gt = [g for g in range(n_gt) if g not in matched_gt and not crowd[g]]
    for p in range(n_pred):
        if p in matched_pred:
            continue
        if crowd.any() and crowd_cover is not None:
            cover = np.asarray(crowd_cover)[:, p]
            hit = crowd & (cover >= threshold) & (same[:, p])
            if hit.any():
                result.ignored_pred.append(p)
                continue
        result.unmatched_pred.append(p)
    return result
