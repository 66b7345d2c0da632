"""Click and box prompt tools for AI assistance: Qt-free state machines (segstudio.core.tools
protocol) that collect a prompt and hand it to a `request` callback; the controller runs the
model in the background and shows the result as the document's proposal.

Gestures (both tools): left click = positive point, right click or Alt+click = negative point,
Backspace = take back the last point, Escape = start over (the canvas also discards the
proposal), Enter = accept (handled by the canvas: one undo step).  The box tool draws a box by
dragging; clicks after the box refine it.  Each new click refines the last result: the tool
keeps the previous mask and sends it with the prompt.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from segstudio.core.prompt import Click, Prompt
from segstudio.core.tools.base import KEY_BACKSPACE, BaseTool, Buttons, Mods, PreviewShape

RequestFn = Callable[[Prompt, int], None]  # (prompt, sequence number)
DRAG_MIN = 3.0  # image pixels: a shorter drag is a click


class PromptTool(BaseTool):
    name, label = "ai_click", "AI click"
    box_mode = False

    def __init__(self, request: RequestFn | None = None) -> None:
        super().__init__()
        self.request = request
        self.clicks: list[Click] = []
        self.box: tuple[float, float, float, float] | None = None
        self.prev_mask: np.ndarray | None = None
        self.seq = 0  # bumps on every prompt change; results for older numbers are stale
        self._press: tuple[float, float, Buttons, Mods] | None = None
        self._drag: tuple[float, float] | None = None

    # ------------------------------------------------------------ state
    def prompt(self) -> Prompt:
        return Prompt(tuple(self.clicks), self.box, self.prev_mask)

    def reset(self) -> None:
        """Forget the prompt (after accept/discard or on another image)."""
        self.clicks, self.box, self.prev_mask = [], None, None
        self._press = self._drag = None
        self.seq += 1
        self._notify()

    def take_result(self, seq: int, mask: np.ndarray) -> bool:
        """The controller hands back a result; kept as context for the next click only if it
        answers the latest prompt."""
        if seq != self.seq:
            return False
        self.prev_mask = mask
        return True

    def _send(self) -> None:
        self.seq += 1
        self._notify()
        if self.request is not None and not self.prompt().is_empty:
            self.request(self.prompt(), self.seq)

    # ------------------------------------------------------------ events
    def press(self, x, y, buttons, modifiers) -> bool:
        if self._document() is None or not (buttons & (Buttons.LEFT | Buttons.RIGHT)):
            return False
        self._press = (x, y, buttons, modifiers)
        self._drag = None
        return True

    def move(self, x, y, buttons, modifiers) -> bool:
        if self._press is None or not self.box_mode:
            return False
        px, py, b, _ = self._press
        if b & Buttons.LEFT and (abs(x - px) >= DRAG_MIN or abs(y - py) >= DRAG_MIN):
            self._drag = (x, y)
            self._notify()
            return True
        return False

    def release(self, x, y, buttons, modifiers) -> bool:
        if self._press is None:
            return False
        px, py, b, mods = self._press
        self._press = None
        doc = self._document()
        if doc is None:
            return False
        h, w = doc.image_shape
        if self.box_mode and self._drag is not None:
            x0, x1 = sorted((min(max(px, 0), w), min(max(x, 0), w)))
            y0, y1 = sorted((min(max(py, 0), h), min(max(y, 0), h)))
            self._drag = None
            if x1 - x0 >= 1 and y1 - y0 >= 1:
                # a new box starts a new object
                self.clicks, self.prev_mask = [], None
                self.box = (x0, y0, x1, y1)
                self._send()
            return True
        if not (0 <= px < w and 0 <= py < h):
            return True
        positive = not (b & Buttons.RIGHT or mods & Mods.ALT)
        self.clicks.append(Click(float(px), float(py), positive))
        self._send()
        return True

    def key(self, key, modifiers) -> bool:
        if key == KEY_BACKSPACE and (self.clicks or self.box is not None):
            if self.clicks:
                self.clicks.pop()
            else:
                self.box = None
            # taking a click back recomputes from the remaining prompt, not from the last mask
            self.prev_mask = None
            if self.prompt().is_empty:
                self.seq += 1
                self._notify()
                doc = self._document()
                if doc is not None:
                    doc.clear_proposal()
            else:
                self._send()
            return True
        return False

    def cancel(self) -> None:
        self.reset()

    def preview(self) -> list[PreviewShape]:
        shapes = []
        if self.box is not None:
            x0, y0, x1, y1 = self.box
            shapes.append(PreviewShape("rect", np.array([[x0, y0], [x1, y1]], float), "add"))
        if self._drag is not None and self._press is not None:
            px, py = self._press[:2]
            shapes.append(PreviewShape("rect", np.array([[px, py], self._drag], float), "active"))
        for c in self.clicks:
            shapes.append(PreviewShape("point", np.array([[c.x, c.y]], float),
                                       "add" if c.positive else "subtract", 4.0))
        return shapes


class BoxPromptTool(PromptTool):
    name, label = "ai_box", "AI box"
    box_mode = True
