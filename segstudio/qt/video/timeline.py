"""The video timeline: a frame ruler with a cursor, markers on annotated frames, and one strip
per track showing where the track is present (keyframes marked darker).

Painted by hand (a QSlider cannot show markers or track strips); click or drag anywhere to
scrub, click a track strip to select that track.  Runs of consecutive frames are painted as one
rectangle, so a 10,000-frame video costs what its number of runs costs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

RULER_H = 22
ROW_H = 11
MARGIN = 8


@dataclass
class TrackRow:
    track_id: int
    label: str
    color: tuple[int, int, int]
    frames: dict[int, bool] = field(default_factory=dict)  # frame -> is keyframe


def runs(frames) -> list[tuple[int, int]]:
    """Sorted frames -> [(first, last)] of consecutive runs."""
    out: list[tuple[int, int]] = []
    for f in sorted(frames):
        if out and f == out[-1][1] + 1:
            out[-1] = (out[-1][0], f)
        else:
            out.append((f, f))
    return out


class Timeline(QWidget):
    frame_requested = Signal(int)
    track_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frame_count = 0
        self.frame = 0
        self.marks: list[tuple[int, int]] = []  # runs of annotated frames
        self.rows: list[TrackRow] = []
        self._row_runs: list[list[tuple[int, int]]] = []
        self.selected_track: int | None = None
        self.busy_range: tuple[int, int] | None = None  # frames being propagated
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(200)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the window's shortcuts
        self._update_height()

    # ----------------------------------------------------------------- state
    def set_video(self, frame_count: int) -> None:
        self.frame_count = max(0, int(frame_count))
        self.update()

    def set_frame(self, frame: int) -> None:
        self.frame = int(frame)
        self.update()

    def set_marks(self, frames) -> None:
        self.marks = runs(frames)
        self.update()

    def set_tracks(self, rows: list[TrackRow]) -> None:
        self.rows = list(rows)
        self._row_runs = [runs(r.frames) for r in self.rows]
        self._update_height()
        self.update()

    def set_selected_track(self, track_id: int | None) -> None:
        self.selected_track = track_id
        self.update()

    def set_busy(self, first: int | None, last: int | None = None) -> None:
        self.busy_range = None if first is None else (min(first, last), max(first, last))
        self.update()

    def _update_height(self) -> None:
        h = RULER_H + ROW_H * max(1, min(len(self.rows), 12)) + 6
        self.setFixedHeight(h)

    def sizeHint(self) -> QSize:
        return QSize(600, self.height())

    # ----------------------------------------------------------------- geometry
    def x_of(self, frame: float) -> float:
        n = max(1, self.frame_count)
        return MARGIN + (frame + 0.5) * (self.width() - 2 * MARGIN) / n

    def frame_at(self, x: float) -> int:
        n = max(1, self.frame_count)
        f = int((x - MARGIN) * n / max(1, self.width() - 2 * MARGIN))
        return min(max(f, 0), n - 1)

    def row_at(self, y: float) -> int | None:
        k = int((y - RULER_H) // ROW_H)
        return k if y >= RULER_H and 0 <= k < min(len(self.rows), 12) else None

    # ----------------------------------------------------------------- events
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self.frame_count == 0:
            return
        pos = event.position()
        row = self.row_at(pos.y())
        if row is not None:
            self.track_clicked.emit(self.rows[row].track_id)
        self.frame_requested.emit(self.frame_at(pos.x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self.frame_count == 0:
            return
        pos = event.position()
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.frame_requested.emit(self.frame_at(pos.x()))
            return
        row = self.row_at(pos.y())
        f = self.frame_at(pos.x())
        tip = f"frame {f}"
        if row is not None:
            r = self.rows[row]
            state = ("keyframe" if r.frames[f] else "propagated") if f in r.frames else "absent"
            tip = f"{r.label}: frame {f} ({state})"
        QToolTip.showText(event.globalPosition().toPoint(), tip, self)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        w = self.width()
        p.fillRect(self.rect(), QColor(38, 40, 44))
        p.fillRect(QRectF(0, 0, w, RULER_H), QColor(52, 55, 60))
        n = self.frame_count
        if n == 0:
            p.setPen(QColor(150, 150, 150))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no video")
            return
        span = w - 2 * MARGIN
        # Ruler ticks: a step that leaves at least ~60 px between labels.
        step = 1
        for s in (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000):
            step = s
            if span * s / n >= 60:
                break
        p.setPen(QColor(140, 144, 150))
        for f in range(0, n, step):
            x = self.x_of(f)
            p.drawLine(QPointF(x, RULER_H - 6), QPointF(x, RULER_H))
            p.drawText(QPointF(x + 2, 11), str(f))
        if self.busy_range is not None:
            a, b = self.busy_range
            p.fillRect(QRectF(self.x_of(a - 0.5), 0, self.x_of(b + 0.5) - self.x_of(a - 0.5), RULER_H),
                       QColor(90, 140, 220, 70))
        # Annotated frames: amber marks along the bottom of the ruler.
        for a, b in self.marks:
            x0, x1 = self.x_of(a - 0.5), self.x_of(b + 0.5)
            p.fillRect(QRectF(x0, RULER_H - 5, max(2.0, x1 - x0), 4), QColor(240, 180, 60))
        for k, (row, row_runs) in enumerate(zip(self.rows[:12], self._row_runs[:12])):
            y = RULER_H + k * ROW_H + 1
            if row.track_id == self.selected_track:
                p.fillRect(QRectF(0, y - 1, w, ROW_H), QColor(70, 74, 82))
            c = QColor(*row.color)
            for a, b in row_runs:
                x0, x1 = self.x_of(a - 0.5), self.x_of(b + 0.5)
                p.fillRect(QRectF(x0, y + 2, max(1.5, x1 - x0), ROW_H - 4), c)
            key = c.darker(170)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(key)
            for f, is_key in row.frames.items():
                if is_key:
                    x, cy = self.x_of(f), y + ROW_H / 2 - 0.5
                    p.drawPolygon(QPolygonF([QPointF(x, cy - 4), QPointF(x + 3.5, cy),
                                             QPointF(x, cy + 4), QPointF(x - 3.5, cy)]))
        # The cursor over everything.
        x = self.x_of(self.frame)
        p.setPen(QPen(QColor(240, 70, 70), 2))
        p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        p.end()
