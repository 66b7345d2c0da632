"""Flood fill / magic wand: the connected region of pixels within a tolerance of the seed colour.

Click inside a region: its pixels become a new instance (or are added to /
subtracted from the selection per the options; Alt subtracts).  Shift+click
ignores connectivity and takes every pixel of similar colour in the image.
"""

from __future__ import annotations

import cv2
import numpy as np

from segstudio.core.masks import MaskPatch
from segstudio.core.tools.apply import commit_shape
from segstudio.core.tools.base import BaseTool, Buttons, Mods


def wand_region(image: np.ndarray, x: int, y: int, tolerance: int, contiguous: bool = True) -> np.ndarray:
    """Boolean mask of pixels within `tolerance` (per channel, data units) of pixel (x, y)."""
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[2] == 4:
        img = img[..., :3]
    h, w = img.shape[:2]
    if not (0 <= x < w and 0 <= y < h):
        return np.zeros((h, w), bool)
    if not contiguous:
        seed = img[y, x].astype(np.float32)
        diff = np.abs(img.astype(np.float32) - seed)
        if diff.ndim == 3:
            diff = diff.max(axis=2)
        return diff <= tolerance
    src = img
    if src.dtype not in (np.uint8, np.float32):
        src = src.astype(np.float32)
    src = np.ascontiguousarray(src)
    flood_mask = np.zeros((h + 2, w + 2), np.uint8)
    tol = (tolerance,) * (3 if src.ndim == 3 else 1)
    flags = 8 | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (1 << 8)
    cv2.floodFill(src, flood_mask, (int(x), int(y)), 0, tol, tol, flags)
    return flood_mask[1:-1, 1:-1].astype(bool)


class MagicWandTool(BaseTool):
    name, label = "wand", "Magic wand"

    def press(self, x, y, buttons, modifiers) -> bool:
        doc = self._document()
        if doc is None or self.ctx is None or not (buttons & (Buttons.LEFT | Buttons.RIGHT)):
            return False
        image = self.ctx.image()
        if image is None:
            self.ctx.message("Magic wand: the image pixels are not loaded yet")
            return True
        xi, yi = int(np.floor(x)), int(np.floor(y))
        region = wand_region(image, xi, yi, self.ctx.options.tolerance, not modifiers & Mods.SHIFT)
        op = "subtract" if (modifiers & Mods.ALT or buttons & Buttons.RIGHT) else None
        commit_shape(self.ctx, MaskPatch.from_full(region), "Magic wand", op)
        return True
