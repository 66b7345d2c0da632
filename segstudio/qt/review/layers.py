"""Pure numpy RGBA layers for review mode (no Qt): prediction outlines, difference, split.

Drawn with `canvas.set_extra_layer(name, rgba, opacity)` over the image; the
ground truth stays the canvas's own overlay (the editable document).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import cv2
import numpy as np

from segstudio.core.instance import Instance

PRED_RGB = (255, 214, 0)  # predictions: yellow outlines with a light fill
FOCUS_RGB = (0, 255, 255)
AGREE_RGB = (60, 200, 90)
FP_RGB = (235, 60, 50)
FN_RGB = (40, 120, 255)
CONFUSED_RGB = (200, 70, 220)  # both sets cover the pixel, with different classes
DIFF_ALPHA = 160
_KERNEL = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))


def _outline(data: np.ndarray, thickness: int) -> np.ndarray:
    m = np.pad(data, 1).view(np.uint8)
    inner = cv2.erode(m, _KERNEL, iterations=max(1, thickness))
    return (m > inner)[1:-1, 1:-1] if data.size else data


def prediction_layer(
    shape: tuple[int, int],
    instances: Iterable[Instance],
    *,
    color: tuple[int, int, int] = PRED_RGB,
    fill_alpha: int = 50,
    thickness: int = 1,
    skip: set[int] | None = None,
) -> np.ndarray:
    """Outlines (opaque) and a faint fill of every prediction; rejected ones are left out."""
    out = np.zeros((*shape, 4), np.uint8)
    for inst in instances:
        if skip and inst.id in skip:
            continue
        m = inst.mask
        if not m.data.size:
            continue
        region = out[m.y0 : m.y1, m.x0 : m.x1]
        region[m.data] = (*color, fill_alpha)
        region[_outline(m.data, thickness)] = (*color, 255)
    return out


def focus_layer(shape: tuple[int, int], instances: Iterable[Instance], thickness: int = 2) -> np.ndarray:
    """A bright outline around the instances of the current review item."""
    out = np.zeros((*shape, 4), np.uint8)
    for inst in instances:
        m = inst.mask
        if m.data.size:
            out[m.y0 : m.y1, m.x0 : m.x1][_outline(m.data, thickness)] = (*FOCUS_RGB, 255)
    return out


def category_map(shape: tuple[int, int], instances: Iterable[Instance], by_score: bool = False) -> np.ndarray:
    """int32 map of the top-most instance's category id (0 = none)."""
    out = np.zeros(shape, np.int32)
    items = list(instances)
    if by_score:
        items.sort(key=lambda i: -np.inf if i.score is None else i.score)
    for inst in items:
        m = inst.mask
        if m.data.size:
            out[m.y0 : m.y1, m.x0 : m.x1][m.data] = inst.category_id
    return out


def difference_layer(shape: tuple[int, int], gt: Iterable[Instance], pred: Iterable[Instance]) -> np.ndarray:
    """Agreement, false-positive, false-negative and class-confusion pixels in four colours."""
    g = category_map(shape, gt)
    p = category_map(shape, pred, by_score=True)
    out = np.zeros((*shape, 4), np.uint8)
    both = (g > 0) & (p > 0)
    out[both & (g == p)] = (*AGREE_RGB, DIFF_ALPHA)
    out[both & (g != p)] = (*CONFUSED_RGB, DIFF_ALPHA)
    out[(p > 0) & (g == 0)] = (*FP_RGB, DIFF_ALPHA)
    out[(g > 0) & (p == 0)] = (*FN_RGB, DIFF_ALPHA)
    return out


def difference_counts(layer: np.ndarray) -> dict[str, int]:
    rgb = layer[..., :3]
    return {
        name: int(np.count_nonzero((rgb == color).all(axis=-1) & (layer[..., 3] > 0)))
        for name, color in (("agree", AGREE_RGB), ("fp", FP_RGB), ("fn", FN_RGB), ("confused", CONFUSED_RGB))
    }


def fill_layer(
    shape: tuple[int, int], instances: Iterable[Instance], colors: Mapping[int, tuple[int, int, int]], alpha: int = 140,
    by_score: bool = False,
) -> np.ndarray:
    """Instances filled with their category colours (used by the split view)."""
    out = np.zeros((*shape, 4), np.uint8)
    items = list(instances)
    if by_score:
        items.sort(key=lambda i: -np.inf if i.score is None else i.score)
    for inst in items:
        m = inst.mask
        if m.data.size:
            out[m.y0 : m.y1, m.x0 : m.x1][m.data] = (*colors.get(inst.category_id, (200, 200, 200)), alpha)
            out[m.y0 : m.y1, m.x0 : m.x1][_outline(m.data, 1)] = (*colors.get(inst.category_id, (200, 200, 200)), 255)
    return out


def split_layer(left: np.ndarray, right: np.ndarray, x: float) -> np.ndarray:
    """`left` before column x, `right` from it, with a thin white divider line."""
    w = left.shape[1]
    cut = int(round(min(max(x, 0), w)))
    out = right.copy()
    out[:, :cut] = left[:, :cut]
    if 0 <= cut < w:
        out[:, cut] = (255, 255, 255, 255)
    return out
