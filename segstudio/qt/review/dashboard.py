"""The review dashboard: per-class IoU bars, confusion heatmap, score histogram, metrics table,
and export of the HTML report / CSV."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QBoxLayout,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from segstudio.eval.compare import EvalResult
from segstudio.eval.report import present_classes
from segstudio.qt import file_dialogs
from segstudio.qt.review.charts import BarChart, HeatmapChart, HistogramChart

WIDE = 620  # px of room: below it the charts stack in one column, the tables one above the other
TABLE_ROWS = 5  # rows the metric tables show without scrolling
CLASS_COLUMNS = ("class", "GT", "pred", "TP", "FP", "FN", "precision", "recall", "IoU", "Dice", "boundary F", "AP", "AP50")


def _fmt(v) -> str:
    if isinstance(v, float):
        return "–" if math.isnan(v) or v < 0 else f"{v:.3f}"
    return str(v)


class Dashboard(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: EvalResult | None = None
        self.iou_bars = BarChart("Per-class IoU", QColor(59, 125, 216))
        self.bf_bars = BarChart("Per-class boundary F", QColor(42, 157, 111))
        self.heatmap = HeatmapChart()
        self.histogram = HistogramChart()
        self.summary = QTableWidget(0, 2)
        self.summary.setHorizontalHeaderLabels(["metric", "value"])
        self.classes = QTableWidget(0, len(CLASS_COLUMNS))
        self.classes.setHorizontalHeaderLabels(list(CLASS_COLUMNS))
        for t in (self.summary, self.classes):
            t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            t.verticalHeader().hide()
        self.export_html = QPushButton("Export HTML report…")
        self.export_csv = QPushButton("Export CSV…")
        self.export_html.clicked.connect(lambda: self._export("html"))
        self.export_csv.clicked.connect(lambda: self._export("csv"))
        for t in (self.summary, self.classes):
            rows = t.verticalHeader().defaultSectionSize() * TABLE_ROWS
            t.setMinimumHeight(rows + t.horizontalHeader().sizeHint().height() + 2 * t.frameWidth())
        self.grid = QGridLayout()
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_html)
        buttons.addWidget(self.export_csv)
        lay = QVBoxLayout(self)
        lay.addLayout(self.grid, 3)
        self.tables = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.tables.addWidget(self.summary, 1)
        self.tables.addWidget(self.classes, 3)
        lay.addLayout(self.tables, 2)
        lay.addLayout(buttons)
        self.narrow: bool | None = None
        self._arrange(narrow=False)
        self.set_result(None)

    def _arrange(self, narrow: bool) -> None:
        """Two columns of charts and the tables side by side where there is room; one column in a
        side panel (1366x768: the charts were cut off and scrolled sideways, one table row showed)."""
        if narrow == self.narrow:
            return
        self.narrow = narrow
        charts = (self.iou_bars, self.heatmap, self.bf_bars, self.histogram)
        for k, chart in enumerate(charts):
            self.grid.removeWidget(chart)
            row, col = (k, 0) if narrow else divmod(k, 2)
            self.grid.addWidget(chart, row, col)
        self.tables.setDirection(QBoxLayout.Direction.TopToBottom if narrow else QBoxLayout.Direction.LeftToRight)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ParentChange and self.parentWidget() is not None:
            self.parentWidget().installEventFilter(self)  # put in a dock's scroll area
        return super().event(event)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        # the room is the parent's (a scroll area's viewport): our own width never drops below
        # the two-column minimum, so it cannot tell that a side panel is too narrow for it
        if event.type() == QEvent.Type.Resize and obj is self.parentWidget():
            self._arrange(narrow=obj.width() < WIDE)
        return False

    def set_result(self, result: EvalResult | None) -> None:
        self.result = result
        self.export_html.setEnabled(result is not None)
        self.export_csv.setEnabled(result is not None)
        if result is None:
            self.iou_bars.set_data([], [])
            self.bf_bars.set_data([], [])
            self.summary.setRowCount(0)
            self.classes.setRowCount(0)
            return
        shown = present_classes(result)  # classes absent from both sets stay out of the charts
        classes = [result.classes[k] for k in shown]
        names = [c.name for c in classes]
        self.iou_bars.set_data(names, [c.iou for c in classes])
        self.bf_bars.set_data(names, [c.boundary_f for c in classes])
        keep = [0] + [k + 1 for k in shown]
        self.heatmap.set_data(result.confusion[np.ix_(keep, keep)], [result.confusion_labels[k] for k in keep])
        self.histogram.set_data(result.tp_scores, result.fp_scores, result.low_scores)
        summary = result.summary()
        self.summary.setRowCount(len(summary))
        for r, (k, v) in enumerate(summary.items()):
            self.summary.setItem(r, 0, QTableWidgetItem(k))
            text = str(int(v)) if k in ("images", "tp", "fp", "fn") else _fmt(float(v))
            self.summary.setItem(r, 1, QTableWidgetItem(text))
        self.classes.setRowCount(len(result.classes))
        for r, c in enumerate(result.classes):
            vals = (c.name, c.n_gt, c.n_pred, c.tp, c.fp, c.fn, c.precision, c.recall, c.iou, c.dice, c.boundary_f, c.ap, c.ap50)
            for k, v in enumerate(vals):
                self.classes.setItem(r, k, QTableWidgetItem(_fmt(v)))
        self.classes.resizeColumnsToContents()

    def _export(self, kind: str, path: str | None = None) -> str | None:
        if self.result is None:
            return None
        if path is None:
            filt = "HTML report (*.html)" if kind == "html" else "CSV (*.csv)"
            path = file_dialogs.save_file(self, "evaluation_export", "Export evaluation", f"evaluation.{kind}", filt)
            if not path:
                return None
        from segstudio.eval.report import write_csv, write_html

        (write_html if kind == "html" else write_csv)(self.result, path)
        return path

    def export(self, kind: str, path: str) -> str | None:
        """Write the report without a dialog (menu actions and tests)."""
        return self._export(kind, path)
