"""Status bar: cursor position, pixel value, zoom, image index, saved state."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QLabel, QStatusBar


def pixel_text(data: np.ndarray | None, x: int, y: int) -> str:
    if data is None or not (0 <= y < data.shape[0] and 0 <= x < data.shape[1]):
        return ""
    v = data[y, x]
    if np.ndim(v) == 0:
        return f"value {v}"
    names = "RGBA" if len(v) in (3, 4) else "c" * len(v)
    return " ".join(f"{n} {int(c) if np.issubdtype(data.dtype, np.integer) else float(c):g}" for n, c in zip(names, v))


def pixel_under_pointer(canvas) -> tuple[int, int] | None:
    """The image pixel under the resting pointer, read again: a new image (or zoom) puts another
    pixel there, and the read-out kept the previous image's value until the mouse moved."""
    vp, shape = canvas.viewport(), canvas.image_shape()
    at = vp.mapFromGlobal(QCursor.pos())
    if shape is None or not vp.isVisible() or not vp.rect().contains(at):
        return None
    x, y = (math.floor(v) for v in canvas.view_to_image(at))
    return (x, y) if 0 <= x < shape[1] and 0 <= y < shape[0] else None


class StatusBar(QStatusBar):
    def __init__(self) -> None:
        super().__init__()
        self.position = QLabel()
        self.pixel = QLabel()
        self.zoom = QLabel()
        self.index = QLabel()
        self.saved = QLabel()
        for w, width in ((self.position, 110), (self.pixel, 170), (self.zoom, 70), (self.index, 90), (self.saved, 130)):
            w.setMinimumWidth(width)
            self.addPermanentWidget(w)

    def show_cursor(self, pos: tuple[int, int] | None, data: np.ndarray | None) -> None:
        if pos is None:
            self.position.setText("")
            self.pixel.setText("")
            return
        x, y = pos
        self.position.setText(f"x {x}  y {y}")
        self.pixel.setText(pixel_text(data, x, y))

    def show_zoom(self, zoom: float) -> None:
        self.zoom.setText(f"{zoom * 100:.0f}%" if zoom >= 0.1 else f"{zoom * 100:.1f}%")

    def show_index(self, i: int | None, n: int) -> None:
        self.index.setText("" if i is None else f"{i + 1} / {n}")

    def show_saved(self, ok: bool, text: str | None = None) -> None:
        self.saved.setText(text or ("● All changes saved" if ok else "● Not saved"))
        self.saved.setStyleSheet("color: #5ac878;" if ok else "color: #f06464;")
