"""The canvas's raster layers: image + overlay tiles, hover tint, live stroke, proposal, extras."""

from __future__ import annotations

import math

import cv2
import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from segstudio.core.document import Box
from segstudio.core.masks import MaskPatch
from segstudio.core.overlay import LabelRaster, OverlayStyle, blend_over, compose, compose_mask
from segstudio.core.proposal import Proposal
from segstudio.qt.canvas.tiles import (
    TiledLayer,
    level_for_scale,
    qimage_from_argb,
    qimage_from_rgb32,
)

PROPOSAL_RGB = (0, 230, 255)
ADD_RGB, SUBTRACT_RGB = (255, 255, 255), (20, 20, 20)


class SceneLayer(TiledLayer):
    """The image with the instance overlay blended in, as opaque tiles.

    Blending in numpy when a tile is (re)built means a frame draws ONE opaque image
    per tile, which the paint engine scales cheaply; drawing a translucent overlay
    layer over the image costs several times more on a 1080p viewport.  Coarser
    image levels are built lazily by 2x area averaging; the overlay of a level is
    sampled from the label raster with a stride.
    """

    smooth_when_reduced = True

    def __init__(self, rgb8: np.ndarray) -> None:
        super().__init__(rgb8.shape[:2])
        self.cache.max_bytes = 384 * 1024 * 1024
        self.levels: list[np.ndarray | None] = [rgb8]
        self.preview_level = 0
        self.raster = LabelRaster(self.image_shape)
        self.style = OverlayStyle.build({})
        self.overlay_visible = True
        self.setZValue(0)

    def set_pixels(self, rgb8: np.ndarray) -> None:
        """New display pixels (e.g. another intensity window); the overlay is kept."""
        self.levels = [rgb8]
        self.preview_level = 0
        self.invalidate()

    def set_preview(self, small: np.ndarray, level: int) -> None:
        """Only a reduced decode (1/2**level) exists yet: finer levels are upsampled from it
        per tile until `set_pixels` brings the full image."""
        self.levels = [None] * level + [small]  # type: ignore[list-item]
        self.preview_level = level
        self.invalidate()

    def level(self, n: int) -> np.ndarray | None:
        while len(self.levels) <= n:
            prev = self.levels[-1]
            h, w = prev.shape[:2]
            size = (max(1, (w + 1) // 2), max(1, (h + 1) // 2))
            self.levels.append(cv2.resize(prev, size, interpolation=cv2.INTER_AREA))
        return self.levels[n]

    def _tile_pixels(self, level: int, box: Box) -> np.ndarray:
        s = 1 << level
        x0, y0, x1, y1 = box
        arr = self.level(level)
        if arr is not None:
            return arr[y0 // s : -(-y1 // s), x0 // s : -(-x1 // s)]
        k = self.preview_level  # upsample this tile from the preview
        sk = 1 << k
        src = self.levels[k][y0 // sk : -(-y1 // sk), x0 // sk : -(-x1 // sk)]  # type: ignore[index]
        size = (-(-x1 // s) - x0 // s, -(-y1 // s) - y0 // s)
        return cv2.resize(src, size, interpolation=cv2.INTER_LINEAR) if src.size else src

    def render(self, level: int, box: Box) -> QImage | None:
        s = 1 << level
        x0, y0, x1, y1 = box
        tile = self._tile_pixels(level, box)
        if tile.size == 0:
            return None
        bgra = cv2.cvtColor(np.ascontiguousarray(tile), cv2.COLOR_RGB2BGRA)
        if self.overlay_visible:
            window = self.raster.labels[max(0, y0 - s) : y1 + s : s, max(0, x0 - s) : x1 + s : s]
            if window.any():
                over = compose(self.raster.labels, box, self.style, s)
                h, w = min(over.shape[0], bgra.shape[0]), min(over.shape[1], bgra.shape[1])
                bgra = bgra[:h, :w]
                return qimage_from_rgb32(blend_over(bgra, over[:h, :w]))
        return qimage_from_rgb32(bgra.view(np.uint32).reshape(bgra.shape[:2]))

    @property
    def nbytes(self) -> int:
        return sum(int(a.nbytes) for a in self.levels[1:] if a is not None) + self.cache.nbytes + int(self.raster.labels.nbytes)


class PatchLayer(QGraphicsItem):
    """An ARGB image drawn over one rectangle of the image (hover tint, proposal): a small
    patch, so changing it never re-renders the big tiles."""

    def __init__(self, z: float) -> None:
        super().__init__()
        self._img: QImage | None = None
        self._rect = QRectF()
        self.setZValue(z)

    def _show(self, argb: np.ndarray | None = None, rect: QRectF | None = None) -> None:
        """Draw `argb` over `rect` (scene pixels) from now on; None: draw nothing."""
        self.prepareGeometryChange()
        self._img = qimage_from_argb(argb) if argb is not None else None
        self._rect = QRectF(rect) if argb is not None and rect is not None else QRectF()
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(self._rect)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if self._img is not None:
            painter.drawImage(self._rect, self._img)


class HoverLayer(PatchLayer):
    """A light tint over the instance under the pointer."""

    def __init__(self) -> None:
        super().__init__(z=1)

    def set_mask(self, patch: MaskPatch | None, rgb: tuple[int, int, int] = (255, 255, 255), step: int = 1) -> None:
        """Tint `patch`, sampled every `step` pixels (the view's level: big objects stay cheap)."""
        if patch is None or patch.is_empty:
            self._show()
            return
        m = patch.tight()
        while m.data.size // (step * step) > 4_000_000:
            step *= 2
        img = compose_mask(m.data, (0, 0, m.width, m.height), rgb, 0.22, step)
        self._show(img, QRectF(m.x0, m.y0, img.shape[1] * step, img.shape[0] * step))


class LiveMaskLayer(QGraphicsItem):
    """The stroke in flight (a tool's live_mask), composed for the exposed area only."""

    def __init__(self, shape: tuple[int, int]) -> None:
        super().__init__()
        self.image_shape = shape  # not `shape`: QGraphicsItem.shape() is a Qt virtual
        self.live: tuple[np.ndarray, Box, str] | None = None
        self.rgb = (255, 255, 255)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        self.setZValue(4)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.image_shape[1], self.image_shape[0])

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if self.live is None:
            return
        buf, (bx0, by0, bx1, by1), role = self.live
        r = option.exposedRect
        level = level_for_scale(abs(painter.worldTransform().m11()))
        s = 1 << level
        x0 = max(bx0, int(math.floor(r.left()))) // s * s
        y0 = max(by0, int(math.floor(r.top()))) // s * s
        x1 = min(bx1, int(math.ceil(r.right())))
        y1 = min(by1, int(math.ceil(r.bottom())))
        if x1 <= x0 or y1 <= y0:
            return
        rgb = SUBTRACT_RGB if role == "subtract" else self.rgb
        img = qimage_from_argb(compose_mask(buf, (x0, y0, x1, y1), rgb, 0.55, s))
        painter.drawImage(QRectF(x0, y0, img.width() * s, img.height() * s), img)


class ProposalLayer(PatchLayer):
    """The current proposal: hatched cyan with a solid outline, unmistakably not yet accepted."""

    def __init__(self, shape: tuple[int, int]) -> None:
        super().__init__(z=3)
        self.image_shape = shape  # not `shape`: QGraphicsItem.shape() is a Qt virtual

    def set_proposal(self, proposal: Proposal | None) -> None:
        if proposal is None or proposal.mask.is_empty:
            self._show()
            return
        m = proposal.mask.tight()
        img = compose_mask(m.data, (0, 0, m.width, m.height), PROPOSAL_RGB, 0.5, stripes=True)
        self._show(img, QRectF(m.x0, m.y0, m.width, m.height))


class ExtraLayer(QGraphicsItem):
    """A feature's RGBA uint8 image over the whole image (difference view, soft alpha, ...)."""

    def __init__(self, rgba: np.ndarray, opacity: float, z: float) -> None:
        super().__init__()
        rgba = np.ascontiguousarray(rgba, np.uint8)
        if rgba.ndim != 3 or rgba.shape[2] != 4:
            raise ValueError(f"extra layer must be HxWx4 uint8 RGBA, got shape {rgba.shape}")
        h, w = rgba.shape[:2]
        img = QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888)
        self._img = img.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
        self._rect = QRectF(0, 0, w, h)
        self.setOpacity(opacity)
        self.setZValue(z)

    def boundingRect(self) -> QRectF:
        return QRectF(self._rect)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        r = option.exposedRect & self._rect
        if not r.isEmpty():
            painter.drawImage(r, self._img, r)
