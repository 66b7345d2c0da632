"""The image list's model: rows are ids (`IdList`), records are fetched a page at a time for
the rows the view paints, and status icons are drawn once per status.

Nothing here is O(number of images) except what numpy does on the id array: opening a
project of a million images costs one COUNT(*), and a status change repaints one row.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from segstudio.store.errors import DatabaseError
from segstudio.store.image_query import IdList, Reader, fetch_records
from segstudio.store.project import STATUSES, ImageRecord

log = logging.getLogger(__name__)

STATUS_COLORS = {
    "new": QColor(140, 140, 150),
    "prelabelled": QColor(170, 120, 230),
    "in_progress": QColor(240, 180, 50),
    "in_review": QColor(80, 160, 250),
    "done": QColor(90, 200, 120),
}
STATUS_TEXT = {s: s.replace("_", " ") for s in STATUSES}
_ICONS: dict[str, QIcon] = {}

PAGE_ROWS = 256  # records fetched per query: one screenful is 30-60 rows
MAX_PAGES = 64  # pages kept (~16k records, a few MB)

Index = QModelIndex | QPersistentModelIndex


def status_icon(status: str) -> QIcon:
    """A round badge in the status colour, drawn once per status (needs a QGuiApplication)."""
    icon = _ICONS.get(status)
    if icon is None:
        pm = QPixmap(12, 12)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setBrush(STATUS_COLORS.get(status, QColor(128, 128, 128)))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(1, 1, 10, 10)
        p.end()
        icon = _ICONS[status] = QIcon(pm)
    return icon


def record_label(rec: ImageRecord) -> str:
    return rec.name if rec.kind == "image" else f"{rec.name}  ({rec.frame_count} frames)"


class ImageListModel(QAbstractListModel):
    """One row per id of `ids`; `UserRole` is the image id."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.conn: Reader | None = None  # the GUI thread's connection
        self.ids = IdList.dense(0, 0)
        self._pages: OrderedDict[int, dict[int, ImageRecord]] = OrderedDict()
        self.page_fetches = 0  # queries run for data(): read by tests and the bench

    # ------------------------------------------------------------------ contents
    def set_ids(self, conn: Reader | None, ids: IdList) -> None:
        self.beginResetModel()
        self.conn, self.ids = conn, ids
        self._pages.clear()
        self.endResetModel()

    def forget_records(self) -> None:
        """Records changed in the store behind our back (a batch, an import): re-read the
        rows on screen when they are next painted."""
        self._pages.clear()
        if len(self.ids):
            self.dataChanged.emit(self.index(0), self.index(len(self.ids) - 1))

    def update_record(self, rec: ImageRecord) -> ImageRecord | None:
        """Show `rec` in its row (if listed); returns the record it replaced when it was cached."""
        row = self.ids.row_of(rec.id)
        if row is None:
            return None
        page = self._pages.get(row // PAGE_ROWS)
        old = page.get(rec.id) if page is not None else None
        if page is not None:
            page[rec.id] = rec
        ix = self.index(row)
        self.dataChanged.emit(ix, ix)
        return old

    def cached_record(self, image_id: int) -> ImageRecord | None:
        row = self.ids.row_of(image_id)
        page = self._pages.get(row // PAGE_ROWS) if row is not None else None
        return page.get(image_id) if page is not None else None

    def record(self, row: int) -> ImageRecord | None:
        if not 0 <= row < len(self.ids) or self.conn is None:
            return None
        n = row // PAGE_ROWS
        page = self._pages.get(n)
        if page is None:
            try:
                page = fetch_records(self.conn, self.ids.ids(n * PAGE_ROWS, (n + 1) * PAGE_ROWS))
            except DatabaseError as e:  # a closed or locked database: show the id only
                log.warning("image list: cannot read image records: %s", e)
                return None
            self.page_fetches += 1
            self._pages[n] = page
            if len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(n)
        return page.get(self.ids.id_at(row))

    # ------------------------------------------------------------------ Qt model
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.ids)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        row = index.row()
        if role == Qt.ItemDataRole.UserRole:
            return self.ids.id_at(row) if 0 <= row < len(self.ids) else None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole):
            return None
        rec = self.record(row)
        if rec is None:
            return "…" if role == Qt.ItemDataRole.DisplayRole else None
        if role == Qt.ItemDataRole.DisplayRole:  # who has it open (shared projects): after the name
            return record_label(rec) + (f"  · {rec.worker}" if rec.worker else "")
        if role == Qt.ItemDataRole.DecorationRole:
            return status_icon(rec.status)
        who = f"\nopen by {rec.worker}" if rec.worker else ""
        return f"{rec.path}\n{rec.width}×{rec.height} · {STATUS_TEXT.get(rec.status, rec.status)}{who}"
