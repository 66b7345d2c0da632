"""Instance list of the current document: select, hide, lock, z-order, category, delete.

A table model over the document (the one copy of the state): rows are produced on
demand for the visible part of the list, so an image with thousands of instances
lists at once.  Visibility and locks are view state kept here and mirrored to the
canvas and the tools.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QMenu,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from segstudio.core.categories import CategorySet
from segstudio.core.document import ImageDocument
from segstudio.qt.docks.categories import swatch
from segstudio.qt.widgets import tool_button_row

COL_VIS, COL_LOCK, COL_CAT, COL_ID, COL_SRC, COL_SCORE, COL_AREA = range(7)
HEADERS = ["Show", "Lock", "Category", "#", "Source", "Score", "Area"]


class InstanceModel(QAbstractTableModel):
    """Rows are instances top-most first."""

    visibility_changed = Signal()
    lock_changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.document: ImageDocument | None = None
        self.categories = CategorySet()
        self.hidden: set[int] = set()
        self.locked: set[int] = set()
        self._ids: list[int] = []
        self._row_of: dict[int, int] = {}

    def reset(self, document: ImageDocument | None = None, keep: bool = True) -> None:
        self.beginResetModel()
        if not keep:
            self.document = document
            self.hidden, self.locked = set(), set()
        self._ids = list(reversed(self.document.order)) if self.document is not None else []
        self._row_of = {iid: r for r, iid in enumerate(self._ids)}
        self.endResetModel()

    def id_at(self, row: int) -> int:
        return self._ids[row]

    def row_of(self, iid: int) -> int | None:
        return self._row_of.get(iid)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return len(HEADERS)

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def flags(self, index: QModelIndex):
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() in (COL_VIS, COL_LOCK):
            f |= Qt.ItemFlag.ItemIsUserCheckable
        return f

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if self.document is None or not index.isValid():
            return None
        iid = self._ids[index.row()]
        inst = self.document.find(iid)
        if inst is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.CheckStateRole:
            if col == COL_VIS:
                return Qt.CheckState.Unchecked if iid in self.hidden else Qt.CheckState.Checked
            if col == COL_LOCK:
                return Qt.CheckState.Checked if iid in self.locked else Qt.CheckState.Unchecked
            return None
        cat = self.categories.get(inst.category_id)
        if role == Qt.ItemDataRole.DecorationRole and col == COL_CAT and cat is not None:
            return swatch(cat.color)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if col == COL_CAT:
            return cat.name if cat else f"#{inst.category_id}"
        if col == COL_ID:
            return str(iid)
        if col == COL_SRC:
            return inst.source
        if col == COL_SCORE:
            return "" if inst.score is None else f"{inst.score:.2f}"
        if col == COL_AREA:
            return f"{inst.area:,}"
        return None

    def setData(self, index: QModelIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.CheckStateRole or index.column() not in (COL_VIS, COL_LOCK):
            return False
        iid = self._ids[index.row()]
        on = Qt.CheckState(value) == Qt.CheckState.Checked
        if index.column() == COL_VIS:
            (self.hidden.discard if on else self.hidden.add)(iid)
            self.visibility_changed.emit()
        else:
            (self.locked.add if on else self.locked.discard)(iid)
            self.lock_changed.emit()
        self.dataChanged.emit(index, index, [role])
        return True


class InstancePanel(QWidget):
    selection_changed = Signal(list)
    hidden_changed = Signal(set)
    locked_changed = Signal(set)
    reorder_requested = Signal(str)  # 'up' | 'down' | 'front' | 'back'
    delete_requested = Signal()
    category_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = InstanceModel()
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        for col in (COL_VIS, COL_LOCK, COL_ID, COL_SRC, COL_SCORE, COL_AREA):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_CAT, QHeaderView.ResizeMode.Stretch)  # the name gets the room
        header.setStretchLastSection(False)
        # Area is in the Properties panel; the header's menu shows or hides any column.
        self.view.setColumnHidden(COL_AREA, True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._column_menu)
        row, self.buttons = tool_button_row((
            ("front", "⤒", "Bring to front"),
            ("up", "↑", "Move up (z-order)"),
            ("down", "↓", "Move down (z-order)"),
            ("back", "⤓", "Send to back"),
            ("delete", "Delete", "Delete the selected instances"),
        ))
        self.category_combo = QComboBox(toolTip="Change the category of the selection")
        row.addWidget(self.category_combo, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.view, 1)
        lay.addLayout(row)
        for key in ("front", "up", "down", "back"):
            self.buttons[key].clicked.connect(lambda _=False, k=key: self.reorder_requested.emit(k))
        self.buttons["delete"].clicked.connect(self.delete_requested)
        self.category_combo.activated.connect(self._on_category)
        self.view.selectionModel().selectionChanged.connect(self._on_selection)
        self.model.visibility_changed.connect(lambda: self.hidden_changed.emit(set(self.model.hidden)))
        self.model.lock_changed.connect(lambda: self.locked_changed.emit(set(self.model.locked)))
        self._updating = False

    @property
    def hidden(self) -> set[int]:
        return self.model.hidden

    @property
    def locked(self) -> set[int]:
        return self.model.locked

    def set_categories(self, cats: CategorySet) -> None:
        self.model.categories = cats
        self.category_combo.clear()
        self.category_combo.addItem("Set category…", None)
        for c in cats:
            self.category_combo.addItem(swatch(c.color), c.name, c.id)
        self.refresh()

    def set_document(self, document: ImageDocument | None) -> None:
        self._updating = True
        self.model.reset(document, keep=False)
        self._updating = False

    def refresh(self, selected: list[int] | None = None) -> None:
        sel = selected if selected is not None else self.selected_ids()
        self._updating = True
        self.model.reset()
        self._updating = False
        self.select(sel)

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        return [self.model.id_at(r) for r in rows if r < self.model.rowCount()]

    def select(self, ids: list[int]) -> None:
        self._updating = True
        selection = QItemSelection()
        first = None
        for iid in ids:
            r = self.model.row_of(iid)
            if r is None:
                continue
            selection.select(self.model.index(r, 0), self.model.index(r, len(HEADERS) - 1))
            first = r if first is None else min(first, r)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        self.view.selectionModel().select(selection, flags)
        if first is not None:
            self.view.scrollTo(self.model.index(first, 0))
        self._updating = False

    def _on_selection(self, *_args) -> None:
        if not self._updating:
            self.selection_changed.emit(self.selected_ids())

    def _column_menu(self, pos) -> None:
        menu = QMenu(self)
        for col, name in enumerate(HEADERS):
            act = menu.addAction(name)
            act.setCheckable(True)
            act.setChecked(not self.view.isColumnHidden(col))
            act.setEnabled(col != COL_CAT)
            act.toggled.connect(lambda on, c=col: self.view.setColumnHidden(c, not on))
        menu.popup(self.view.horizontalHeader().mapToGlobal(pos))

    def _on_category(self, index: int) -> None:
        cid = self.category_combo.itemData(index)
        self.category_combo.setCurrentIndex(0)
        if cid is not None:
            self.category_requested.emit(int(cid))
