"""The review dashboard in its side panel at 1366x768 (issue 15's rounds): it was laid out for a
wide bottom panel, so in the Review mode's right-hand tab the confusion matrix and the score
histogram were cut off behind a sideways scroll bar, each metric table showed one row and the
Export CSV button was clipped.  In a narrow panel the charts stack and the tables take turns."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QScrollArea


def _settle(n: int = 6) -> None:
    for _ in range(n):
        QApplication.processEvents()


def _fully_visible(widget) -> bool:
    return widget.visibleRegion().boundingRect().size() == widget.size()


def test_the_dashboard_fits_its_side_panel_at_1366x768(full_window, qtbot):
    w = full_window
    feature = w.findChild(QObject, "review_feature")
    feature.controller.start("gt", "pred")
    qtbot.waitUntil(lambda: feature.controller.active, timeout=20_000)
    w.modes.activate("review")
    feature.show_dashboard()
    _settle()
    dash = feature.dashboard
    area = dash.parentWidget().parentWidget()
    assert isinstance(area, QScrollArea) and dash.isVisible()
    assert dash.width() <= area.viewport().width()
    assert not area.horizontalScrollBar().isVisible()
    for chart in (dash.iou_bars, dash.heatmap, dash.bf_bars, dash.histogram):
        assert chart.width() >= 200 and chart.geometry().right() <= area.viewport().width()
    rows = dash.classes.verticalHeader().defaultSectionSize()
    for table in (dash.summary, dash.classes):
        assert table.viewport().height() >= 4 * rows
    area.ensureWidgetVisible(dash.export_csv)
    _settle()
    assert _fully_visible(dash.export_csv) and _fully_visible(dash.export_html)
    assert dash.narrow


def test_a_wide_dashboard_keeps_two_columns(full_window, qtbot):
    feature = full_window.findChild(QObject, "review_feature")
    dash = feature.dashboard
    area = dash.parentWidget().parentWidget()
    area.setParent(None)  # the dashboard on its own, as wide as a bottom panel
    area.resize(1200, 700)
    area.show()
    _settle()
    assert dash.narrow is False
    assert dash.heatmap.x() > dash.iou_bars.x() and dash.heatmap.y() == dash.iou_bars.y()
    area.resize(400, 700)
    _settle()
    assert dash.narrow and dash.heatmap.x() == dash.iou_bars.x() and dash.heatmap.y() > dash.iou_bars.y()
    area.close()
