"""The scribble tool (Qt-free, follows segstudio.core.tools.base): paint strokes of the
current class; right button (or Shift) erases.  Each finished stroke goes into the
ScribbleSession and `stroke_done` tells the controller to re-fit and re-predict in the
background.  The tool never edits the document: accepting the prediction is a separate,
undoable command built by the controller."""

from __future__ import annotations

import numpy as np

from segstudio.core.events import Signal
from segstudio.core.tools.base import BaseTool, Buttons, Mods, PreviewShape
from segstudio.training.scribble.session import ScribbleSession


class ScribbleTool(BaseTool):
    name = "scribble"
    label = "Scribble classifier"

    def __init__(self, radius: float = 3.0) -> None:
        super().__init__()
        self.session: ScribbleSession | None = None
        self.class_index = 1
        self.radius = radius
        self._points: list[tuple[float, float]] = []
        self._erasing = False
        self._cursor: tuple[float, float] | None = None
        self.stroke_done = Signal()  # (session revision)

    def set_session(self, session: ScribbleSession | None) -> None:
        self.cancel()
        self.session = session

    def press(self, x: float, y: float, buttons: Buttons, modifiers: Mods) -> bool:
        if self.session is None or not buttons & (Buttons.LEFT | Buttons.RIGHT):
            return False
        self._erasing = bool(buttons & Buttons.RIGHT) or bool(modifiers & Mods.SHIFT)
        self._points = [(x, y)]
        self._cursor = (x, y)
        self._notify()
        return True

    def move(self, x: float, y: float, buttons: Buttons, modifiers: Mods) -> bool:
        self._cursor = (x, y)
        if self._points:
            self._points.append((x, y))
        self._notify()
        return bool(self._points)

    def release(self, x: float, y: float, buttons: Buttons, modifiers: Mods) -> bool:
        if not self._points or self.session is None:
            return False
        self._points.append((x, y))
        # pixel (i, j) covers [i, i+1): its centre is i + 0.5
        pts = [(px - 0.5, py - 0.5) for px, py in self._points]
        self.session.add_stroke(pts, self.radius, None if self._erasing else self.class_index)
        self._points = []
        self._notify()
        self.stroke_done.emit(self.session.revision)
        return True

    def cancel(self) -> None:
        self._points = []
        super().cancel()

    def preview(self) -> list[PreviewShape]:
        shapes = []
        if len(self._points) > 1:
            role = "subtract" if self._erasing else "add"
            shapes.append(PreviewShape("polyline", np.asarray(self._points, float), role, self.radius))
        if self._cursor is not None:
            shapes.append(PreviewShape("circle", np.asarray([self._cursor], float), "cursor", self.radius))
        return shapes
