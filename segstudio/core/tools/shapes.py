"""Shape tools: rectangle, ellipse (drag a box), lasso (freehand) and polygon (click vertices).

Each finished shape is rasterised with the pixel-centre rule and committed through
`commit_shape` (new instance / add / subtract / intersect per the options).  Holding
Alt (or using the right button for box tools) subtracts: that is how holes are cut.
"""

from __future__ import annotations

import numpy as np

from segstudio.core.geometry import fill_polygon
from segstudio.core.masks import MaskPatch, Shape
from segstudio.core.tools.apply import commit_shape
from segstudio.core.tools.base import (
    KEY_BACKSPACE,
    KEY_ENTER,
    KEY_ESCAPE,
    BaseTool,
    Buttons,
    Mods,
    PreviewShape,
)


def rect_mask(p0: tuple[float, float], p1: tuple[float, float], shape: Shape) -> MaskPatch:
    """Pixels whose centres lie inside the box spanned by two image points."""
    x0, x1 = sorted((p0[0], p1[0]))
    y0, y1 = sorted((p0[1], p1[1]))
    c0, c1 = int(np.ceil(x0 - 0.5)), int(np.floor(x1 - 0.5)) + 1
    r0, r1 = int(np.ceil(y0 - 0.5)), int(np.floor(y1 - 0.5)) + 1
    if c1 <= c0 or r1 <= r0:
        return MaskPatch.empty(shape)
    return MaskPatch.from_window(np.ones((r1 - r0, c1 - c0), bool), r0, c0, shape)


def ellipse_mask(p0: tuple[float, float], p1: tuple[float, float], shape: Shape) -> MaskPatch:
    """Pixels whose centres lie inside the ellipse inscribed in the box of two points."""
    x0, x1 = sorted((p0[0], p1[0]))
    y0, y1 = sorted((p0[1], p1[1]))
    if x1 - x0 < 1 or y1 - y0 < 1:
        return MaskPatch.empty(shape)
    c0, r0 = int(np.floor(x0)), int(np.floor(y0))
    c1, r1 = int(np.ceil(x1)), int(np.ceil(y1))
    yy, xx = np.mgrid[r0:r1, c0:c1]
    cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    inside = ((xx + 0.5 - cx) / rx) ** 2 + ((yy + 0.5 - cy) / ry) ** 2 <= 1.0
    return MaskPatch.from_window(inside, r0, c0, shape)


def polygon_mask(points: np.ndarray, shape: Shape) -> MaskPatch:
    """A user polygon (image coordinates, pixel corners at integers) as a patch, boundary included."""
    pts = np.asarray(points, np.float64) - 0.5  # to pixel-centre coordinates
    if len(pts) < 3:
        return MaskPatch.empty(shape)
    # Plain ints: numpy integers would reach SQLite as blobs through MaskPatch offsets.
    x0, y0 = (max(0, int(v)) for v in np.floor(pts.min(axis=0)))
    x1, y1 = (int(v) + 1 for v in np.ceil(pts.max(axis=0)))
    x1, y1 = min(shape[1], x1), min(shape[0], y1)
    if x1 <= x0 or y1 <= y0:
        return MaskPatch.empty(shape)
    win = fill_polygon(pts - [x0, y0], (y1 - y0, x1 - x0))
    return MaskPatch.from_window(win, y0, x0, shape)


def _op(buttons: Buttons, mods: Mods) -> str | None:
    if mods & Mods.ALT or buttons & Buttons.RIGHT:
        return "subtract"
    if mods & Mods.SHIFT and mods & Mods.CTRL:
        return "intersect"
    return None


class _BoxTool(BaseTool):
    kind = "rect"

    def __init__(self) -> None:
        super().__init__()
        self._p0: tuple[float, float] | None = None
        self._p1: tuple[float, float] | None = None
        self._op: str | None = None

    def press(self, x, y, buttons, modifiers) -> bool:
        if self._document() is None or not (buttons & (Buttons.LEFT | Buttons.RIGHT)):
            return False
        self._p0 = self._p1 = (x, y)
        self._op = _op(buttons, modifiers)
        self._notify()
        return True

    def move(self, x, y, buttons, modifiers) -> bool:
        if self._p0 is None:
            return False
        if modifiers & Mods.SHIFT and not modifiers & Mods.CTRL:  # square / circle
            s = max(abs(x - self._p0[0]), abs(y - self._p0[1]))
            x = self._p0[0] + np.sign(x - self._p0[0]) * s
            y = self._p0[1] + np.sign(y - self._p0[1]) * s
        self._p1 = (x, y)
        self._notify()
        return True

    def release(self, x, y, buttons, modifiers) -> bool:
        if self._p0 is None:
            return False
        self.move(x, y, buttons, modifiers)
        doc = self._document()
        p0, p1, op = self._p0, self._p1, self._op
        self._p0 = self._p1 = None
        self._notify()
        if doc is None or p1 is None or self.ctx is None:
            return True
        mask = self.rasterise(p0, p1, doc.image_shape)
        commit_shape(self.ctx, mask, self.label, op)
        return True

    def cancel(self) -> None:
        self._p0 = self._p1 = None
        self._notify()

    def preview(self) -> list[PreviewShape]:
        if self._p0 is None or self._p1 is None:
            return []
        role = "subtract" if self._op == "subtract" else "add"
        return [PreviewShape(self.kind, np.array([self._p0, self._p1]), role)]

    def rasterise(self, p0, p1, shape: Shape) -> MaskPatch:
        return rect_mask(p0, p1, shape)


