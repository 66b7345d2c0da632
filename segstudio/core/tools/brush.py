"""Brush and eraser: round dabs along the pointer path; one stroke = one command.

The stroke is painted into a lazily allocated image-sized uint8 buffer (calloc'd,
so untouched pages cost nothing) with a running bounding box; each dab reports
only its own dirty box so the canvas repaints a few hundred pixels per event.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from segstudio.core.document import Box, union_box
from segstudio.core.masks import MaskPatch
from segstudio.core.tools.apply import commit_shape
from segstudio.core.tools.base import BaseTool, Buttons, Mods, PreviewShape

MIN_SIZE, MAX_SIZE = 1, 1000


def disk(diameter: int) -> np.ndarray:
    """A boolean disk of the given pixel diameter (1 = a single pixel)."""
    d = max(1, int(diameter))
    r = d / 2.0
    yy, xx = np.mgrid[0:d, 0:d]
    return ((yy + 0.5 - r) ** 2 + (xx + 0.5 - r) ** 2) <= r * r + 1e-9


class BrushTool(BaseTool):
    name = "brush"
    label = "Brush"
    operation: str | None = None  # None: the options' operation

    def __init__(self) -> None:
        super().__init__()
        self._buf: np.ndarray | None = None
        self._box: Box | None = None
        self._last: tuple[float, float] | None = None
        self._cursor: tuple[float, float] | None = None
        self._erasing = False
        self.live_mask = None

    @property
    def size(self) -> int:
        return self.ctx.options.brush_size if self.ctx else 15

    def set_size(self, size: int) -> None:
        if self.ctx is not None:
            self.ctx.options.brush_size = int(min(MAX_SIZE, max(MIN_SIZE, size)))
            self._notify(self._cursor_box())

    def grow(self, steps: int) -> None:
        """Resize by ~15% per step (at least one pixel), like most paint programs."""
        s = self.size
        delta = max(1, round(s * 0.15))
        self.set_size(s + steps * delta)

    # ------------------------------------------------------------ events
    def press(self, x: float, y: float, buttons: Buttons, modifiers: Mods) -> bool:
        doc = self._document()
        if doc is None or not (buttons & (Buttons.LEFT | Buttons.RIGHT)):
            return False
        self._erasing = bool(buttons & Buttons.RIGHT)  # right button erases with the brush
        self._buf = np.zeros(doc.image_shape, np.uint8)
        self._box = None
        self._last = None
        self._dab_to(x, y)
        return True

    def move(self, x: float, y: float, buttons: Buttons, modifiers: Mods) -> bool:
        old = self._cursor_box()
        self._cursor = (x, y)
        if self._buf is None:
            self._notify(union_box(old, self._cursor_box()))
            return False
        self._dab_to(x, y, old)
        return True

    def release(self, x: float, y: float, buttons: Buttons, modifiers: Mods) -> bool:
        if self._buf is None or self._box is None:
            return False
        x0, y0, x1, y1 = self._box
        shape = MaskPatch(y0, x0, self._buf[y0:y1, x0:x1].astype(bool), self._buf.shape).tight()
        box = self._box
        self._reset()
        self._notify(box)
        op = self._operation()
        if self.ctx is not None:
            commit_shape(self.ctx, shape, self._step_label(op), op)
        return True

    def cancel(self) -> None:
        box = self._box
        self._reset()
        self._notify(box)

    def preview(self) -> list[PreviewShape]:
        if self._cursor is None:
            return []
        return [PreviewShape("circle", np.array([self._cursor]), "cursor", self.size / 2.0)]

    # ------------------------------------------------------------ internals
    def _operation(self) -> str:
        if self._erasing:
            return "subtract"
        if self.operation is not None:
            return self.operation
        return self.ctx.options.operation if self.ctx else "add"

    def _step_label(self, op: str) -> str:
        return "Eraser stroke" if op == "subtract" else f"{self.label} stroke"

    def _reset(self) -> None:
        self._buf = None
        self._box = None
        self._last = None
        self.live_mask = None

    def _cursor_box(self) -> Box | None:
        if self._cursor is None:
            return None
        r = self.size / 2.0 + 2
        cx, cy = self._cursor
        return (int(cx - r), int(cy - r), int(math.ceil(cx + r)), int(math.ceil(cy + r)))

    def _dab_to(self, x: float, y: float, extra: Box | None = None) -> None:
        """Paint a thick segment from the last dab to (x, y) (a dab if it is the first)."""
        assert self._buf is not None
        d = self.size
        h, w = self._buf.shape
        x0f, y0f = self._last if self._last is not None else (x, y)
        r = d / 2.0
        bx0 = max(0, int(math.floor(min(x0f, x) - r)) - 1)
        by0 = max(0, int(math.floor(min(y0f, y) - r)) - 1)
        bx1 = min(w, int(math.ceil(max(x0f, x) + r)) + 2)
        by1 = min(h, int(math.ceil(max(y0f, y) + r)) + 2)
        self._last = (x, y)
        self._cursor = (x, y)
        if bx1 <= bx0 or by1 <= by0:
            return
        win = self._buf[by0:by1, bx0:bx1]
        if d <= 2:
            pts = np.array([[x0f - bx0, y0f - by0], [x - bx0, y - by0]])
            p = np.floor(pts).astype(np.int32)
            cv2.line(win, tuple(p[0]), tuple(p[1]), 1, thickness=1)
        else:
            # Exact disks at both ends plus the swept quad between them.
            self._stamp(win, x0f - bx0, y0f - by0, d)
            if (x0f, y0f) != (x, y):
                self._stamp(win, x - bx0, y - by0, d)
                self._sweep(win, (x0f - bx0, y0f - by0), (x - bx0, y - by0), r)
        box = (bx0, by0, bx1, by1)
        self._box = union_box(self._box, box)
        self.live_mask = (self._buf, self._box, "subtract" if self._operation() == "subtract" else "add")
        self._notify(union_box(box, extra))

    @staticmethod
    def _stamp(win: np.ndarray, cx: float, cy: float, d: int) -> None:
        k = disk(d)
        # The disk's pixel grid aligns with integer pixels: its top-left pixel.
        ox = int(math.floor(cx - d / 2.0 + 0.5))
        oy = int(math.floor(cy - d / 2.0 + 0.5))
        y0, x0 = max(0, oy), max(0, ox)
        y1, x1 = min(win.shape[0], oy + d), min(win.shape[1], ox + d)
        if y1 > y0 and x1 > x0:
            win[y0:y1, x0:x1] |= k[y0 - oy : y1 - oy, x0 - ox : x1 - ox]

    @staticmethod
    def _sweep(win: np.ndarray, a: tuple[float, float], b: tuple[float, float], r: float) -> None:
        dx, dy = b[0] - a[0], b[1] - a[1]
        n = math.hypot(dx, dy)
        if n < 1e-6:
            return
        nx, ny = -dy / n * r, dx / n * r
        quad = np.array(
            [[a[0] + nx, a[1] + ny], [b[0] + nx, b[1] + ny], [b[0] - nx, b[1] - ny], [a[0] - nx, a[1] - ny]]
        )
        # Pixel-centre convention: pixel (i, j) is covered if its centre is inside.
        cv2.fillConvexPoly(win, np.round(quad - 0.5).astype(np.int32), 1)


class EraserTool(BrushTool):
    """The brush in subtract mode: erases from the selected instance (or every touched
    unlocked instance when nothing is selected)."""

    name = "eraser"
    label = "Eraser"
    operation = "subtract"

    def release(self, x: float, y: float, buttons: Buttons, modifiers: Mods) -> bool:
        if self._buf is None or self._box is None or self.ctx is None:
            return super().release(x, y, buttons, modifiers)
        doc = self._document()
        if doc is not None and not [i for i in self.ctx.selected_ids() if i in doc]:
            return self._erase_all(doc)
        return super().release(x, y, buttons, modifiers)

    def _erase_all(self, doc) -> bool:
        from segstudio.core import commands

        assert self._buf is not None and self._box is not None and self.ctx is not None
        x0, y0, x1, y1 = self._box
        shape = MaskPatch(y0, x0, self._buf[y0:y1, x0:x1].astype(bool), self._buf.shape).tight()
        box = self._box
        self._reset()
        self._notify(box)
        locked = self.ctx.options.locked
        changes = {}
        for inst in doc:
            if inst.id not in locked and inst.mask.overlaps(shape):
                rest = inst.mask.subtract(shape)
                changes[inst.id] = inst.with_mask(rest) if not rest.is_empty else None
        if changes:
            self.ctx.commit(commands.edit_instances(doc, "Eraser stroke", changes))
        return True
