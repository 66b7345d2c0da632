"""Vector previews of the active tool (outlines, handles, the brush cursor) in cosmetic pens."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from segstudio.core.tools.base import PreviewShape

_COLORS = {
    "add": QColor(255, 255, 255),
    "subtract": QColor(255, 80, 80),
    "cursor": QColor(255, 255, 255),
    "handle": QColor(255, 210, 0),
    "active": QColor(0, 230, 255),
}


def _poly(points: np.ndarray) -> QPolygonF:
    return QPolygonF([QPointF(float(x), float(y)) for x, y in points])


def shapes_bounds(shapes: list[PreviewShape]) -> QRectF:
    r = QRectF()
    for s in shapes:
        if len(s.points) == 0:
            continue
        lo = s.points.min(axis=0) - s.radius
        hi = s.points.max(axis=0) + s.radius
        r = r.united(QRectF(float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1])))
    return r


class PreviewItem(QGraphicsItem):
    def __init__(self) -> None:
        super().__init__()
        self.shapes: list[PreviewShape] = []
        self._bounds = QRectF()
        self.setZValue(10)

    def set_shapes(self, shapes: list[PreviewShape]) -> None:
        old = self._bounds
        self.shapes = shapes
        new = shapes_bounds(shapes)
        if new.isEmpty() and old.isEmpty() and not shapes:
            return
        self.prepareGeometryChange()
        self._bounds = new
        self.update(old.united(new).adjusted(-8, -8, 8, 8))

    def boundingRect(self) -> QRectF:
        # Handles are drawn a few screen pixels wide; keep a margin in image units.
        return self._bounds.adjusted(-64, -64, 64, 64) if not self._bounds.isNull() else QRectF()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        scale = max(1e-6, abs(painter.worldTransform().m11()))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for s in self.shapes:
            color = _COLORS.get(s.role, QColor(255, 255, 255))
            shadow = QPen(QColor(0, 0, 0, 160), 3)
            shadow.setCosmetic(True)
            pen = QPen(color, 1.5)
            pen.setCosmetic(True)
            if s.role == "subtract":
                pen.setStyle(Qt.PenStyle.DashLine)
            pts = s.points
            for p in (shadow, pen):
                painter.setPen(p)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                if s.kind == "polyline" and len(pts) >= 2:
                    painter.drawPolyline(_poly(pts))
                elif s.kind == "polygon" and len(pts) >= 2:
                    painter.drawPolygon(_poly(pts))
                elif s.kind in ("rect", "ellipse") and len(pts) == 2:
                    (x0, y0), (x1, y1) = pts
                    rect = QRectF(QPointF(x0, y0), QPointF(x1, y1)).normalized()
                    (painter.drawRect if s.kind == "rect" else painter.drawEllipse)(rect)
                elif s.kind == "circle" and len(pts):
                    c = QPointF(float(pts[0][0]), float(pts[0][1]))
                    painter.drawEllipse(c, s.radius, s.radius)
            if s.kind in ("handles", "point"):
                half = (3.5 if s.kind == "handles" else 5.0) / scale
                painter.setPen(QPen(QColor(0, 0, 0), 0))
                painter.setBrush(QBrush(color))
                for x, y in pts:
                    painter.drawRect(QRectF(x - half, y - half, 2 * half, 2 * half))
