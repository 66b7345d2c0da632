"""Image list: status badges, filter by status and category, search by name, counts.

Built for projects of a million images (docs/decisions/store-image-list.md): the view is a
one-column table over `ImageListModel` (a QListView lays out every row through Python's
`rowCount`, ~2 s per million rows; a table with fixed row heights touches only the rows it
paints).  Filters run as SQL on a background thread with a read-only connection and
replace the rows when they finish; a status change repaints one row and adjusts the counts.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from segstudio.core.tasks import Cancelled, CancelToken
from segstudio.qt.docks.image_model import STATUS_COLORS, STATUS_TEXT, ImageListModel, status_icon
from segstudio.qt.workers import Worker
from segstudio.store import DatabaseError, Project
from segstudio.store.image_query import (
    IdList,
    ImageFilter,
    dense_ids,
    open_reader,
    query_ids,
    status_counts,
)
from segstudio.store.project import STATUSES, ImageRecord

__all__ = ["STATUS_COLORS", "STATUS_TEXT", "ImageListPanel", "status_icon"]

IDS_JOB, COUNTS_JOB = "image-list-ids", "image-list-counts"
SEARCH_DELAY_MS = 150  # typing: query once the keys pause
COUNT_DELAY_MS = 300  # opening: count statuses after the first frames, not during them


class ImageTable(QTableView):
    """A table dressed as a list: one column, no headers, fixed row height."""

    def __init__(self) -> None:
        super().__init__()
        self.horizontalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        vh = self.verticalHeader()
        vh.hide()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(max(20, self.fontMetrics().height() + 6))
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTabKeyNavigation(False)

    def count(self) -> int:
        return self.model().rowCount() if self.model() is not None else 0

    def keyboardSearch(self, search: str) -> None:
        """Off: Qt's type-ahead asks the model for every row's text (a million queries); the
        search box above the list does this in SQL."""


def _query_job(root, flt: ImageFilter, want_ids: bool, cancel: CancelToken, _progress) -> tuple:
    conn = open_reader(root)
    try:
        with cancel.on_cancel(conn.interrupt):
            ids = query_ids(conn, flt, cancel.check) if want_ids else None
            counts = status_counts(conn)
    except DatabaseError:
        if cancel.cancelled:  # interrupted because a newer query superseded this one
            raise Cancelled() from None
        raise
    finally:
        conn.close()
    return flt, ids, counts


class ImageListPanel(QWidget):
    image_activated = Signal(int)
    shown_changed = Signal()  # a filter's (or a refresh's) rows and counts are now shown

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
        self.model = ImageListModel(self)
        self.list = ImageTable()
        self.list.setModel(self.model)
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
        self.current_id: int | None = None
        self.status_totals: dict[str, int] = {}
        self._shown_filter: ImageFilter | None = None
        self._syncing = False  # selecting the current image ourselves: do not re-activate it
        self._generation = 0  # bumped per project: a late answer about the previous one is dropped
        self._worker = Worker(threads=1, parent=self)
        self._worker.finished.connect(self._on_query_done)
        self._worker.failed.connect(lambda err: self.counts.setText(f"Image list query failed: {err.message}"))
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._reload)
        self.search.textChanged.connect(self._on_search_text)
        self._count_timer = QTimer(self, singleShot=True, interval=COUNT_DELAY_MS)
        self._count_timer.timeout.connect(lambda: self._submit(self._filter(), want_ids=False))
        self.status_filter.currentIndexChanged.connect(self._reload)
        self.category_filter.currentIndexChanged.connect(self._reload)
        self.list.selectionModel().currentChanged.connect(self._on_current)

    # ------------------------------------------------------------------ public API
    def set_project(self, project: Project | None) -> None:
        self._worker.cancel_all()
        self._generation += 1
        self.project = project
        self._shown_filter = None
        self.status_totals = {}
        self.fill_categories()
        self._reload(count_later=True)

    def refresh(self) -> None:
        """The store changed in bulk (a batch, an import): re-read categories, rows and counts."""
        self.fill_categories()
        self.model.forget_records()
        self.status_totals = {}  # images may have come or gone: count them again
        self._reload()

    def fill_categories(self) -> None:
        """Re-read the category filter's choices (keeps the choice; re-filters if it is gone)."""
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
        if cat is not None and idx < 0:
            self._reload()

    @property
    def query_pending(self) -> bool:
        """A filter or count query is still running (its rows are not shown yet)."""
        return self._worker.busy() or self._search_timer.isActive() or self._count_timer.isActive()

    def count(self) -> int:
        return len(self.model.ids)

    def visible_ids(self) -> list[int]:
        return self.model.ids.tolist()

    def position(self, image_id: int) -> int | None:
        return self.model.ids.row_of(image_id)

    def neighbour(self, image_id: int | None, delta: int) -> int | None:
        """The id `delta` rows from `image_id` in the list (the first row when it is not
        listed), or None past either end."""
        ids = self.model.ids
        row = ids.row_of(image_id) if image_id is not None else None
        k = 0 if row is None else row + delta
        return ids.id_at(k) if 0 <= k < len(ids) else None

    def set_current(self, image_id: int | None) -> None:
        self.current_id = image_id
        row = self.model.ids.row_of(image_id) if image_id is not None else None
        self._syncing = True
        try:
            if row is None:
                self.list.selectionModel().clear()
            else:
                self.list.setCurrentIndex(self.model.index(row))
        finally:
            self._syncing = False

    def update_record(self, rec: ImageRecord, previous: ImageRecord | None = None) -> None:
        """`rec` changed (its status): repaint its row and move it between the counts."""
        cached = self.model.update_record(rec)
        old = previous or cached
        if old is not None and self.status_totals:
            if old.status != rec.status:
                self.status_totals[old.status] = self.status_totals.get(old.status, 0) - 1
                self.status_totals[rec.status] = self.status_totals.get(rec.status, 0) + 1
            if self._worker.busy():  # a count in flight may predate this change
                self._submit(self._filter(), want_ids=False)
        elif self.project is not None:
            self._submit(self._filter(), want_ids=False)
        self._update_counts()

    # ------------------------------------------------------------------ internals
    def _filter(self) -> ImageFilter:
        return ImageFilter(
            self.search.text().strip(), self.status_filter.currentData(), self.category_filter.currentData()
        )

    def _on_search_text(self, text: str) -> None:
        if text.strip():
            self._search_timer.start()  # typing: wait for a pause
        else:
            self._reload()  # cleared: every image at once

    def _reload(self, count_later: bool = False) -> None:
        self._search_timer.stop()
        self._count_timer.stop()
        if self.project is None:
            self._worker.cancel_all()
            self._show_ids(ImageFilter(), IdList.dense(0, 0))
            self._update_counts()
            return
        flt = self._filter()
        # the last count query's total (kept current by status changes) spares a COUNT(*)
        known = sum(self.status_totals.values()) if self.status_totals else None
        dense = dense_ids(self.project.conn, known) if flt.is_empty else None
        if dense is not None:  # every image, ids without gaps: no query to wait for
            self._worker.cancel_all()
            self._show_ids(flt, dense)
            if count_later:
                self._count_timer.start()
            else:
                self._submit(flt, want_ids=False)
        else:
            self._submit(flt, want_ids=True)
        self._update_counts()

    def _submit(self, flt: ImageFilter, want_ids: bool) -> None:
        if self.project is None:
            return
        root = self.project.location or Path(self.project.root)  # a shared project: its database
        kind = IDS_JOB if want_ids else COUNTS_JOB
        generation = self._generation
        self._worker.submit(
            kind, lambda cancel, progress: (generation, *_query_job(root, flt, want_ids, cancel, progress)))

    def _on_query_done(self, _job_id: int, _kind: str, result: object) -> None:
        generation, flt, ids, counts = result  # type: ignore[misc]
        if self.project is None or generation != self._generation:
            return  # about a project closed since
        if ids is not None:
            if flt != self._filter():
                return  # the filter changed meanwhile; its own query is queued
            self._show_ids(flt, ids)
        self.status_totals = counts
        self._update_counts()
        self.shown_changed.emit()

    def _show_ids(self, flt: ImageFilter, ids: IdList) -> None:
        """Replace the rows; the current image stays selected, and a refresh of the same
        filter keeps the scroll position."""
        same = flt == self._shown_filter
        scroll = self.list.verticalScrollBar().value()
        self.model.set_ids(self.project.conn if self.project is not None else None, ids)
        self._shown_filter = flt
        if self.current_id is not None:
            self.set_current(self.current_id)
        if same:
            self.list.verticalScrollBar().setValue(scroll)

    def _update_counts(self) -> None:
        if self.project is None:
            self.counts.setText("")
            return
        if not self.status_totals:
            self.counts.setText(f"{self.count():,} images · counting…")
            return
        total = sum(self.status_totals.values())
        done = self.status_totals.get("done", 0)
        shown = f"{total:,} images" if self._shown_filter is None or self._shown_filter.is_empty \
            else f"{self.count():,} of {total:,} shown"
        self.counts.setText(f"{shown} · {done:,} done")
        self.counts.setToolTip(f"{self.count():,} shown of {total:,} images; {done:,} done")

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._syncing or not current.isValid():
            return
        image_id = self.model.ids.id_at(current.row())
        self.current_id = image_id
        self.image_activated.emit(image_id)

    def shutdown(self) -> None:
        self._worker.shutdown()
