"""Resting the mouse anywhere raises nothing: tooltip (QHelpEvent) and hover events over every
canvas layer and over every dock and its widgets.

Qt asks the items under a resting pointer for their shape(); a layer whose `shape` was a tuple
made every rest on the canvas an error dialog, while every pointer-driven test passed.
Events are posted (not sent): delivered from the event loop, as a real rest of the mouse is.
"""

from __future__ import annotations

import sys

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QHelpEvent, QHoverEvent, QPointingDevice
from PySide6.QtWidgets import QApplication, QDockWidget, QWidget

from segstudio.core.masks import MaskPatch
from segstudio.core.proposal import Proposal


def _rest_at(widget: QWidget, pos: QPoint) -> None:
    glob = widget.mapToGlobal(pos)
    QApplication.postEvent(widget, QHelpEvent(QEvent.Type.ToolTip, pos, glob))
    QApplication.postEvent(widget, QHelpEvent(QEvent.Type.WhatsThis, pos, glob))
    dev = QPointingDevice.primaryPointingDevice()
    QApplication.postEvent(widget, QHoverEvent(QEvent.Type.HoverMove, QPointF(pos), QPointF(glob), QPointF(pos), Qt.KeyboardModifier.NoModifier, dev))


def _collect_errors(monkeypatch) -> list:
    errors: list = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: errors.append(exc))
    return errors


def test_rest_over_every_canvas_layer(full_window, qtbot, monkeypatch):
    w = full_window
    cv = w.canvas
    doc = w.current_document()
    assert doc is not None and len(doc) >= 2
    h, wd = cv.image_shape()
    # Every kind of layer present at once: hover tint, a proposal, a feature layer, a live stroke.
    first = doc.find(doc.order[0])
    cv.hover_layer.set_mask(first.mask)
    doc.set_proposal(Proposal(MaskPatch.from_full(np.pad(np.ones((20, 20), bool), ((5, h - 25), (5, wd - 25)))), model_id="test"))
    cv.set_extra_layer("test", np.full((h, wd, 4), 80, np.uint8), 0.5)
    cv.live.live = (np.ones((10, 10), bool), (0, 0, 10, 10), "add")
    items = cv.scene().items()
    kinds = {type(i).__name__ for i in items}
    assert {"SceneLayer", "HoverLayer", "LiveMaskLayer", "ProposalLayer", "ExtraLayer", "PreviewItem"} <= kinds
    errors = _collect_errors(monkeypatch)
    vp = cv.viewport()
    cv.fit()
    for item in items:
        r = item.sceneBoundingRect()
        for p in (r.center(), r.topLeft() + QPointF(1, 1)) if not r.isEmpty() else (QPointF(wd / 2, h / 2),):
            _rest_at(vp, cv.mapFromScene(p))
    qtbot.wait(50)
    QApplication.processEvents()
    assert errors == [], [str(e[1]) for e in errors]


def test_rest_over_every_dock_and_its_widgets(full_window, qtbot, monkeypatch):
    w = full_window
    docks = w.findChildren(QDockWidget)
    assert len(docks) >= 8
    for dock in docks:  # every panel of every mode, shown
        dock.show()
    QApplication.processEvents()
    errors = _collect_errors(monkeypatch)
    count = 0
    for dock in docks:
        for widget in [dock, *dock.findChildren(QWidget)]:
            if widget.isVisible() and widget.width() > 0:
                _rest_at(widget, widget.rect().center())
                count += 1
    qtbot.wait(50)
    QApplication.processEvents()
    assert count > 100
    assert errors == [], [str(e[1]) for e in errors]
