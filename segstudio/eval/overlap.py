"""Pairwise overlaps of mask patches, pruned by bounding boxes.

Only pairs whose boxes intersect are counted, on the intersection window only,
so an image of 20 x 20 instances costs a few dozen small array ANDs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from segstudio.core.masks import MaskPatch


def boxes(patches: Sequence[MaskPatch]) -> np.ndarray:
    """(N, 4) int64 array of y0, x0, y1, x1 (empty patches get an empty box)."""
    out = np.zeros((len(patches), 4), dtype=np.int64)
    for k, p in enumerate(patches):
        if p.data.size:
            out[k] = (p.y0, p.x0, p.y1, p.x1)
    return out


def areas(patches: Sequence[MaskPatch]) -> np.ndarray:
    return np.array([p.area for p in patches], dtype=np.int64)


def intersections(a: Sequence[MaskPatch], b: Sequence[MaskPatch]) -> np.ndarray:
    """(len(a), len(b)) int64 matrix of shared pixel counts."""
    out = np.zeros((len(a), len(b)), dtype=np.int64)
    if not len(a) or not len(b):
        return out
    ba, bb = boxes(a), boxes(b)
    y0 = np.maximum(ba[:, None, 0], bb[None, :, 0])
    x0 = np.maximum(ba[:, None, 1], bb[None, :, 1])
    y1 = np.minimum(ba[:, None, 2], bb[None, :, 2])
    x1 = np.minimum(ba[:, None, 3], bb[None, :, 3])
    for i, j in zip(*np.nonzero((y1 > y0) & (x1 > x0))):
        pa, pb = a[i], b[j]
        ty0, tx0, ty1, tx1 = int(y0[i, j]), int(x0[i, j]), int(y1[i, j]), int(x1[i, j])
        wa = pa.data[ty0 - pa.y0 : ty1 - pa.y0, tx0 - pa.x0 : tx1 - pa.x0]
        wb = pb.data[ty0 - pb.y0 : ty1 - pb.y0, tx0 - pb.x0 : tx1 - pb.x0]
        out[i, j] = np.count_nonzero(wa & wb)
    return out


def iou_from_counts(
    inter: np.ndarray, area_a: np.ndarray, area_b: np.ndarray, crowd_b: np.ndarray | None = None
) -> np.ndarray:
    """IoU of rows (a) against columns (b); for a crowd column: intersection / area(a).

    The same double division pycocotools does, so the values are bit-identical.
    """
    inter = np.asarray(inter, dtype=np.float64)
    union = area_a[:, None].astype(np.float64) + area_b[None, :] - inter
    if crowd_b is not None and np.any(crowd_b):
        union = np.where(np.asarray(crowd_b, bool)[None, :], area_a[:, None].astype(np.float64), union)
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(inter > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return iou


def iou_matrix(a: Sequence[MaskPatch], b: Sequence[MaskPatch]) -> np.ndarray:
    return iou_from_counts(intersections(a, b), areas(a), areas(b))
