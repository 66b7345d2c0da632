"""Tiled, level-of-detail drawing shared by every raster layer of the canvas.

A layer is a QGraphicsItem covering the image (item coordinates = image pixels).
At paint time it picks the pyramid level whose pixels are at most one screen pixel
(level L samples every 2**L image pixels), and draws only the visible tiles of that
level from an LRU cache of QImages, so a frame costs the same at any image size.
Invalidation by dirty box drops just the tiles it touches, at every level.
"""

from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from segstudio.core.lru import ByteLRU

Box = tuple[int, int, int, int]
TILE = 512  # level pixels per tile side
MAX_LEVEL = 8


EMPTY = QImage()  # cached marker for tiles with nothing to draw


def qimage_from_argb(arr: np.ndarray) -> QImage:
    """Wrap a C-contiguous uint32 (0xAARRGGBB premultiplied) array; the image keeps it alive."""
    arr = np.ascontiguousarray(arr, np.uint32)
    h, w = arr.shape
    img = QImage(arr.data, w, h, 4 * w, QImage.Format.Format_ARGB32_Premultiplied)
    img._keep = arr  # type: ignore[attr-defined]  # QImage does not own numpy memory
    return img


def qimage_from_rgb32(arr: np.ndarray) -> QImage:
    arr = np.ascontiguousarray(arr, np.uint32)
    h, w = arr.shape
    img = QImage(arr.data, w, h, 4 * w, QImage.Format.Format_RGB32)
    img._keep = arr  # type: ignore[attr-defined]
    return img


def level_for_scale(scale: float, max_level: int = MAX_LEVEL) -> int:
    """The level whose pixels are closest to one screen pixel (in log scale).

    Drawing a level within a factor sqrt(2) of the screen resolution keeps the
    pixels drawn per frame ~ the viewport's, whatever the image size."""
    if scale >= 1.0 or scale <= 0:
        return 0
    return max(0, min(max_level, int(math.floor(math.log2(1.0 / scale) + 0.5))))


class TileCache(ByteLRU[tuple[int, int, int], QImage]):
    """Tile images keyed by (level, tx, ty): the byte-bounded LRU of `core.lru` (the most
    recent tile always stays)."""

    def __init__(self, budget_bytes: int = 192 * 1024 * 1024) -> None:
        super().__init__(budget_bytes, min_items=1, size_of=lambda img: int(img.sizeInBytes()))

    def invalidate(self, box: Box | None) -> None:
        if box is None:
            self.clear()
            return
        x0, y0, x1, y1 = box
        for key in self.keys():
            level, tx, ty = key
            span = TILE << level
            if tx * span < x1 and (tx + 1) * span > x0 and ty * span < y1 and (ty + 1) * span > y0:
                self.pop(key)


class TiledLayer(QGraphicsItem):
    """Draws `render(level, box) -> QImage` tiles; subclasses provide `render`."""

    smooth_when_reduced = False  # bilinear when zoomed out (photos), nearest for masks

    def __init__(self, shape: tuple[int, int], parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        # Not `shape`: that would hide QGraphicsItem.shape(), which Qt calls for hover and tooltips.
        self.image_shape = (int(shape[0]), int(shape[1]))
        self.cache = TileCache()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        self.opacity_factor = 1.0

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.image_shape[1], self.image_shape[0])

    def render(self, level: int, box: Box) -> QImage | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def prefetch(self, rect: QRectF, level: int, budget_s: float = 0.006) -> bool:
        """Build missing tiles of `rect` at `level` for up to `budget_s`; True if some remain.
        Called when the GUI is idle, with the viewport grown by a margin, so panning
        reaches tiles that are already built."""
        start = time.perf_counter()
        for tx, ty, box in self.visible_tiles(rect, level):
            key = (level, tx, ty)
            if self.cache.get(key) is not None:
                continue
            if time.perf_counter() - start > budget_s:
                return True
            self.cache.put(key, self.render(level, box) or EMPTY)
        return False

    def invalidate(self, box: Box | None = None) -> None:
        self.cache.invalidate(box)
        if box is None:
            self.update()
        else:
            x0, y0, x1, y1 = box
            # One level-L pixel can cover 2**L image pixels: widen by the coarsest step.
            self.update(QRectF(x0 - 1, y0 - 1, x1 - x0 + 2, y1 - y0 + 2))

    def visible_tiles(self, rect: QRectF, level: int) -> list[tuple[int, int, Box]]:
        h, w = self.image_shape
        span = TILE << level
        x0, y0 = max(0.0, rect.left()), max(0.0, rect.top())
        x1, y1 = min(float(w), rect.right()), min(float(h), rect.bottom())
        if x1 <= x0 or y1 <= y0:
            return []
        out = []
        for ty in range(int(y0 // span), int(math.ceil(y1 / span))):
            for tx in range(int(x0 // span), int(math.ceil(x1 / span))):
                box = (tx * span, ty * span, min(w, (tx + 1) * span), min(h, (ty + 1) * span))
                out.append((tx, ty, box))
        return out

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        scale = painter.worldTransform().m11()
        level = level_for_scale(abs(scale))
        smooth = self.smooth_when_reduced and scale < 1.0
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        rect = option.exposedRect
        for tx, ty, box in self.visible_tiles(rect, level):
            key = (level, tx, ty)
            img = self.cache.get(key)
            if img is None:
                img = self.render(level, box) or EMPTY
                self.cache.put(key, img)
            if img is EMPTY:  # nothing to draw in this tile (e.g. no instance there)
                continue
            x0, y0, x1, y1 = box
            # Draw only the exposed part of the tile (on level-pixel boundaries): small
            # updates such as a brush dab then cost a few hundred pixels, not a tile.
            sx = (x1 - x0) / img.width()
            sy = (y1 - y0) / img.height()
            c0 = max(0, math.floor((rect.left() - x0) / sx))
            r0 = max(0, math.floor((rect.top() - y0) / sy))
            c1 = min(img.width(), math.ceil((rect.right() - x0) / sx))
            r1 = min(img.height(), math.ceil((rect.bottom() - y0) / sy))
            if c1 <= c0 or r1 <= r0:
                continue
            target = QRectF(x0 + c0 * sx, y0 + r0 * sy, (c1 - c0) * sx, (r1 - r0) * sy)
            painter.drawImage(target, img, QRectF(c0, r0, c1 - c0, r1 - r0))

