"""The canvas's raster layers: image pyramid, instance overlay, live stroke, proposal, extras."""

from __future__ import annotations

import math

import cv2
import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from segstudio.core.document import Box
from segstudio.core.overlay import LabelRaster, OverlayStyle, compose, compose_mask
from segstudio.core.proposal import Proposal
from segstudio.qt.canvas.tiles import (
    TiledLayer,
    level_for_scale,
    qimage_from_argb,
    qimage_from_rgb32,
)

PROPOSAL_RGB = (0, 230, 255)
ADD_RGB, SUBTRACT_RGB = (255, 255, 255), (20, 20, 20)


class ImageLayer(TiledLayer):
    """8-bit RGB display pixels; coarser levels are built lazily by 2x area averaging."""

    smooth_when_reduced = True

    def __init__(self, rgb8: np.ndarray) -> None:
        super().__init__(rgb8.shape[:2])
        self.cache.budget = 256 * 1024 * 1024
        self.levels: list[np.ndarray] = [rgb8]
        self.setZValue(0)

    def level(self, n: int) -> np.ndarray:
        while len(self.levels) <= n:
            prev = self.levels[-1]
            h, w = prev.shape[:2]
            if h <= 1 and w <= 1:
                self.levels.append(prev)
                continue
            size = (max(1, (w + 1) // 2), max(1, (h + 1) // 2))
            self.levels.append(cv2.resize(prev, size, interpolation=cv2.INTER_AREA))
        return self.levels[n]

    def render(self, level: int, box: Box) -> QImage | None:
        arr = self.level(level)
        s = 1 << level
        x0, y0 = box[0] // s, box[1] // s
        x1, y1 = -(-box[2] // s), -(-box[3] // s)
        tile = arr[y0:y1, x0:x1]
        if tile.size == 0:
            return None
        bgra = np.empty((tile.shape[0], tile.shape[1]), np.uint32)
        cv2.cvtColor(np.ascontiguousarray(tile), cv2.COLOR_RGB2BGRA, dst=bgra.view(np.uint8).reshape(*bgra.shape, 4))
        return qimage_from_rgb32(bgra)

    @property
    def nbytes(self) -> int:
        return sum(int(a.nbytes) for a in self.levels[1:]) + self.cache.nbytes


class OverlayLayer(TiledLayer):
    """Instances drawn from a label raster through an OverlayStyle lookup table."""

    def __init__(self, shape: tuple[int, int]) -> None:
        super().__init__(shape)
        self.raster = LabelRaster(shape)
        self.style = OverlayStyle.build({})
        self.setZValue(1)

    def render(self, level: int, box: Box) -> QImage | None:
        return qimage_from_argb(compose(self.raster.labels, box, self.style, 1 << level))


class LiveMaskLayer(QGraphicsItem):
    """The stroke in flight (a tool's live_mask), composed for the exposed area only."""

    def __init__(self, shape: tuple[int, int]) -> None:
        super().__init__()
        self.shape = shape
        self.live: tuple[np.ndarray, Box, str] | None = None
        self.rgb = (255, 255, 255)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        self.setZValue(4)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.shape[1], self.shape[0])

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


class ProposalLayer(QGraphicsItem):
    """The current proposal: hatched cyan with a solid outline, unmistakably not yet accepted."""

    def __init__(self, shape: tuple[int, int]) -> None:
        super().__init__()
        self.shape = shape
        self._img: QImage | None = None
        self._rect = QRectF()
        self.setZValue(3)

    def set_proposal(self, proposal: Proposal | None) -> None:
        self.prepareGeometryChange()
        self._img = None
        self._rect = QRectF()
        if proposal is not None and not proposal.mask.is_empty:
            m = proposal.mask.tight()
            img = compose_mask(m.data, (0, 0, m.width, m.height), PROPOSAL_RGB, 0.5, stripes=True)
            self._img = qimage_from_argb(img)
            self._rect = QRectF(m.x0, m.y0, m.width, m.height)
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(self._rect)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if self._img is not None:
            painter.drawImage(self._rect, self._img)


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
