"""A small line-plot widget drawn with QPainter: live loss and IoU curves per epoch/step.

No plotting library: a few series of (x, y) points, auto-scaled axes with rounded ticks,
a legend.  `series()` exposes the data so tests can check what is plotted.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget


def nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    """Round tick values covering [lo, hi] (1, 2, 5 x 10^k steps)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = max(m * mag for m in (1, 2, 5) if m * mag <= raw * (1 + 1e-9))  # at least n ticks
    first = math.ceil(lo / step) * step
    out, v = [], first
    while v <= hi + step * 1e-9:
        out.append(round(v, 10))
        v += step
    return out


class CurvePlot(QWidget):
    def __init__(self, title: str = "", y_range: tuple[float, float] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.y_range = y_range  # fixed (e.g. 0..1 for IoU) or None = auto
        self._series: dict[str, tuple[QColor, list[tuple[float, float]]]] = {}
        self.setMinimumSize(240, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(420, 200)

    # ----------------------------------------------------------------- data
    def add_series(self, name: str, color: str) -> None:
        self._series.setdefault(name, (QColor(color), []))

    def append(self, name: str, x: float, y: float | None) -> None:
        if y is None or not math.isfinite(y):
            return
        if name not in self._series:
            self.add_series(name, "#888888")
        self._series[name][1].append((float(x), float(y)))
        self.update()

    def set_points(self, name: str, points: list[tuple[float, float]]) -> None:
        if name not in self._series:
            self.add_series(name, "#888888")
        self._series[name][1][:] = [(float(x), float(y)) for x, y in points if y is not None and math.isfinite(y)]
        self.update()

    def clear(self) -> None:
        for _, pts in self._series.values():
            pts.clear()
        self.update()

    def series(self) -> dict[str, list[tuple[float, float]]]:
        return {k: list(v[1]) for k, v in self._series.items()}

    def _bounds(self) -> tuple[float, float, float, float] | None:
        pts = [p for _, ps in self._series.values() for p in ps]
        if not pts:
            return None
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        x0, x1 = min(xs), max(xs)
        if x1 <= x0:
            x1 = x0 + 1
        if self.y_range is not None:
            y0, y1 = self.y_range
        else:
            y0, y1 = min(ys), max(ys)
            pad = (y1 - y0) * 0.08 or abs(y1) * 0.1 or 1.0
            y0, y1 = y0 - pad, y1 + pad
        return x0, x1, y0, y1

    # ----------------------------------------------------------------- painting
    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        p.fillRect(self.rect(), pal.base())
        fm = p.fontMetrics()
        left, top, right, bottom = fm.horizontalAdvance("0.000") + 10, fm.height() + 6, 10, fm.height() + 8
        plot = QRectF(left, top, max(10, self.width() - left - right), max(10, self.height() - top - bottom))
        p.setPen(pal.text().color())
        p.drawText(QRectF(0, 2, self.width(), fm.height()), Qt.AlignmentFlag.AlignHCenter, self.title)
        b = self._bounds()
        grid = QPen(pal.mid().color(), 1, Qt.PenStyle.DotLine)
        p.setPen(grid)
        p.drawRect(plot)
        if b is None:
            p.setPen(pal.placeholderText().color())
            p.drawText(plot, Qt.AlignmentFlag.AlignCenter, "no data yet")
            p.end()
            return
        x0, x1, y0, y1 = b

        def to_px(x: float, y: float) -> QPointF:
            return QPointF(plot.left() + (x - x0) / (x1 - x0) * plot.width(),
                           plot.bottom() - (y - y0) / (y1 - y0) * plot.height())

        for ty in nice_ticks(y0, y1):
            pt = to_px(x0, ty)
            p.setPen(grid)
            p.drawLine(QPointF(plot.left(), pt.y()), QPointF(plot.right(), pt.y()))
            p.setPen(pal.text().color())
            p.drawText(QRectF(0, pt.y() - fm.height() / 2, left - 4, fm.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{ty:.3g}")
        for tx in nice_ticks(x0, x1, 5):
            pt = to_px(tx, y0)
            p.setPen(pal.text().color())
            p.drawText(QRectF(pt.x() - 30, plot.bottom() + 2, 60, fm.height()), Qt.AlignmentFlag.AlignHCenter, f"{tx:g}")
        lx = plot.left() + 6
        for name, (color, pts) in self._series.items():
            if not pts:
                continue
            p.setPen(QPen(color, 2))
            if len(pts) == 1:
                p.drawEllipse(to_px(*pts[0]), 2.5, 2.5)
            else:
                path = QPainterPath(to_px(*pts[0]))
                for pt in pts[1:]:
                    path.lineTo(to_px(*pt))
                p.drawPath(path)
            p.drawLine(QPointF(lx, plot.top() + 8), QPointF(lx + 14, plot.top() + 8))
            p.setPen(pal.text().color())
            p.drawText(QPointF(lx + 18, plot.top() + 8 + fm.ascent() / 2 - 1), name)
            lx += 26 + fm.horizontalAdvance(name)
        p.end()
