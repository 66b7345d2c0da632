"""Dashboard charts drawn with QPainter: per-class bars, confusion heatmap, score histogram."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from segstudio.eval.svg import heat_color


class Chart(QWidget):
    title = ""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(220, 160)

    def sizeHint(self) -> QSize:
        return QSize(420, 260)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.palette().base())
        p.setPen(self.palette().text().color())
        f = p.font()
        f.setBold(True)
        p.setFont(f)
        p.drawText(6, 16, self.title)
        f.setBold(False)
        p.setFont(f)
        self.draw(p, QRectF(6, 24, self.width() - 12, self.height() - 30))
        p.end()

    def draw(self, p: QPainter, area: QRectF) -> None:
        raise NotImplementedError


class BarChart(Chart):
    """Horizontal bars of values in [0, 1]; NaN shows 'n/a'."""

    def __init__(self, title: str, color: QColor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.color = color
        self.labels: list[str] = []
        self.values: list[float] = []

    def set_data(self, labels: list[str], values: list[float]) -> None:
        self.labels, self.values = list(labels), [float(v) for v in values]
        self.update()

    def draw(self, p: QPainter, area: QRectF) -> None:
        if not self.labels:
            p.drawText(area, Qt.AlignmentFlag.AlignCenter, "no data")
            return
        n = len(self.labels)
        row = min(22.0, area.height() / n)
        label_w = min(120.0, area.width() * 0.35)
        bar_w = area.width() - label_w - 50
        for k, (lab, v) in enumerate(zip(self.labels, self.values)):
            y = area.top() + k * row
            p.setPen(self.palette().text().color())
            p.drawText(QRectF(area.left(), y, label_w - 6, row), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, lab)
            track = QRectF(area.left() + label_w, y + 3, bar_w, row - 6)
            p.fillRect(track, QColor(128, 128, 128, 40))
            if math.isnan(v):
                p.drawText(track, Qt.AlignmentFlag.AlignVCenter, " n/a")
                continue
            p.fillRect(QRectF(track.left(), track.top(), bar_w * max(0.0, min(1.0, v)), track.height()), self.color)
            p.drawText(QRectF(track.right() + 4, y, 46, row), Qt.AlignmentFlag.AlignVCenter, f"{v:.3f}")


class HeatmapChart(Chart):
    """Row-normalised confusion matrix (rows: ground truth, columns: prediction)."""

    title = "Confusion (rows: ground truth)"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.matrix = np.zeros((0, 0))
        self.labels: list[str] = []

    def set_data(self, matrix: np.ndarray, labels: list[str]) -> None:
        self.matrix, self.labels = np.asarray(matrix, np.float64), list(labels)
        self.update()

    def event(self, ev) -> bool:
        if ev.type() == QEvent.Type.ToolTip:
            cell = self.cell_at(ev.pos().x(), ev.pos().y())
            if cell is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(ev.globalPos(), self.cell_text(*cell), self)
            return True
        return super().event(ev)

    def cell_text(self, i: int, j: int) -> str:
        m = self.matrix
        row = m[i].sum()
        share = m[i, j] / row if row else 0.0
        return f"{self.labels[i]} → {self.labels[j]}: {int(m[i, j])} px ({share:.1%} of {self.labels[i]})"

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        geo = self._geometry(QRectF(6, 24, self.width() - 12, self.height() - 30))
        if geo is None:
            return None
        left, top, cell = geo
        i, j = int((y - top) // cell), int((x - left) // cell)
        n = len(self.labels)
        return (i, j) if 0 <= i < n and 0 <= j < n and y >= top and x >= left else None

    def _geometry(self, area: QRectF):
        n = len(self.labels)
        if not n:
            return None
        fm = self.fontMetrics()
        margin = min(area.width() * 0.35, max(fm.horizontalAdvance(lab[:16]) for lab in self.labels) + 10.0)
        cell = max(4.0, min((area.width() - margin) / n, (area.height() - 16) / n))
        return area.left() + margin, area.top(), cell

    def draw(self, p: QPainter, area: QRectF) -> None:
        geo = self._geometry(area)
        if geo is None:
            p.drawText(area, Qt.AlignmentFlag.AlignCenter, "no data")
            return
        left, top, cell = geo
        m = self.matrix
        rows = m.sum(axis=1, keepdims=True)
        norm = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
        for i, lab in enumerate(self.labels):
            p.setPen(self.palette().text().color())
            p.drawText(QRectF(area.left(), top + i * cell, left - area.left() - 4, cell),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, lab[:16])
            for j in range(len(self.labels)):
                r = QRectF(left + j * cell, top + i * cell, cell, cell)
                p.fillRect(r, QColor(heat_color(float(norm[i, j]))))
                if cell >= 28 and m[i, j]:
                    p.setPen(QColor(255, 255, 255) if norm[i, j] > 0.5 else QColor(30, 30, 30))
                    p.drawText(r, Qt.AlignmentFlag.AlignCenter, f"{norm[i, j]:.0%}")
        p.setPen(QPen(QColor(128, 128, 128)))
        p.drawRect(QRectF(left, top, cell * len(self.labels), cell * len(self.labels)))


class HistogramChart(Chart):
    """Stacked score histogram: true positives, false positives, below the threshold."""

    title = "Prediction scores"
    COLORS = (QColor(42, 157, 111), QColor(216, 59, 59), QColor(160, 160, 160))

    def __init__(self, parent: QWidget | None = None, bins: int = 20) -> None:
        super().__init__(parent)
        self.bins = bins
        self.counts = np.zeros((3, bins), int)
        self.names = ("TP", "FP", "below threshold")

    def set_data(self, tp: np.ndarray, fp: np.ndarray, low: np.ndarray) -> None:
        edges = np.linspace(0, 1, self.bins + 1)
        self.counts = np.stack([np.histogram(np.clip(np.asarray(v, float), 0, 1), edges)[0] for v in (tp, fp, low)])
        self.update()

    def draw(self, p: QPainter, area: QRectF) -> None:
        total = self.counts.sum(axis=0)
        if not total.any():
            p.drawText(area, Qt.AlignmentFlag.AlignCenter, "no scores")
            return
        plot = QRectF(area.left() + 30, area.top(), area.width() - 34, area.height() - 34)
        top = float(total.max())
        bw = plot.width() / self.bins
        base = np.zeros(self.bins)
        for series, color in zip(self.counts, self.COLORS):
            for b in range(self.bins):
                if series[b]:
                    h = series[b] / top * plot.height()
                    y = plot.bottom() - (base[b] / top * plot.height()) - h
                    p.fillRect(QRectF(plot.left() + b * bw, y, bw - 1, h), color)
            base += series
        p.setPen(self.palette().text().color())
        p.drawLine(plot.bottomLeft(), plot.bottomRight())
        p.drawText(QRectF(area.left(), plot.top() - 2, 28, 14), Qt.AlignmentFlag.AlignRight, str(int(top)))
        for t in (0.0, 0.5, 1.0):
            p.drawText(QRectF(plot.left() + t * plot.width() - 15, plot.bottom() + 2, 30, 14), Qt.AlignmentFlag.AlignCenter, f"{t:g}")
        x = plot.left()
        for name, color in zip(self.names, self.COLORS):
            p.fillRect(QRectF(x, area.bottom() - 12, 10, 10), color)
            p.drawText(QRectF(x + 13, area.bottom() - 15, 110, 16), Qt.AlignmentFlag.AlignVCenter, name)
            x += 20 + 7 * len(name)
