"""Widgets of the video feature: the transport/propagation bar with the timeline, and the
tracks list.  They hold no state of their own beyond what they display; the controller
(`controller.py`) fills them and reacts to their signals."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from segstudio.qt.video.timeline import Timeline

REFINERS = (("GrabCut", "grabcut"), ("Prompt model", "interactive"), ("Flow only", "none"))


def _button(action: QAction) -> QToolButton:
    b = QToolButton()
    b.setDefaultAction(action)
    b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return b


class VideoPanel(QWidget):
    """Transport (first, -10, -1, play, +1, +10, last, frame box), propagation controls
    (direction, frame count or until stopped, refiner, progress, cancel) and the timeline."""

    frame_entered = Signal(int)

    def __init__(self, actions: dict[str, QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timeline = Timeline()
        self.frame_box = QSpinBox()
        self.frame_box.setKeyboardTracking(False)
        self.frame_box.setToolTip("Jump to frame (Ctrl+G)")
        self.frame_box.valueChanged.connect(self.frame_entered)
        self.total = QLabel("/ 0")
        self.time_label = QLabel("")
        self.time_label.setMinimumWidth(90)
        self.count_box = QSpinBox()
        self.count_box.setRange(0, 1_000_000)
        self.count_box.setSpecialValueText("until stopped")
        self.count_box.setSuffix(" frames")
        self.count_box.setToolTip("How many frames to propagate (0: until the end, the next "
                                  "keyframe, or until the confidence drops)")
        self.refiner = QComboBox()
        for label, key in REFINERS:
            self.refiner.addItem(label, key)
        self.refiner.setToolTip("How each propagated mask is snapped to the new frame")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.cancel = QPushButton("Cancel")
        self.cancel.hide()

        # Three short rows, so the panel fits under the canvas between the side columns of a
        # 1280-px screen: transport; propagation; interpolation with a running job's progress.
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for name in ("first", "back10", "back1", "play", "fwd1", "fwd10", "last"):
            row.addWidget(_button(actions[name]))
        row.addSpacing(8)
        row.addWidget(QLabel("Frame"))
        row.addWidget(self.frame_box)
        row.addWidget(self.total)
        row.addWidget(self.time_label)
        row.addStretch(1)
        prop = QHBoxLayout()
        prop.setContentsMargins(0, 0, 0, 0)
        prop.addWidget(QLabel("Propagate"))
        prop.addWidget(_button(actions["propagate_back"]))
        prop.addWidget(_button(actions["propagate_fwd"]))
        prop.addWidget(self.count_box)
        prop.addWidget(self.refiner)
        prop.addStretch(1)
        job = QHBoxLayout()
        job.setContentsMargins(0, 0, 0, 0)
        job.addWidget(_button(actions["interpolate"]))
        job.addSpacing(8)
        job.addWidget(self.progress)
        job.addWidget(self.cancel)
        job.addStretch(1)
        col = QVBoxLayout(self)
        col.setContentsMargins(4, 2, 4, 2)
        col.setSpacing(2)
        col.addLayout(row)
        col.addLayout(prop)
        col.addLayout(job)
        col.addWidget(self.timeline)
        col.addStretch(1)

    def set_video(self, frame_count: int) -> None:
        self.frame_box.blockSignals(True)
        self.frame_box.setRange(0, max(0, frame_count - 1))
        self.frame_box.blockSignals(False)
        self.total.setText(f"/ {max(0, frame_count - 1)}")
        self.timeline.set_video(frame_count)

    def set_frame(self, frame: int, time_text: str) -> None:
        self.frame_box.blockSignals(True)
        self.frame_box.setValue(frame)
        self.frame_box.blockSignals(False)
        self.time_label.setText(time_text)
        self.timeline.set_frame(frame)

    def set_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.cancel.setVisible(running)
        if running:
            self.progress.setRange(0, 0)

    def show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done}/{total}")


class TracksPanel(QWidget):
    """The tracks of the current video: id, name, category, frames; rename by editing."""

    track_selected = Signal(int)
    track_renamed = Signal(int, str)

    def __init__(self, actions: dict[str, QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Track", "Category", "Frames"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.itemSelectionChanged.connect(self._selected)
        self.tree.itemChanged.connect(self._renamed)
        buttons = QHBoxLayout()
        for name in ("new_track", "split_track", "merge_tracks", "delete_track"):
            buttons.addWidget(_button(actions[name]))
        buttons.addStretch(1)
        col = QVBoxLayout(self)
        col.setContentsMargins(2, 2, 2, 2)
        col.addWidget(self.tree)
        col.addLayout(buttons)
        self._filling = False

    def set_tracks(self, rows: list[tuple[int, str, str, tuple[int, int, int], str]]) -> None:
        """rows: (track id, name, category name, colour, frames text)."""
        keep = set(self.selected_ids())
        self._filling = True
        self.tree.clear()
        for tid, name, cat, color, frames in rows:
            item = QTreeWidgetItem([name, cat, frames])
            item.setData(0, Qt.ItemDataRole.UserRole, tid)
            item.setForeground(1, QColor(*color))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.tree.addTopLevelItem(item)
            item.setSelected(tid in keep)
        for k in range(3):
            self.tree.resizeColumnToContents(k)
        self._filling = False

    def selected_ids(self) -> list[int]:
        return [int(i.data(0, Qt.ItemDataRole.UserRole)) for i in self.tree.selectedItems()]

    def select(self, track_id: int | None) -> None:
        self._filling = True
        for k in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(k)
            item.setSelected(item.data(0, Qt.ItemDataRole.UserRole) == track_id)
        self._filling = False

    def _selected(self) -> None:
        ids = self.selected_ids()
        if ids and not self._filling:
            self.track_selected.emit(ids[0])

    def _renamed(self, item: QTreeWidgetItem, column: int) -> None:
        if not self._filling and column == 0:
            self.track_renamed.emit(int(item.data(0, Qt.ItemDataRole.UserRole)), item.text(0))
