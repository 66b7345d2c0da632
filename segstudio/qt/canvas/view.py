"""CanvasView: zoom/pan/mapping over the layers, and the bridge from input to the active tool.

Wheel zooms to the cursor; middle drag or Space+drag pans; Ctrl+wheel resizes the
brush.  Pointer events are mapped to image coordinates and given to the tool; the
tool's preview and live mask are drawn by dedicated items.  View state (selection,
hover, hidden, overlay style) lives here, never in the document.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QTransform, QWheelEvent
from PySide6.QtWidgets import QFrame, QGraphicsScene, QGraphicsView, QWidget

from segstudio.core.document import DocumentChange, ImageDocument, union_box
from segstudio.core.overlay import OverlayStyle
from segstudio.core.tools.base import BaseTool, ToolContext
from segstudio.qt.canvas.layers import (
    ExtraLayer,
    HoverLayer,
    LiveMaskLayer,
    ProposalLayer,
    SceneLayer,
)
from segstudio.qt.canvas.preview import PreviewItem
from segstudio.qt.canvas.tiles import level_for_scale
from segstudio.qt.canvas.tool_host import buttons_of, key_name, mods_of

MIN_ZOOM, MAX_ZOOM, ZOOM_STEP = 1 / 256, 64.0, 1.25


class CanvasView(QGraphicsView):
    cursor_moved = Signal(object)  # (x, y) image pixel or None
    zoom_changed = Signal(float)
    hover_changed = Signal(object)  # instance id or None
    tool_set = Signal(object)  # the active tool (or None), whoever set it
    accept_requested = Signal()  # Enter with a proposal and no tool use for it
    discard_requested = Signal()  # Esc likewise

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        # A handful of items that cover the image: a BSP index only costs time on every update.
        self.scene().setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setBackgroundBrush(QColor(38, 40, 44))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # pan by dragging
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, True)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing, True)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.image_layer: SceneLayer | None = None
        self.overlay: SceneLayer | None = None  # the same layer: the overlay is blended into it
        self.hover_layer = HoverLayer()
        self.live: LiveMaskLayer | None = None
        self.proposal_layer: ProposalLayer | None = None
        self.preview = PreviewItem()
        self.scene().addItem(self.preview)
        self.extra_layers: dict[str, ExtraLayer] = {}
        self.document: ImageDocument | None = None
        self.tool: BaseTool | None = None
        self.tool_context: ToolContext | None = None
        self.colors: dict[int, tuple[int, int, int]] = {}  # category id -> rgb
        self.ignore_categories: frozenset[int] = frozenset()  # hatched: ignore regions
        self.selected: list[int] = []
        self.hidden: set[int] = set()
        self.hover: int | None = None
        self.opacity = 0.45
        self.mode = "both"
        self.overlay_visible = True
        self._pan_from: QPointF | None = None
        self._space = False
        self._fit_pending = False
        self._prefetch_timer = QTimer(self, singleShot=True, interval=40)  # idle tile building
        self._prefetch_timer.timeout.connect(self._prefetch_tiles)

    # ------------------------------------------------------------ content
    def image_shape(self) -> tuple[int, int] | None:
        return self.image_layer.image_shape if self.image_layer is not None else None

    def set_image_preview(self, small: np.ndarray, shape: tuple[int, int], level: int) -> None:
        """Show a 1/2**level decode of an image of `shape` until `set_image` brings the pixels."""
        blank = np.zeros((1, 1, 3), np.uint8)
        self.set_image(np.broadcast_to(blank, (*shape, 3)))  # geometry only; no memory
        assert self.image_layer is not None
        self.image_layer.set_preview(small, level)

    def set_image(self, rgb8: np.ndarray | None, shape: tuple[int, int] | None = None) -> None:
        """Show 8-bit RGB display pixels (or a blank of `shape` while pixels load)."""
        if rgb8 is None:
            if shape is None:
                self._clear_layers()
                return
            small = np.full((-(-shape[0] // 8), -(-shape[1] // 8), 3), 60, np.uint8)
            self.set_image_preview(small, shape, 3)  # a grey stand-in costing 1/64 of the image
            return
        h, w = rgb8.shape[:2]
        if self.image_layer is not None and self.image_layer.image_shape == (h, w):
            self.image_layer.set_pixels(rgb8)  # same geometry: keep the overlay raster
            return
        self._clear_layers()
        self.image_layer = self.overlay = SceneLayer(rgb8)
        self.live, self.proposal_layer = LiveMaskLayer((h, w)), ProposalLayer((h, w))
        for item in (self.image_layer, self.hover_layer, self.live, self.proposal_layer):
            if item.scene() is None:
                self.scene().addItem(item)
        self.image_layer.overlay_visible = self.overlay_visible
        self.scene().setSceneRect(QRectF(-w * 0.5, -h * 0.5, w * 2.0, h * 2.0))
        if self.document is not None and self.document.image_shape == (h, w):
            self._rebuild_overlay()

    def _clear_layers(self) -> None:
        for item in (self.image_layer, self.live, self.proposal_layer):
            if item is not None:
                self.scene().removeItem(item)
        self.image_layer = self.overlay = self.live = self.proposal_layer = None
        self.hover_layer.set_mask(None)
        self.clear_extra_layers()

    def set_document(self, document: ImageDocument | None) -> None:
        if self.document is not None:
            self.document.changed.disconnect(self._on_document_changed)
            self.document.proposal_changed.disconnect(self._on_proposal_changed)
        if self.tool is not None:
            self.tool.cancel()
        self.document = document
        self.selected, self.hover = [], None
        self.hover_layer.set_mask(None)
        self.hidden = set()
        if document is not None:
            document.changed.connect(self._on_document_changed)
            document.proposal_changed.connect(self._on_proposal_changed)
        self._rebuild_overlay()
        self._on_proposal_changed(document.proposal if document is not None else None)

    def set_category_colors(self, colors: dict[int, tuple[int, int, int]],
                            ignore: set[int] | frozenset[int] = frozenset()) -> None:
        """Category colours; instances of `ignore` categories (ignore regions) are hatched."""
        self.colors = dict(colors)
        self.ignore_categories = frozenset(ignore)
        self._restyle()

    def set_selection(self, ids: list[int]) -> None:
        ids = list(ids)
        if ids == self.selected:
            return
        old = self.selected
        self.selected = ids
        self._restyle(set(old) | set(ids))

    def set_hidden(self, ids: set[int]) -> None:
        self.hidden = set(ids)
        if hasattr(self.tool, "hidden"):
            self.tool.hidden = self.hidden  # type: ignore[union-attr]
        self._rebuild_overlay()

    def set_overlay_style(self, *, opacity: float | None = None, mode: str | None = None, visible: bool | None = None) -> None:
        if opacity is not None:
            self.opacity = float(opacity)
        if mode is not None:
            self.mode = mode
        if visible is not None:
            self.overlay_visible = bool(visible)
            if self.overlay is not None and self.overlay.overlay_visible != self.overlay_visible:
                self.overlay.overlay_visible = self.overlay_visible
                self.overlay.invalidate()
            self.hover_layer.setVisible(self.overlay_visible)
        self._restyle()

    def set_extra_layer(self, name: str, rgba: np.ndarray | None, opacity: float = 1.0) -> None:
        old = self.extra_layers.pop(name, None)
        if old is not None:
            self.scene().removeItem(old)
        if rgba is None:
            return
        layer = ExtraLayer(rgba, opacity, 2 + 0.01 * len(self.extra_layers))
        self.extra_layers[name] = layer
        self.scene().addItem(layer)

    def clear_extra_layers(self) -> None:
        for name in list(self.extra_layers):
            self.set_extra_layer(name, None)

    def set_background(self, mode: str) -> None:
        colors = {"dark": QColor(38, 40, 44), "light": QColor(220, 220, 220), "checker": QColor(90, 90, 90)}
        self.setBackgroundBrush(colors.get(mode, QColor(38, 40, 44)))

    # ------------------------------------------------------------ overlay upkeep
    def _instance_colors(self) -> dict[int, tuple[int, int, int]]:
        if self.document is None:
            return {}
        return {i.id: self.colors.get(i.category_id, (200, 200, 200)) for i in self.document}

    def _hatched(self) -> list[int]:
        if self.document is None or not self.ignore_categories:
            return []
        return [i.id for i in self.document if i.category_id in self.ignore_categories]

    def _restyle(self, touched: set[int] | None = None) -> None:
        if self.overlay is None:
            return
        self.overlay.style = OverlayStyle.build(
            self._instance_colors(), opacity=self.opacity, mode=self.mode, selected=self.selected,
            hatched=self._hatched(),
        )
        box = None
        if touched is not None and self.document is not None:
            for iid in touched:
                inst = self.document.find(iid)
                if inst is not None and inst.mask.data.size:
                    box = union_box(box, (inst.mask.x0, inst.mask.y0, inst.mask.x1, inst.mask.y1))
            if box is None:
                return
        self.overlay.invalidate(box)

    def _rebuild_overlay(self) -> None:
        if self.overlay is None:
            return
        if self.document is not None and self.document.image_shape == self.overlay.image_shape:
            self.overlay.raster.rebuild(self.document, self.hidden)
        else:
            self.overlay.raster.labels[:] = 0
        self._restyle()

    def _on_document_changed(self, change: DocumentChange) -> None:
        if self.overlay is None or self.document is None:
            return
        self.selected = [i for i in self.selected if i in self.document]
        if self.hover is not None and self.hover not in self.document:
            self.hover = None
        box = self.overlay.raster.update(self.document, change.dirty_box, self.hidden)
        if change.added or change.modified or change.removed:
            self.overlay.style = OverlayStyle.build(
                self._instance_colors(), opacity=self.opacity, mode=self.mode, selected=self.selected,
                hatched=self._hatched(),
            )
            self._show_hover()
        if box is not None:
            self.overlay.invalidate(box)

    def _on_proposal_changed(self, proposal) -> None:
        if self.proposal_layer is not None:
            self.proposal_layer.set_proposal(proposal)

    # ------------------------------------------------------------ tools
    def set_tool(self, tool: BaseTool | None) -> None:
        if self.tool is not None:
            self.tool.changed.disconnect(self._on_tool_changed)
            self.tool.deactivate()
        self.tool = tool
        if tool is not None and self.tool_context is not None:
            tool.activate(self.tool_context)
            tool.changed.connect(self._on_tool_changed)
            if hasattr(tool, "hidden"):
                tool.hidden = self.hidden  # type: ignore[attr-defined]
        self._on_tool_changed(None)
        self.viewport().setCursor(Qt.CursorShape.ArrowCursor if tool is None or tool.name in ("select", "vertex") else Qt.CursorShape.CrossCursor)
        self.tool_set.emit(tool)

    def _on_tool_changed(self, box) -> None:
        tool = self.tool
        live = getattr(tool, "live_mask", None) if tool is not None else None
        if self.live is not None:
            had = self.live.live is not None
            self.live.live = live
            if live is not None:
                if self.document is not None:
                    self.live.rgb = self._tool_rgb()
                if box is not None:
                    self.live.update(QRectF(box[0], box[1], box[2] - box[0], box[3] - box[1]))
                else:
                    self.live.update()
            elif had:
                self.live.update()
        scale = self.zoom()
        for attr in ("close_radius", "pick_radius"):
            if tool is not None and hasattr(tool, attr):
                setattr(tool, attr, 8.0 / max(scale, 1e-6))
        self.preview.set_shapes(tool.preview() if tool is not None else [])

    def _tool_rgb(self) -> tuple[int, int, int]:
        ctx = self.tool_context
        if ctx is None:
            return (255, 255, 255)
        if ctx.options.target == "selected" and self.selected and self.document is not None:
            inst = self.document.find(self.selected[0])
            if inst is not None:
                return self.colors.get(inst.category_id, (255, 255, 255))
        cat = ctx.category_id()
        return self.colors.get(cat, (255, 255, 255)) if cat is not None else (255, 255, 255)

    # ------------------------------------------------------------ mapping and zoom
    def image_to_view(self, x: float, y: float) -> QPointF:
        return self.viewportTransform().map(QPointF(x, y))

    def view_to_image(self, pt) -> tuple[float, float]:
        p = self.viewportTransform().inverted()[0].map(QPointF(pt))
        return (p.x(), p.y())

    def zoom(self) -> float:
        return abs(self.transform().m11())

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom keeping the image point under `anchor` (viewport coordinates) in place."""
        zoom = min(MAX_ZOOM, max(MIN_ZOOM, zoom))
        self._fit_pending = False
        anchor = QPointF(anchor) if anchor is not None else QPointF(self.viewport().rect().center())
        fixed = self.viewportTransform().inverted()[0].map(anchor)
        self.setTransform(QTransform.fromScale(zoom, zoom))
        self._prefetch_timer.start()
        moved = self.viewportTransform().map(fixed) - anchor
        self.pan_by(round(moved.x()), round(moved.y()))
        self._on_tool_changed(None)
        self.zoom_changed.emit(zoom)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fit_pending:  # keep fitting until the user zooms (the first show resizes us)
            self.fit()

    def fit(self) -> None:
        self._fit_pending = True
        shape = self.image_shape()
        if shape is None:
            return
        h, w = shape
        vp = self.viewport().rect()
        z = min((vp.width() - 16) / max(1, w), (vp.height() - 16) / max(1, h))
        self.setTransform(QTransform.fromScale(z, z))
        self.centerOn(w / 2, h / 2)
        self._on_tool_changed(None)
        self.zoom_changed.emit(z)

    def actual_size(self) -> None:
        self.set_zoom(1.0)

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom() * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom() / ZOOM_STEP)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self._prefetch_timer.start()

    def _prefetch_tiles(self) -> None:
        """While idle, build the tiles around the viewport (half a viewport each side)."""
        layer = self.image_layer
        if layer is None:
            return
        r = self.viewportTransform().inverted()[0].mapRect(QRectF(self.viewport().rect()))
        r = r.adjusted(-r.width() / 2, -r.height() / 2, r.width() / 2, r.height() / 2)
        if layer.prefetch(r, level_for_scale(self.zoom())):
            self._prefetch_timer.start(0)

    def pan_by(self, dx: int, dy: int) -> None:
        self._fit_pending = False
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + dx)
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + dy)

    # ------------------------------------------------------------ input
    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps == 0:
            return
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier and hasattr(self.tool, "grow"):
            self.tool.grow(int(math.copysign(max(1, abs(round(steps))), steps)))  # type: ignore[union-attr]
            self._on_tool_changed(None)
            return
        self.set_zoom(self.zoom() * ZOOM_STEP**steps, event.position())

    def _tool_event(self, kind: str, event: QMouseEvent) -> bool:
        if self.tool is None or self.document is None:
            return False
        x, y = self.view_to_image(event.position())
        buttons = buttons_of(event.buttons() if kind != "release" else event.button())
        if kind == "press":
            buttons = buttons_of(event.button()) | buttons
        handler = getattr(self.tool, kind)
        return bool(handler(x, y, buttons, mods_of(event.modifiers())))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus()
        if event.button() == Qt.MouseButton.MiddleButton or (self._space and event.button() == Qt.MouseButton.LeftButton):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if not self._tool_event("press", event):
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            d = event.position() - self._pan_from
            self._pan_from = event.position()
            self.pan_by(-round(d.x()), -round(d.y()))
            return
        if event.buttons() == Qt.MouseButton.NoButton:
            self._update_hover(event.position())
        else:  # mid-gesture: report the cursor, but no hover work while painting
            x, y = self.view_to_image(event.position())
            self.cursor_moved.emit((math.floor(x), math.floor(y)))
            if self.hover is not None:
                self.hover = None
                self._show_hover()
        self._tool_event("move", event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.CrossCursor)
            return
        if not self._tool_event("release", event):
            super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        finish = getattr(self.tool, "finish", None)
        if finish is not None and getattr(self.tool, "drawing", False):
            finish()
            return
        self.mousePressEvent(event)

    def _update_hover(self, pos: QPointF) -> None:
        x, y = self.view_to_image(pos)
        xi, yi = math.floor(x), math.floor(y)
        shape = self.image_shape()
        inside = shape is not None and 0 <= xi < shape[1] and 0 <= yi < shape[0]
        self.cursor_moved.emit((xi, yi) if inside else None)
        hit = None
        if inside and self.overlay is not None:
            hit = int(self.overlay.raster.labels[yi, xi]) or None
        if hit != self.hover:
            self.hover = hit
            self._show_hover()
            self.hover_changed.emit(hit)

    def _show_hover(self) -> None:
        inst = self.document.find(self.hover) if self.document is not None and self.hover is not None else None
        self.hover_layer.set_mask(inst.mask if inst is not None else None, step=1 << level_for_scale(self.zoom()))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        name = key_name(event)
        if name is not None and self.tool is not None and self.tool.key(name, mods_of(event.modifiers())):
            return
        has_proposal = self.document is not None and self.document.proposal is not None
        if name == "Enter" and has_proposal:
            self.accept_requested.emit()
            return
        if name == "Escape":
            if self.tool is not None:
                self.tool.cancel()
            if has_proposal:
                self.discard_requested.emit()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().setCursor(Qt.CursorShape.CrossCursor)
            return
        super().keyReleaseEvent(event)

    def leaveEvent(self, event) -> None:
        self.cursor_moved.emit(None)
        super().leaveEvent(event)

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        """Fill only what the (opaque) image does not cover: a full-viewport fill costs
        as much as drawing the image itself."""
        brush = self.backgroundBrush()
        shape = self.image_shape()
        if shape is None:
            painter.fillRect(rect, brush)
            return
        img = QRectF(0, 0, shape[1], shape[0])
        if img.contains(rect):
            return
        top = QRectF(rect.left(), rect.top(), rect.width(), max(0.0, img.top() - rect.top()))
        bottom = QRectF(rect.left(), img.bottom(), rect.width(), max(0.0, rect.bottom() - img.bottom()))
        mid_top, mid_bottom = max(rect.top(), img.top()), min(rect.bottom(), img.bottom())
        left = QRectF(rect.left(), mid_top, max(0.0, img.left() - rect.left()), max(0.0, mid_bottom - mid_top))
        right = QRectF(img.right(), mid_top, max(0.0, rect.right() - img.right()), max(0.0, mid_bottom - mid_top))
        for r in (top, bottom, left, right):
            if r.width() > 0 and r.height() > 0:
                painter.fillRect(r, brush)

