"""The refine-edge brush: paint over hair and fur to have their alpha estimated by matting.

A Qt-free tool (core/tools protocol).  Strokes do not edit the annotation: they
grow (left button) or shrink (right button) a per-image *refine region*; every
pixel of it becomes unknown in the trimap and is solved by closed-form matting
(see pipeline.estimate_alpha).  Backspace takes back the last stroke.
"""

from __future__ import annotations

import numpy as np

from segstudio.core.events import Signal
from segstudio.core.tools.base import KEY_BACKSPACE, Buttons, Mods
from segstudio.core.tools.brush import BrushTool

MAX_UNDO = 20


class RefineEdgeTool(BrushTool):
    name = "refine_edge"
    label = "Refine Edge Brush"

    def __init__(self) -> None:
        super().__init__()
        self.region: np.ndarray | None = None  # bool HxW, or None before the first stroke
        self.region_changed = Signal()  # emitted with the dirty box (x0, y0, x1, y1)
        self.deactivated = Signal()  # the host switched to another tool
        self._undo: list[tuple[tuple[int, int, int, int], np.ndarray]] = []

    def reset(self, shape: tuple[int, int] | None = None) -> None:
        """Forget the region (a new image); `shape` pre-allocates an empty one."""
        self.cancel()
        self.region = None if shape is None else np.zeros(shape, bool)
        self._undo.clear()
        self.region_changed.emit(None)

    def deactivate(self) -> None:
        super().deactivate()
        self.deactivated.emit()

    def release(self, x: float, y: float, buttons: Buttons, modifiers: Mods) -> bool:
        if self._buf is None or self._box is None:
            return False
        x0, y0, x1, y1 = self._box
        stroke = self._buf[y0:y1, x0:x1].astype(bool)
        erasing = self._erasing
        shape = self._buf.shape
        self._reset()
        if self.region is None or self.region.shape != shape:
            self.region = np.zeros(shape, bool)
        window = self.region[y0:y1, x0:x1]
        self._undo.append(((x0, y0, x1, y1), window.copy()))
        del self._undo[:-MAX_UNDO]
        if erasing:
            window &= ~stroke
        else:
            window |= stroke
        self._notify((x0, y0, x1, y1))
        self.region_changed.emit((x0, y0, x1, y1))
        return True

    def key(self, key: str, modifiers: Mods) -> bool:
        if key == KEY_BACKSPACE and self._undo and self.region is not None:
            (x0, y0, x1, y1), before = self._undo.pop()
            self.region[y0:y1, x0:x1] = before
            self.region_changed.emit((x0, y0, x1, y1))
            return True
        return False

    @property
    def has_region(self) -> bool:
        return self.region is not None and bool(self.region.any())
