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


def _rgba(color: tuple[int, int, int], alpha: int) -> np.uint32:
    """One RGBA pixel as the uint32 it is in memory, so masks fill with a scalar (fast)."""
    return np.frombuffer(bytes((*color, alpha)), np.uint32)[0]


def _canvas(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    out = np.zeros((*shape, 4), np.uint8)
    return out, out.view(np.uint32).reshape(shape)


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
    out, px = _canvas(shape)
    fill, line = _rgba(color, fill_alpha), _rgba(color, 255)
    for inst in instances:
        if skip and inst.id in skip:
            continue
        m = inst.mask
        if not m.data.size:
            continue
        region = px[m.y0 : m.y1, m.x0 : m.x1]
        region[m.data] = fill
        region[_outline(m.data, thickness)] = line
    return out


def focus_layer(shape: tuple[int, int], instances: Iterable[Instance], thickness: int = 2) -> np.ndarray:
    """A bright outline around the instances of the current review item."""
    out, px = _canvas(shape)
    for inst in instances:
        m = inst.mask
        if m.data.size:
            px[m.y0 : m.y1, m.x0 : m.x1][_outline(m.data, thickness)] = _rgba(FOCUS_RGB, 255)
    return out


def _window(shape: tuple[int, int], instances: Iterable[Instance]) -> tuple[int, int, int, int]:
    boxes = [(i.mask.y0, i.mask.x0, i.mask.y1, i.mask.x1) for i in instances if i.mask.data.size]
    if not boxes:
        return (0, 0, 0, 0)
    b = np.array(boxes)
    return int(b[:, 0].min()), int(b[:, 1].min()), int(b[:, 2].max()), int(b[:, 3].max())


def category_map(
    shape: tuple[int, int], instances: Iterable[Instance], by_score: bool = False,
    window: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """Map of the top-most instance's category id (0 = none), over `window` (y0, x0, y1, x1)."""
    y0, x0, y1, x1 = window if window is not None else (0, 0, *shape)
    items = list(instances)
    wide = any(i.category_id > 65535 for i in items)
    out = np.zeros((y1 - y0, x1 - x0), np.int64 if wide else np.uint16)
    if by_score:
        items.sort(key=lambda i: -np.inf if i.score is None else i.score)
    for inst in items:
        m = inst.mask
        if m.data.size:
            out[m.y0 - y0 : m.y1 - y0, m.x0 - x0 : m.x1 - x0][m.data] = inst.category_id
    return out


def difference_layer(shape: tuple[int, int], gt: Iterable[Instance], pred: Iterable[Instance]) -> np.ndarray:
    """Agreement, false-positive, false-negative and class-confusion pixels in four colours
    (worked out over the window holding the instances only)."""
    gt, pred = list(gt), list(pred)
    win = _window(shape, gt + pred)
    out, px = _canvas(shape)
    if win[2] <= win[0] or win[3] <= win[1]:
        return out
    g = category_map(shape, gt, window=win)
    p = category_map(shape, pred, by_score=True, window=win)
    view = px[win[0] : win[2], win[1] : win[3]]
    gp, pp = g > 0, p > 0
    both = gp & pp
    same = g == p
    view[both & same] = _rgba(AGREE_RGB, DIFF_ALPHA)
    view[both & ~same] = _rgba(CONFUSED_RGB, DIFF_ALPHA)
    view[pp & ~gp] = _rgba(FP_RGB, DIFF_ALPHA)
    view[gp & ~pp] = _rgba(FN_RGB, DIFF_ALPHA)
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
    out, px = _canvas(shape)
    items = list(instances)
    if by_score:
        items.sort(key=lambda i: -np.inf if i.score is None else i.score)
    for inst in items:
        m = inst.mask
        if m.data.size:
            color = colors.get(inst.category_id, (200, 200, 200))
            region = px[m.y0 : m.y1, m.x0 : m.x1]
            region[m.data] = _rgba(color, alpha)
            region[_outline(m.data, 1)] = _rgba(color, 255)
    return out


def split_layer(left: np.ndarray, right: np.ndarray, x: float) -> np.ndarray:
    """`left` before column x, `right` from it, with a thin white divider line."""
    w = left.shape[1]
    cut = int(round(min(max(x, 0), w)))
    out = np.empty_like(right)
    out[:, cut:] = right[:, cut:]
    out[:, :cut] = left[:, :cut]
    if 0 <= cut < w:
        out[:, cut] = (255, 255, 255, 255)
    return out
