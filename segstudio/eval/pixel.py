"""Pixel-level (semantic) comparison of one image: confusion, IoU, Dice, boundary F.

Each label set is flattened to a class map (top-most instance wins; predictions
paint in ascending score so the most confident is on top).  Pixels under crowd
ground truth are ignored.  Per class: IoU = |G∩P| / |G∪P|, Dice = 2|G∩P| / (|G|+|P|),
boundary F = harmonic mean of boundary precision and recall, where a boundary
pixel counts as hit when the other set's boundary lies within `tolerance` pixels
(Euclidean disk).  A class absent from both sets has no value (NaN), so means
skip it.  The image frame is not a boundary: an object cut by the border has no
edge there (erosion treats outside pixels as set).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from segstudio.core.instance import Instance

IGNORE = 255  # the ignore label of uint8 class maps (see ignore_value for larger ones)


@dataclass
class PixelStats:
    """Per class (index 0..C-1 of the evaluated categories) counts for one image."""

    confusion: np.ndarray  # (C+1) x (C+1): rows ground truth, columns prediction; 0 = background
    boundary_hits_pred: np.ndarray  # C: predicted boundary pixels near a true boundary
    boundary_pred: np.ndarray  # C
    boundary_hits_gt: np.ndarray  # C: true boundary pixels near a predicted boundary
    boundary_gt: np.ndarray  # C

    @property
    def intersection(self) -> np.ndarray:
        return np.diag(self.confusion)[1:].astype(np.float64)

    @property
    def gt_pixels(self) -> np.ndarray:
        return self.confusion.sum(axis=1)[1:].astype(np.float64)

    @property
    def pred_pixels(self) -> np.ndarray:
        return self.confusion.sum(axis=0)[1:].astype(np.float64)

    def iou(self) -> np.ndarray:
        return iou_from(self.intersection, self.gt_pixels, self.pred_pixels)

    def dice(self) -> np.ndarray:
        return dice_from(self.intersection, self.gt_pixels, self.pred_pixels)

    def boundary_f(self) -> np.ndarray:
        return boundary_f_from(
            self.boundary_hits_pred, self.boundary_pred, self.boundary_hits_gt, self.boundary_gt
        )


def iou_from(inter: np.ndarray, gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    union = gt + pred - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), np.nan)


def dice_from(inter: np.ndarray, gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    total = gt + pred
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 2 * inter / np.where(total > 0, total, 1), np.nan)


def boundary_f_from(hits_p: np.ndarray, n_p: np.ndarray, hits_g: np.ndarray, n_g: np.ndarray) -> np.ndarray:
    """F of boundary precision and recall; NaN when neither set has a boundary, 0 when one lacks it."""
    hits_p, n_p, hits_g, n_g = (np.asarray(a, np.float64) for a in (hits_p, n_p, hits_g, n_g))
    with np.errstate(divide="ignore", invalid="ignore"):
        prec = np.where(n_p > 0, hits_p / np.where(n_p > 0, n_p, 1), 0.0)
        rec = np.where(n_g > 0, hits_g / np.where(n_g > 0, n_g, 1), 0.0)
        f = np.where(prec + rec > 0, 2 * prec * rec / np.where(prec + rec > 0, prec + rec, 1), 0.0)
    return np.where((n_p == 0) & (n_g == 0), np.nan, f)


def class_map(
    shape: tuple[int, int],
    instances: Sequence[Instance],
    class_index: dict[int, int],
    *,
    by_score: bool = False,
    ignore_crowd: bool = False,
    box: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """uint8 map: 0 background, k+1 for class index k, IGNORE under crowd instances.

    Instances of categories outside `class_index` are skipped.  With `box`
    (y0, x0, y1, x1) only that window of the image is drawn (it must hold every
    instance).  Up to 254 classes (larger sets use uint16).
    """
    y0, x0, y1, x1 = box if box is not None else (0, 0, shape[0], shape[1])
    dtype = np.uint8 if len(class_index) < 255 else np.uint16
    out = np.zeros((y1 - y0, x1 - x0), dtype)
    items = list(instances)
    if by_score:
        items.sort(key=lambda i: -np.inf if i.score is None else i.score)  # stable: ties keep order
    crowds = []
    for inst in items:
        k = class_index.get(inst.category_id)
        m = inst.mask
        if k is None or not m.data.size:
            continue
        if ignore_crowd and inst.crowd:
            crowds.append(m)
            continue
        out[m.y0 - y0 : m.y1 - y0, m.x0 - x0 : m.x1 - x0][m.data] = k + 1
    for m in crowds:  # crowd regions are ignored whatever lies above them
        out[m.y0 - y0 : m.y1 - y0, m.x0 - x0 : m.x1 - x0][m.data] = ignore_value(out.dtype)
    return out


def ignore_value(dtype) -> int:
    return int(np.iinfo(dtype).max)


def _disk(radius: int) -> np.ndarray:
    r = max(0, int(radius))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    return ((xx * xx + yy * yy) <= r * r).astype(np.uint8)


@functools.lru_cache(maxsize=16)
def _disk_rects(radius: int) -> tuple[np.ndarray, ...]:
    """The Euclidean disk as a union of centred rectangles (rectangular morphology is
    separable and SIMD-fast in OpenCV; an elliptic kernel is not)."""
    d = _disk(radius)
    r = d.shape[0] // 2
    rects, seen = [], set()
    for dy in range(r + 1):
        half = int(np.count_nonzero(d[r + dy])) // 2
        height = 2 * dy + 1
        # the rectangle of this half-width spans every row at least this wide
        rows = int(np.count_nonzero(d[:, r + half]))
        key = (half, rows)
        if key not in seen and height <= rows:
            seen.add(key)
            rects.append(np.ones((rows, 2 * half + 1), np.uint8))
    return tuple(rects)


_H3 = np.ones((1, 3), np.uint8)
_V3 = np.ones((3, 1), np.uint8)


def boundary(mask: np.ndarray) -> np.ndarray:
    """Pixels of `mask` with a 4-neighbour outside it (the image frame does not count).

    Erosion by the 4-neighbour cross = the AND of a horizontal and a vertical erosion.
    """
    m = mask.view(np.uint8) if mask.dtype == bool else mask.astype(np.uint8)
    inner = cv2.erode(m, _H3)
    cv2.bitwise_and(inner, cv2.erode(m, _V3), dst=inner)
    return m > inner


def dilate_disk(mask: np.ndarray, radius: int) -> np.ndarray:
    """Pixels within Euclidean `radius` of `mask` (bool)."""
    m = mask.view(np.uint8) if mask.dtype == bool else mask.astype(np.uint8)
    rects = _disk_rects(radius)
    out = cv2.dilate(m, rects[0])
    for k in rects[1:]:
        cv2.bitwise_or(out, cv2.dilate(m, k), dst=out)
    return out.view(bool)


def pixel_stats(
    gt_map: np.ndarray,
    pred_map: np.ndarray,
    n_classes: int,
    *,
    tolerance: int = 2,
    class_boxes: dict[int, tuple[int, int, int, int]] | None = None,
    outside: int = 0,
) -> PixelStats:
    """Confusion and boundary counts of two class maps (values 0..C, the ignore value in gt_map).

    `class_boxes[k]` (y0, x0, y1, x1, in map coordinates) bounds class k in both
    maps; the boundary work is done inside it (plus the tolerance), which keeps
    large images cheap.  `outside` background pixels lie beyond the maps (when the
    maps cover only the window holding the instances).
    """
    c1 = n_classes + 1
    ign = ignore_value(gt_map.dtype)
    codes = gt_map.astype(np.intp) * c1
    codes += pred_map
    if gt_map.dtype == np.uint8:  # ignore pixels land in rows >= c1 of a small table
        full = np.bincount(codes.ravel(), minlength=(ign + 1) * c1)
        confusion = full[: c1 * c1].reshape(c1, c1).copy()
        has_ignore = bool(full[ign * c1 :].any())
    else:  # many classes: drop ignore pixels first (a table up to the ignore value would be huge)
        keep = gt_map != ign
        has_ignore = not bool(keep.all())
        confusion = np.bincount(codes[keep].ravel(), minlength=c1 * c1)[: c1 * c1].reshape(c1, c1)
    confusion[0, 0] += outside
    hits_p = np.zeros(n_classes, np.int64)
    n_p = np.zeros(n_classes, np.int64)
    hits_g = np.zeros(n_classes, np.int64)
    n_g = np.zeros(n_classes, np.int64)
    present = np.flatnonzero((confusion.sum(axis=0)[1:] > 0) | (confusion.sum(axis=1)[1:] > 0))
    h, w = gt_map.shape
    pad = int(tolerance) + 2
    for k in present.tolist():
        if class_boxes is not None and k in class_boxes:
            y0, x0, y1, x1 = class_boxes[k]
            y0, x0, y1, x1 = max(0, y0 - pad), max(0, x0 - pad), min(h, y1 + pad), min(w, x1 + pad)
        else:
            y0, x0, y1, x1 = 0, 0, h, w
        gw = gt_map[y0:y1, x0:x1]
        bg = boundary(gw == k + 1)
        bp = boundary(pred_map[y0:y1, x0:x1] == k + 1)
        if has_ignore:
            keep = gw != ign
            bg &= keep
            bp &= keep
        n_g[k] = np.count_nonzero(bg)
        n_p[k] = np.count_nonzero(bp)
        if n_g[k] and n_p[k]:
            near_g = dilate_disk(bg, tolerance)
            near_p = dilate_disk(bp, tolerance)
            hits_p[k] = np.count_nonzero(bp & near_g)
            hits_g[k] = np.count_nonzero(bg & near_p)
    return PixelStats(confusion, hits_p, n_p, hits_g, n_g)
