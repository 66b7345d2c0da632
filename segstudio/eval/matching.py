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
    matched_gt: set[int] = set()
    matched_pred: set[int] = set()
    per_row, per_col = valid.sum(axis=1), valid.sum(axis=0)
    if per_row.max(initial=0) <= 1 and per_col.max(initial=0) <= 1:
        components = []  # no conflicts: every valid pair stands alone (the common case)
        for g, p in zip(*np.nonzero(valid)):
            result.pairs.append((int(g), int(p), float(iou[g, p])))
            matched_gt.add(int(g))
            matched_pred.add(int(p))
    else:
        components = _components(valid)
    for comp_rows, comp_cols in components:
        sub_valid = valid[np.ix_(comp_rows, comp_cols)]
        if comp_rows.size == 1 or comp_cols.size == 1:
            # a star: one side has a single member, the best IoU among the valid pairs wins
            sub_iou = np.where(sub_valid, iou[np.ix_(comp_rows, comp_cols)], -1.0)
            r, c = np.unravel_index(int(np.argmax(sub_iou)), sub_iou.shape)
            r_idx, c_idx = np.array([r]), np.array([c])
        else:
            big = float(min(comp_rows.size, comp_cols.size) + 1)
            weight = np.where(sub_valid, big + iou[np.ix_(comp_rows, comp_cols)], 0.0)
            r_idx, c_idx = linear_sum_assignment(weight, maximize=True)
        for r, c in zip(r_idx, c_idx):
            if sub_valid[r, c]:
                g, p = int(comp_rows[r]), int(comp_cols[c])
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


def _components(valid: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Connected components (rows, columns) of the bipartite graph of valid pairs.

    The assignment decomposes over them, so a crowded image costs many tiny problems
    instead of one cubic one.
    """
    n_rows = valid.shape[0]
    seen_r = np.zeros(n_rows, bool)
    seen_c = np.zeros(valid.shape[1], bool)
    out = []
    for start in np.flatnonzero(valid.any(axis=1)):
        if seen_r[start]:
            continue
        rows = np.zeros(n_rows, bool)
        rows[start] = True
        cols = np.zeros(valid.shape[1], bool)
        while True:
            new_cols = valid[rows].any(axis=0) & ~cols
            if not new_cols.any():
                break
            cols |= new_cols
            new_rows = valid[:, new_cols].any(axis=1) & ~rows
            if not new_rows.any():
                break
            rows |= new_rows
        seen_r |= rows
        seen_c |= cols
        out.append((np.flatnonzero(rows), np.flatnonzero(cols)))
    return out
