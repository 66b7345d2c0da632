"""The right-hand panel column is wide enough for its panels in every task mode at 1366x768:
a stored layout left Review's column ~270 px wide, hiding the Prediction combo, the Compare
button and the review queue's columns behind a horizontal scroll bar (Categories had one too)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication

from segstudio.qt.modes import MIN_CANVAS_SHARE, MODES

from .conftest import close_full_window, make_full_window

RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
RIGHT_MODES = [m.key for m in MODES]  # every mode has panels on the right


def _settle(n: int = 6) -> None:
    for _ in range(n):
        QApplication.processEvents()


def _right_docks_in_front(w) -> list:
    return [d for d in w.modes.docks_of(w.modes.current)
            if d.isVisible() and w.dockWidgetArea(d) == RIGHT and not d.visibleRegion().isEmpty()]


def _squeezed(w) -> list[str]:
    """Panels in front on the right that scroll sideways or are narrower than they need."""
    _settle()
    bad = []
    for dock in _right_docks_in_front(w):
        area, panel = dock.widget(), dock.widget().widget()
        need = panel.minimumSizeHint().width()
        if area.horizontalScrollBar().isVisible() or area.viewport().width() < need:
            bad.append(f"{dock.objectName()}: {area.viewport().width()} px for {need}")
    return bad


def _narrow_right_column(w, px: int = 200) -> None:
    w.resizeDocks(_right_docks_in_front(w)[:1], [px], Qt.Orientation.Horizontal)
    _settle()


@pytest.mark.parametrize("mode", RIGHT_MODES)
def test_a_narrow_stored_layout_is_widened_to_its_panels(full_window, mode):
    w = full_window
    w.modes.activate(mode)
    _settle()
    assert _right_docks_in_front(w), mode
    _narrow_right_column(w)  # the layout is stored on leaving and restored on entering
    w.modes.activate("annotate" if mode != "annotate" else "review")
    w.modes.activate(mode)
    assert _squeezed(w) == [], mode


def test_review_remembered_across_a_restart_shows_every_queue_column(qtbot, sample_dir):
    w = make_full_window(qtbot)
    assert w.open_project(sample_dir)
    w.modes.activate("review")
    _settle()
    _narrow_right_column(w)
    close_full_window(w)
    w2 = make_full_window(qtbot)
    try:
        assert w2.open_project(sample_dir)
        assert w2.modes.current == "review"
        assert _squeezed(w2) == []
        feature = w2.findChild(QObject, "review_feature")
        feature.controller.start("gt", "pred")
        qtbot.waitUntil(lambda: feature.controller.active, timeout=20_000)
        _settle()
        queue = feature.panel.queue
        header = queue.horizontalHeader()
        last = queue.columnCount() - 1
        assert header.sectionViewportPosition(last) + header.sectionSize(last) <= queue.viewport().width()
        assert _squeezed(w2) == []
    finally:
        close_full_window(w2)


def test_the_canvas_keeps_its_share_in_a_small_window(qtbot, sample_dir):
    w = make_full_window(qtbot, size=(700, 600))
    try:
        assert w.open_project(sample_dir)
        w.modes.activate("review")
        _settle()
        _narrow_right_column(w, 100)
        w.modes.activate("annotate")
        w.modes.activate("review")
        _settle()
        widths = [d.width() for d in _right_docks_in_front(w)]
        assert widths and max(widths) <= int(w.width() * (1 - MIN_CANVAS_SHARE))
    finally:
        close_full_window(w)
