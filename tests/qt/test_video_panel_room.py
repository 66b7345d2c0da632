"""The Video mode's Timeline panel fits under the canvas on a 1280x720 screen: with the side
columns as wide as their panels, a window of 1177x662 (what openbox gives a 1280x720 screen)
left the propagation row ~540 px for 576 and hid "Interpolate" behind a sideways scroll bar."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from .conftest import close_full_window, make_full_window

BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea


@pytest.mark.parametrize("running", [False, True], ids=["idle", "propagating"])
def test_the_timeline_panel_needs_no_sideways_scrolling_at_1280x720(qtbot, sample_dir, running):
    w = make_full_window(qtbot, (1177, 662))
    try:
        assert w.open_project(sample_dir)
        w.modes.activate("video")
        panel = next(d for d in w.modes.docks_of("video")
                     if d.isVisible() and w.dockWidgetArea(d) == BOTTOM)
        area = panel.widget()
        if running:  # a propagation shows its progress bar and Cancel button
            area.widget().progress.show()
            area.widget().cancel.show()
        for _ in range(6):
            QApplication.processEvents()
        need = area.widget().minimumSizeHint().width()
        assert area.viewport().width() >= need, (area.viewport().width(), need)
        assert not area.horizontalScrollBar().isVisible()
    finally:
        close_full_window(w)
