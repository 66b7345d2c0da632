"""Clipping polygons to a window far around the image, before a rasteriser sees them.

Rasterisers take vertices as C ints (pycocotools multiplies them by 5 first) and walk the whole
outline: a vertex at 1e12 overflows (a segfault in pycocotools), 1e7 on a 64x48 image costs
1.6 GB.  Polygons within one image size of the image (`far_window`) are left untouched, so
ordinary shapes rasterise exactly as the reference readers do; beyond it they are clipped to
that window (Sutherland-Hodgman), which changes nothing inside the image but the rasteriser's
rounding of the new vertices, a full image size away.
"""

from __future__ import annotations

import numpy as np


def far_window(shape: tuple[int, int]) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1): the image grown by one image size on every side."""
    h, w = shape
    f = float(max(h, w, 16))
    return (-f, -f, w + f, h + f)


def within(pts: np.ndarray, window: tuple[float, float, float, float]) -> bool:
    """Every vertex of the (n, 2) array inside the window."""
    if pts.size == 0:
        return True
    x0, y0, x1, y1 = window
    return bool(pts[:, 0].min() >= x0 and pts[:, 0].max() <= x1
                and pts[:, 1].min() >= y0 and pts[:, 1].max() <= y1)


def tame_polygon(pts: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The (n, 2) vertices, clipped to `far_window(shape)` when they reach beyond it (then
    possibly fewer than 3 vertices: the polygon lies outside the image)."""
    window = far_window(shape)
    if within(pts, window):
        return pts
    return clip_polygon(pts, window)


def clip_polygon(pts: np.ndarray, window: tuple[float, float, float, float]) -> np.ndarray:
    """Sutherland-Hodgman clipping of a polygon (n, 2) to an axis-aligned window.

    Works on self-intersecting polygons too: the parts outside are replaced by runs along the
    window's border, which keeps the parity (even-odd fill) of every point inside."""
    x0, y0, x1, y1 = window
    for axis, bound, keep_above in ((0, x0, True), (0, x1, False), (1, y0, True), (1, y1, False)):
        if len(pts) == 0:
            break
        nxt = np.roll(pts, -1, axis=0)
        if keep_above:
            p_in, q_in = pts[:, axis] >= bound, nxt[:, axis] >= bound
        else:
            p_in, q_in = pts[:, axis] <= bound, nxt[:, axis] <= bound
        # the crossing, interpolated from the edge's inside end: from the far end a vertex at
        # 1e30 would cancel every digit of the position near the window
        inner = np.where(p_in[:, None], pts, nxt)
        outer = np.where(p_in[:, None], nxt, pts)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            t = (bound - inner[:, axis]) / (outer[:, axis] - inner[:, axis])
            cross = inner + t[:, None] * (outer - inner)
        cross[:, axis] = bound
        # per edge p->q: up to two output vertices, [crossing, q], kept in edge order
        first = np.where((p_in != q_in)[:, None], cross, np.nan)
        second = np.where(q_in[:, None], nxt, np.nan)
        out = np.stack([first, second], axis=1).reshape(-1, 2)
        pts = out[np.isfinite(out).all(axis=1)]
    return np.clip(pts, (x0, y0), (x1, y1))  # exact already; a guarantee for the rasteriser
