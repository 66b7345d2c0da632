"""The draggable divider of the split view: a thin handle over the canvas viewport.

It follows zoom and pan (it is re-placed from the image x whenever the view
changes) and reports the image column under it while dragged.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter
from PySide6.QtWidgets import QWidget

WIDTH = 9


class SplitDivider(QWidget):
    moved = Signal(float)  # image x of the divider

    def __init__(self, canvas) -> None:
        super().__init__(canvas.viewport())
        self.canvas = canvas
        self.image_x = 0.0
        self._drag = False
        self.setCursor(Qt.CursorShape.SplitHCursor)
        self.setToolTip("Drag to move the split between ground truth (left) and prediction (right)")
        canvas.viewport().installEventFilter(self)
        canvas.horizontalScrollBar().valueChanged.connect(self.place)
        canvas.verticalScrollBar().valueChanged.connect(self.place)
        canvas.zoom_changed.connect(self.place)
        self.hide()

    def set_image_x(self, x: float) -> None:
        self.image_x = float(x)
        self.place()

    def place(self, *_args) -> None:
        vp = self.canvas.viewport()
        pt = self.canvas.image_to_view(self.image_x, 0)
        self.setGeometry(int(round(pt.x())) - WIDTH // 2, 0, WIDTH, vp.height())
        self.raise_()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.place()
        return False

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(0, 0, 0, 60))
        p.fillRect(WIDTH // 2 - 1, 0, 2, self.height(), QColor(255, 255, 255, 230))
        p.setBrush(QColor(255, 255, 255))
        p.drawEllipse(QPointF(WIDTH / 2, self.height() / 2), WIDTH / 2 - 0.5, WIDTH / 2 - 0.5)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag = True
            event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if not self._drag:
            return
        pos = self.mapToParent(event.position().toPoint())
        x, _ = self.canvas.view_to_image(QPointF(pos))
        shape = self.canvas.image_shape()
        if shape is not None:
            x = min(max(0.0, x), float(shape[1]))
        self.image_x = x
        self.place()
        self.moved.emit(x)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = False
