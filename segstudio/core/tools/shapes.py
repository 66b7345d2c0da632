"""Shape tools: rectangle, ellipse (drag a box), lasso (freehand) and polygon (click vertices).

Each finished shape is rasterised and committed through `commit_shape` (new instance / add /
subtract / intersect per the options).  Holding Alt (or using the right button for box tools)
subtracts: that is how holes are cut.  Rectangles and ellipses take the pixels whose centres
lie inside; polygons are rasterised as pycocotools does (what COCO, CVAT and YOLO readers use),
so a new instance keeps its shape as drawn (`core.drawn`) and exports write those vertices.
"""

from __future__ import annotations

import numpy as np

from segstudio.core.drawn import DrawnShape
from segstudio.core.masks import MaskPatch, Shape
from segstudio.core.shape_raster import box_patch, coco_polygon_patch, ellipse_patch
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

# Drawn vertices are kept on a 1/5-pixel grid, pycocotools' own: it rounds every vertex to it
# (x * 5 + 0.5, truncated), so nothing is lost, and vertices on the grid are never on its
# rounding ties (x * 5 = n + 0.5), where translating a polygon or writing it as text could flip
# a row of pixels.
VERTEX_GRID = 5


def snap(values) -> np.ndarray:
    return np.round(np.asarray(values, np.float64) * VERTEX_GRID) / VERTEX_GRID


def rect_mask(p0: tuple[float, float], p1: tuple[float, float], shape: Shape) -> MaskPatch:
    """Pixels whose centres lie inside the box spanned by two image points."""
    return box_patch(p0[0], p0[1], p1[0], p1[1], 0.0, shape)


def ellipse_mask(p0: tuple[float, float], p1: tuple[float, float], shape: Shape) -> MaskPatch:
    """Pixels whose centres lie inside the ellipse inscribed in the box of two points."""
    x0, x1 = sorted((p0[0], p1[0]))
    y0, y1 = sorted((p0[1], p1[1]))
    if x1 - x0 < 1 or y1 - y0 < 1:
        return MaskPatch.empty(shape)
    return ellipse_patch((x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2, 0.0, shape)


def polygon_mask(points: np.ndarray, shape: Shape) -> MaskPatch:
    """A user polygon (image coordinates, pixel corners at integers) as pycocotools rasterises it."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    if len(pts) < 3:
        return MaskPatch.empty(shape)
    return coco_polygon_patch([pts.ravel().tolist()], shape)


def drawn_polygon(points: np.ndarray, shape: Shape) -> tuple[MaskPatch, DrawnShape]:
    """The polygon as kept (vertices on the VERTEX_GRID) and the mask made from exactly those."""
    pts = snap(np.asarray(points, np.float64).reshape(-1, 2))
    mask = polygon_mask(pts, shape)
    return mask, DrawnShape.polygon([pts], "coco", mask.area)


def drawn_box(kind: str, p0, p1, shape: Shape) -> tuple[MaskPatch, DrawnShape | None]:
    """A rectangle (kept as the pixel box it covers) or an ellipse (kept as drawn) and its mask."""
    if kind == "ellipse":
        x0, x1 = sorted(float(v) for v in snap([p0[0], p1[0]]))
        y0, y1 = sorted(float(v) for v in snap([p0[1], p1[1]]))
        mask = ellipse_mask((x0, y0), (x1, y1), shape)
        drawn = DrawnShape.ellipse((x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2,
                                   area=mask.area)
        return mask, drawn
    mask = rect_mask(p0, p1, shape)
    if mask.is_empty:
        return mask, None
    # the corners of the pixels it covers: the same mask, and integers every format keeps exactly
    return mask, DrawnShape.rectangle(mask.x0, mask.y0, mask.x1, mask.y1, area=mask.area)


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
        mask, drawn = drawn_box(self.kind, p0, p1, doc.image_shape)
        commit_shape(self.ctx, mask, self.label, op, drawn)
        return True

    def cancel(self) -> None:
        self._p0 = self._p1 = None
        self._notify()

    def preview(self) -> list[PreviewShape]:
        if self._p0 is None or self._p1 is None:
            return []
        role = "subtract" if self._op == "subtract" else "add"
        return [PreviewShape(self.kind, np.array([self._p0, self._p1]), role)]



class RectangleTool(_BoxTool):
    name, label, kind = "rectangle", "Rectangle", "rect"


class EllipseTool(_BoxTool):
    name, label, kind = "ellipse", "Ellipse", "ellipse"


class _OutlineTool(BaseTool):
    """A tool that collects an outline's points and commits the closed polygon."""

    def __init__(self) -> None:
        super().__init__()
        self._pts: list[tuple[float, float]] = []
        self._op: str | None = None

    def _commit_outline(self) -> None:
        """Commit the points gathered so far as a polygon (three at least) and start afresh."""
        pts, op = np.array(self._pts), self._op
        self.cancel()
        doc = self._document()
        if doc is not None and self.ctx is not None and len(pts) >= 3:
            mask, drawn = drawn_polygon(pts, doc.image_shape)
            commit_shape(self.ctx, mask, self.label, op, drawn)

    def cancel(self) -> None:
        self._pts = []
        self._notify()


class LassoTool(_OutlineTool):
    """Freehand outline while the button is held; closes on release."""

    name, label = "lasso", "Lasso"
    min_step = 0.75  # image pixels between recorded points

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
        self._commit_outline()
        return True

    def preview(self) -> list[PreviewShape]:
        if len(self._pts) < 2:
            return []
        role = "subtract" if self._op == "subtract" else "add"
        return [PreviewShape("polyline", np.array(self._pts), role)]


class PolygonTool(_OutlineTool):
    """Click vertices; close by clicking the first vertex, double-click or Enter.
    Backspace removes the last vertex, Esc abandons; Alt on the first click subtracts (cuts holes)."""

    name, label = "polygon", "Polygon"
    close_radius = 6.0  # in image pixels; the host may scale it with the zoom

    def __init__(self) -> None:
        super().__init__()
        self._hover: tuple[float, float] | None = None

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
        self._commit_outline()
        return True

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
    "drawn_box",
    "drawn_polygon",
    "ellipse_mask",
    "polygon_mask",
    "rect_mask",
]