class RectangleTool(_BoxTool):
    name, label, kind = "rectangle", "Rectangle", "rect"


class EllipseTool(_BoxTool):
    name, label, kind = "ellipse", "Ellipse", "ellipse"

    def rasterise(self, p0, p1, shape: Shape) -> MaskPatch:
        return ellipse_mask(p0, p1, shape)


class LassoTool(BaseTool):
    """Freehand outline while the button is held; closes on release."""

    name, label = "lasso", "Lasso"
    min_step = 0.75  # image pixels between recorded points

    def __init__(self) -> None:
        super().__init__()
        self._pts: list[tuple[float, float]] = []
        self._op: str | None = None

    def press(self, x, y, buttons, modifiers) -> bool:
        if self._document() is None or not (buttons & (Buttons.LEFT | Buttons.RIGHT)):
            return False
        self._pts = [(x, y)]
        self._op = _op(buttons, modifiers)
        return True

    def move(self, x, y, buttons, modifiers) -> bool:
        if not self._pts:
            return False
        lx, ly = self._pts[-1]
        if abs(x - lx) + abs(y - ly) >= self.min_step:
            self._pts.append((x, y))
            self._notify()
        return True

    def release(self, x, y, buttons, modifiers) -> bool:
        if not self._pts:
            return False
        self._pts.append((x, y))
        pts, op = np.array(self._pts), self._op
        self._pts = []
        self._notify()
        doc = self._document()
        if doc is not None and self.ctx is not None and len(pts) >= 3:
            commit_shape(self.ctx, polygon_mask(pts, doc.image_shape), self.label, op)
        return True

    def cancel(self) -> None:
        self._pts = []
        self._notify()

    def preview(self) -> list[PreviewShape]:
        if len(self._pts) < 2:
            return []
        role = "subtract" if self._op == "subtract" else "add"
        return [PreviewShape("polyline", np.array(self._pts), role)]


class PolygonTool(BaseTool):
    """Click vertices; close by clicking the first vertex, double-click or Enter.
    Backspace removes the last vertex, Esc abandons; Alt on the first click subtracts (cuts holes)."""

    name, label = "polygon", "Polygon"
    close_radius = 6.0  # in image pixels; the host may scale it with the zoom

    def __init__(self) -> None:
        super().__init__()
        self._pts: list[tuple[float, float]] = []
        self._hover: tuple[float, float] | None = None
        self._op: str | None = None

    @property
    def drawing(self) -> bool:
        return bool(self._pts)

    def press(self, x, y, buttons, modifiers) -> bool:
        if self._document() is None:
            return False
        if buttons & Buttons.RIGHT:
            if self._pts:
                return self.finish()
            return False
        if not buttons & Buttons.LEFT:
            return False
        if not self._pts:
            self._op = _op(buttons, modifiers)
        elif len(self._pts) >= 3 and np.hypot(x - self._pts[0][0], y - self._pts[0][1]) <= self.close_radius:
            return self.finish()
        self._pts.append((x, y))
        self._notify()
        return True

    def move(self, x, y, buttons, modifiers) -> bool:
        self._hover = (x, y)
        if self._pts:
            self._notify()
        return bool(self._pts)

    def key(self, key: str, modifiers: Mods) -> bool:
        if not self._pts:
            return False
        if key == KEY_ENTER:
            return self.finish()
        if key == KEY_BACKSPACE:
            self._pts.pop()
            self._notify()
            return True
        if key == KEY_ESCAPE:
            self.cancel()
            return True
        return False

    def finish(self) -> bool:
        pts, op = np.array(self._pts), self._op
        self._pts = []
        self._notify()
        doc = self._document()
        if doc is None or self.ctx is None or len(pts) < 3:
            return True
        commit_shape(self.ctx, polygon_mask(pts, doc.image_shape), self.label, op)
        return True

    def cancel(self) -> None:
        self._pts = []
        self._notify()

    def preview(self) -> list[PreviewShape]:
        if not self._pts:
            return []
        role = "subtract" if self._op == "subtract" else "add"
        pts = list(self._pts) + ([self._hover] if self._hover else [])
        return [
            PreviewShape("polyline", np.array(pts), role),
            PreviewShape("handles", np.array(self._pts), "handle"),
        ]


def box_outline(p0, p1) -> np.ndarray:
    (x0, y0), (x1, y1) = p0, p1
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)


__all__ = [
    "EllipseTool",
    "LassoTool",
    "PolygonTool",
    "RectangleTool",
    "box_outline",
    "ellipse_mask",
    "polygon_mask",
    "rect_mask",
]
