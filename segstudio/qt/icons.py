"""Tool and action icons drawn with QPainter (own artwork, crisp at any size, no icon-set files)."""

from __future__ import annotations

import math
from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

INK = QColor(226, 229, 235)
ACCENT = QColor(80, 170, 255)


def _pen(width: float = 1.8, color: QColor = INK) -> QPen:
    pen = QPen(color, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def _draw(name: str, p: QPainter) -> None:
    """Draw icon `name` on a 24x24 canvas."""
    p.setPen(_pen())
    p.setBrush(Qt.BrushStyle.NoBrush)
    if name == "select":
        arrow = QPolygonF([QPointF(6, 3), QPointF(6, 19), QPointF(10, 15), QPointF(13, 21), QPointF(15, 20), QPointF(12, 14), QPointF(18, 14)])
        p.setBrush(INK)
        p.drawPolygon(arrow)
    elif name in ("brush", "eraser"):
        if name == "brush":
            p.setBrush(ACCENT)
            p.drawEllipse(QRectF(4, 13, 8, 8))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawLine(QPointF(10, 14), QPointF(20, 4))
        else:
            p.save()
            p.translate(12, 12)
            p.rotate(-45)
            p.drawRect(QRectF(-8, -4.5, 16, 9))
            p.setBrush(QColor(240, 110, 110))
            p.drawRect(QRectF(-8, -4.5, 6, 9))
            p.restore()
            p.drawLine(QPointF(4, 21), QPointF(20, 21))
    elif name == "polygon":
        pts = [QPointF(4, 18), QPointF(8, 5), QPointF(19, 8), QPointF(16, 19)]
        p.drawPolygon(QPolygonF(pts))
        p.setBrush(ACCENT)
        for q in pts:
            p.drawRect(QRectF(q.x() - 2, q.y() - 2, 4, 4))
    elif name == "rectangle":
        p.drawRect(QRectF(4, 6, 16, 12))
    elif name == "ellipse":
        p.drawEllipse(QRectF(3, 6, 18, 12))
    elif name == "lasso":
        path = QPainterPath(QPointF(6, 16))
        path.cubicTo(0, 6, 18, 0, 20, 9)
        path.cubicTo(21, 15, 12, 17, 8, 15)
        path.cubicTo(6, 18, 9, 21, 7, 22)
        p.drawPath(path)
    elif name == "wand":
        p.drawLine(QPointF(4, 20), QPointF(15, 9))
        p.setPen(_pen(1.6, ACCENT))
        for a, b in (((17, 2), (17, 6)), ((15, 4), (19, 4)), ((20, 9), (22, 9)), ((12, 3), (13, 4))):
            p.drawLine(QPointF(*a), QPointF(*b))
    elif name == "vertex":
        path = QPainterPath(QPointF(4, 18))
        path.lineTo(10, 6)
        path.lineTo(20, 14)
        p.drawPath(path)
        p.setBrush(ACCENT)
        for x, y in ((4, 18), (10, 6), (20, 14)):
            p.drawRect(QRectF(x - 2.5, y - 2.5, 5, 5))
    elif name in ("undo", "redo"):
        if name == "redo":
            p.translate(24, 0)
            p.scale(-1, 1)
        path = QPainterPath(QPointF(8, 8))
        path.lineTo(16, 8)
        path.cubicTo(22, 8, 22, 18, 16, 18)
        path.lineTo(9, 18)
        p.drawPath(path)
        p.drawPolyline(QPolygonF([QPointF(11, 4), QPointF(7, 8), QPointF(11, 12)]))
    elif name == "fit":
        for a, b, c in (((4, 9), (4, 4), (9, 4)), ((15, 4), (20, 4), (20, 9)), ((20, 15), (20, 20), (15, 20)), ((9, 20), (4, 20), (4, 15))):
            p.drawPolyline(QPolygonF([QPointF(*a), QPointF(*b), QPointF(*c)]))
    elif name == "overlay":
        p.setBrush(QColor(80, 170, 255, 120))
        p.drawRect(QRectF(3, 7, 12, 12))
        p.setBrush(QColor(240, 130, 60, 140))
        p.drawRect(QRectF(9, 4, 12, 12))
    elif name in ("next", "prev"):
        if name == "prev":
            p.translate(24, 0)
            p.scale(-1, 1)
        p.drawPolyline(QPolygonF([QPointF(9, 5), QPointF(16, 12), QPointF(9, 19)]))
    elif name == "accept":
        p.setPen(_pen(2.4, QColor(90, 210, 120)))
        p.drawPolyline(QPolygonF([QPointF(5, 12), QPointF(10, 17), QPointF(19, 6)]))
    elif name == "discard":
        p.setPen(_pen(2.4, QColor(240, 100, 100)))
        p.drawLine(QPointF(6, 6), QPointF(18, 18))
        p.drawLine(QPointF(18, 6), QPointF(6, 18))
    elif name in ("ai_click", "ai_box"):
        if name == "ai_click":  # a pointer clicking, with a spark
            arrow = QPolygonF([QPointF(9, 8), QPointF(9, 22), QPointF(12.5, 18.5), QPointF(15, 23), QPointF(17, 22), QPointF(14.5, 17.5), QPointF(19, 17.5)])
            p.setBrush(INK)
            p.drawPolygon(arrow)
        else:  # a dashed box, with a spark
            dashed = _pen(1.6)
            dashed.setDashPattern([2.0, 1.6])
            p.setPen(dashed)
            p.drawRect(QRectF(4, 8, 15, 12))
        _spark(p, QPointF(18, 6), 4.5)
    else:
        p.drawEllipse(QRectF(6, 6, 12, 12))


def _spark(p: QPainter, c: QPointF, r: float) -> None:
    """A four-pointed star: the mark of the AI tools."""
    star = QPolygonF()
    for k in range(8):
        radius = r if k % 2 == 0 else r * 0.32
        angle = k * math.pi / 4
        star.append(QPointF(c.x() + radius * math.cos(angle), c.y() - radius * math.sin(angle)))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(ACCENT)
    p.drawPolygon(star)


def render(name: str, size: int = 24) -> QPixmap:
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(size / 24.0, size / 24.0)
    _draw(name, p)
    p.end()
    return pm


@cache
def icon(name: str) -> QIcon:
    ic = QIcon()
    for size in (16, 24, 32, 48):
        ic.addPixmap(render(name, size))
    return ic


NAMES = ("select", "brush", "eraser", "polygon", "rectangle", "ellipse", "lasso", "wand", "vertex",
         "undo", "redo", "fit", "overlay", "next", "prev", "accept", "discard", "ai_click", "ai_box")


def export(folder: str, size: int = 48) -> list[str]:
    """Write every icon as a PNG (for docs and packaging); the app draws them at run time."""
    from pathlib import Path

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in NAMES:
        path = out / f"{name}.png"
        render(name, size).save(str(path))
        paths.append(str(path))
    return paths


if __name__ == "__main__":  # python -m segstudio.qt.icons segstudio/resources/icons/tools
    import sys

    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication(sys.argv[:1])
    print("\n".join(export(sys.argv[1] if len(sys.argv) > 1 else "segstudio/resources/icons/tools")))
