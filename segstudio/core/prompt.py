"""A prompt: what the user has said about one object (clicks, a box, the previous mask), in
image pixel coordinates.  Tools build it (`core.tools.prompt`); prompt models answer it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Click:
    x: float
    y: float
    positive: bool = True


@dataclass(frozen=True)
class Prompt:
    """What the user has said so far about one object, in image pixel coordinates."""

    clicks: tuple[Click, ...] = ()
    box: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1
    prev_mask: np.ndarray | None = None  # bool HxW: the previous result, refined by new clicks
    # Multi-mask models: None = the model's own pick; n = the n-th best candidate (user cycling).
    mask_choice: int | None = None

    def with_click(self, click: Click) -> Prompt:
        return Prompt(self.clicks + (click,), self.box, self.prev_mask)

    @property
    def is_empty(self) -> bool:
        return not self.clicks and self.box is None
