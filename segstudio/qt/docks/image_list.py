"""Image list: status badges, filter by status and category, search by name, counts."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from segstudio.store import Project
from segstudio.store.project import STATUSES, ImageRecord

STATUS_COLORS = {
    "new": QColor(140, 140, 150),
    "prelabelled": QColor(170, 120, 230),
    "in_progress": QColor(240, 180, 50),
    "in_review": QColor(80, 160, 250),
    "done": QColor(90, 200, 120),
}
STATUS_TEXT = {s: s.replace("_", " ") for s in STATUSES}


def status_icon(status: str) -> QIcon:
    pm = QPixmap(12, 12)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(STATUS_COLORS.get(status, QColor(128, 128, 128)))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(1, 1, 10, 10)
    p.end()
    return QIcon(pm)


class ImageListPanel(QWidget):
    image_activated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(placeholderText="Search images…")
        self.search.setClearButtonEnabled(True)
        self.status_filter = QComboBox()
        self.status_filter.addItem("All statuses", None)
        for s in STATUSES:
            self.status_filter.addItem(status_icon(s), STATUS_TEXT[s], s)
        self.category_filter = QComboBox()
        self.category_filter.addItem("All categories", None)
        self.list = QListWidget()
        self.list.setUniformItemSizes(True)
        self.counts = QLabel()
        self.counts.setStyleSheet("color: palette(mid);")
        filters = QHBoxLayout()
        filters.addWidget(self.status_filter)
        filters.addWidget(self.category_filter)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.search)
        lay.addLayout(filters)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.counts)
        self.project: Project | None = None
        self.records: list[ImageRecord] = []
        self.current_id: int | None = None
        self.search.textChanged.connect(self._apply_filter)
        self.status_filter.currentIndexChanged.connect(self._apply_filter)
        self.category_filter.currentIndexChanged.connect(self._apply_filter)
        self.list.currentItemChanged.connect(self._on_current)

    def set_project(self, project: Project | None) -> None:
        self.project = project
        self.refresh()

    def refresh(self) -> None:
        self.records = self.project.images() if self.project is not None else []
        cat = self.category_filter.currentData()
        self.category_filter.blockSignals(True)
        self.category_filter.clear()
        self.category_filter.addItem("All categories", None)
        if self.project is not None:
            for c in self.project.categories():
                self.category_filter.addItem(c.name, c.id)
        idx = self.category_filter.findData(cat)
        self.category_filter.setCurrentIndex(max(0, idx))
        self.category_filter.blockSignals(False)
        self._apply_filter()

    def visible_ids(self) -> list[int]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def _apply_filter(self) -> None:
        text = self.search.text().strip().lower()
        status = self.status_filter.currentData()
        cat = self.category_filter.currentData()
        with_cat: set[int] | None = None
        if cat is not None and self.project is not None:
            rows = self.project.conn.execute(
                "SELECT DISTINCT image_id FROM instances WHERE category_id=? AND label_set='gt'", (cat,)
            )
            with_cat = {r[0] for r in rows}
        self.list.blockSignals(True)
        self.list.clear()
        for rec in self.records:
            if text and text not in rec.path.lower():
                continue
            if status and rec.status != status:
                continue
            if with_cat is not None and rec.id not in with_cat:
                continue
            label = rec.name if rec.kind == "image" else f"{rec.name}  ({rec.frame_count} frames)"
            item = QListWidgetItem(status_icon(rec.status), label)
            item.setData(Qt.ItemDataRole.UserRole, rec.id)
            item.setToolTip(f"{rec.path}\n{rec.width}×{rec.height} · {STATUS_TEXT.get(rec.status, rec.status)}")
            self.list.addItem(item)
            if rec.id == self.current_id:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self._update_counts()

    def _update_counts(self) -> None:
        done = sum(1 for r in self.records if r.status == "done")
        self.counts.setText(f"{self.list.count()} shown · {len(self.records)} images · {done} done")

    def set_current(self, image_id: int | None) -> None:
        self.current_id = image_id
        self.list.blockSignals(True)
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == image_id:
                self.list.setCurrentRow(i)
                break
        self.list.blockSignals(False)

    def update_record(self, rec: ImageRecord) -> None:
        self.records = [rec if r.id == rec.id else r for r in self.records]
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == rec.id:
                item.setIcon(status_icon(rec.status))
        self._update_counts()

    def _on_current(self, item: QListWidgetItem | None, _prev) -> None:
        if item is not None:
            self.image_activated.emit(int(item.data(Qt.ItemDataRole.UserRole)))
