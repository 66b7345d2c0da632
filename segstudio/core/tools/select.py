"""Select tool: click picks the topmost visible instance; Ctrl/Shift+click toggles; empty click clears."""

from __future__ import annotations

import math

from segstudio.core.tools.base import BaseTool, Buttons, Mods


class SelectTool(BaseTool):
    name, label = "select", "Select"

    def __init__(self) -> None:
        super().__init__()
        self.hidden: set[int] = set()  # the host keeps this in sync with its visibility state

    def press(self, x, y, buttons, modifiers) -> bool:
        doc = self._document()
        if doc is None or self.ctx is None or not buttons & Buttons.LEFT:
            return False
        xi, yi = math.floor(x), math.floor(y)
        visible = {i.id for i in doc if i.id not in self.hidden}
        hit = doc.instance_at(xi, yi, visible) if 0 <= xi < doc.image_shape[1] and 0 <= yi < doc.image_shape[0] else None
        current = self.ctx.selected_ids()
        if modifiers & (Mods.CTRL | Mods.SHIFT):
            if hit is None:
                return True
            ids = [i for i in current if i != hit.id] if hit.id in current else [*current, hit.id]
        else:
            ids = [hit.id] if hit is not None else []
        self.ctx.select(ids)
        return True
