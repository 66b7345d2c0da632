"""Zoomed saliency for the built-in click model: the salient-object network looked at the object.

A salient-object network run on the whole image finds "the" subject of the photo, which is often
not the object being annotated.  Run on a crop around the object the user is building (the current
mask and positive clicks, plus a margin), the same network sees that object as the subject and
returns an edge-accurate mask for it, far better at the boundary than colour GrabCut.  The clicks
decide whether to trust it: a zoomed mask that contradicts more than a few clicks is not used.

Everything here is pure numpy/OpenCV over a saliency callable; the model class owns the policy.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from segstudio.core.tasks import CancelToken
from segstudio.inference.base import Click
from segstudio.inference.click_geometry import mask_extent

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive), image pixels


def zoom_box(mask: np.ndarray, clicks: Sequence[Click], margin: float) -> Box | None:
    """Box around the mask and the positive clicks, grown by `margin` of its size on each side."""
    H, W = mask.shape
    pos = [c for c in clicks if c.positive]
    xs_c = [min(max(c.x, 0.0), W - 1.0) for c in pos]
    ys_c = [min(max(c.y, 0.0), H - 1.0) for c in pos]
    extent = mask_extent(mask)
    if extent is not None:
        xs_c += [extent[0], extent[2]]
        ys_c += [extent[1], extent[3]]
    if not xs_c:
        return None
    x0, x1, y0, y1 = min(xs_c), max(xs_c) + 1, min(ys_c), max(ys_c) + 1
    mx, my = margin * (x1 - x0) + 8, margin * (y1 - y0) + 8
    return (
        int(max(0, x0 - mx)), int(max(0, y0 - my)),
        int(min(W, np.ceil(x1 + mx))), int(min(H, np.ceil(y1 + my))),
    )


class ZoomedSaliency:
    """Saliency of image crops, with a small cache: consecutive clicks often share a box."""

    def __init__(
        self, saliency: Callable[[np.ndarray, CancelToken | None], np.ndarray], size: int = 4
    ) -> None:
        self._saliency = saliency
        self._cache: OrderedDict[Box, np.ndarray] = OrderedDict()
        self._size = size

    def clear(self) -> None:
        self._cache.clear()

    def __call__(self, image: np.ndarray, box: Box, cancel: CancelToken | None = None) -> np.ndarray:
        """Saliency in [0, 1] of image[box], at the crop's size."""
        hit = self._cache.get(box)
        if hit is not None:
            self._cache.move_to_end(box)
            return hit
        x0, y0, x1, y1 = box
        crop = np.ascontiguousarray(image[y0:y1, x0:x1])
        prob = self._saliency(crop, cancel)
        if prob.shape != crop.shape[:2]:
            prob = cv2.resize(prob, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
        self._cache[box] = prob
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return prob


def candidate(
    prob: np.ndarray, box: Box, shape: tuple[int, int], clicks: Sequence[Click], threshold: float
) -> np.ndarray:
    """The zoomed saliency as a full-image mask: its parts that hold a positive click."""
    H, W = shape
    x0, y0, x1, y1 = box
    mask = np.zeros((H, W), bool)
    mask[y0:y1, x0:x1] = prob > threshold
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return mask
    hit = {int(labels[row(c, H), col(c, W)]) for c in clicks if c.positive} - {0}
    return np.isin(labels, list(hit)) if hit else mask


def violated(mask: np.ndarray, clicks: Sequence[Click]) -> list[Click]:
    """The clicks whose pixel does not carry the label they ask for."""
    H, W = mask.shape
    return [c for c in clicks if bool(mask[row(c, H), col(c, W)]) != c.positive]


def correct(
    mask: np.ndarray,
    clicks: Sequence[Click],
    fix: Callable[[np.ndarray, list[Click]], np.ndarray],
    passes: int = 3,
) -> np.ndarray:
    """Apply `fix(mask, clicks_with_the_violated_one_last)` for each violated click until the
    mask agrees with every click (or `passes` rounds are spent; the caller enforces click disks)."""
    for _ in range(passes):
        bad = violated(mask, clicks)
        if not bad:
            break
        for c in bad:
            if violated(mask, [c]):
                mask = fix(mask, [k for k in clicks if k is not c] + [c])
    return mask


def row(c: Click, H: int) -> int:
    return int(min(max(round(c.y), 0), H - 1))


def col(c: Click, W: int) -> int:
    return int(min(max(round(c.x), 0), W - 1))
