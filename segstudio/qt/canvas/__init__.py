"""The mask canvas: a QGraphicsView over tiled image/overlay layers, driving Qt-free tools."""

from segstudio.qt.canvas.view import CanvasView

__all__ = ["CanvasView"]
