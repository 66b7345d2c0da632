"""Instance list of the current document: select, hide, lock, z-order, category, delete.

Rows are rebuilt from the document (the one copy of the state) on every change;
visibility and locks are view state kept here and mirrored to the canvas/tools.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from segstudio.core.categories import CategorySet
from segstudio.core.document import ImageDocument
from segstudio.qt.docks.categories import swatch

COL_VIS, COL_LOCK, COL_CAT, COL_ID, COL_SRC, COL_SCORE, COL_AREA = range(7)


class InstancePanel(QWidget):
    selection_changed = Signal(list)
    hidden_changed = Signal(set)
    locked_changed = Signal(set)
    reorder_requested = Signal(str)  # 'up' | 'down' | 'front' | 'back'
    delete_requested = Signal()
    category_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Show", "Lock", "Category", "#", "Source", "Score", "Area"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        for col, w in ((COL_VIS, 42), (COL_LOCK, 38), (COL_CAT, 96), (COL_ID, 34), (COL_SRC, 58), (COL_SCORE, 46)):
            self.tree.setColumnWidth(col, w)
        self.tree.header().setStretchLastSection(True)
        row = QHBoxLayout()
        self.buttons: dict[str, QToolButton] = {}
        for key, text, tip in (
            ("front", "⤒", "Bring to front"),
            ("up", "↑", "Move up (z-order)"),
            ("down", "↓", "Move down (z-order)"),
            ("back", "⤓", "Send to back"),
            ("delete", "Delete", "Delete the selected instances"),
        ):
            b = QToolButton(text=text, toolTip=tip)
            b.setAutoRaise(True)
            row.addWidget(b)
            self.buttons[key] = b
        self.category_combo = QComboBox(toolTip="Change the category of the selection")
        row.addWidget(self.category_combo, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.tree, 1)
        lay.addLayout(row)
        for key in ("front", "up", "down", "back"):
            self.buttons[key].clicked.connect(lambda _=False, k=key: self.reorder_requested.emit(k))
        self.buttons["delete"].clicked.connect(self.delete_requested)
        self.category_combo.activated.connect(self._on_category)
        self.tree.itemSelectionChanged.connect(self._on_selection)
        self.tree.itemChanged.connect(self._on_item_changed)
        self.document: ImageDocument | None = None
        self.categories = CategorySet()
        self.hidden: set[int] = set()
        self.locked: set[int] = set()
        self._updating = False

    def set_categories(self, cats: CategorySet) -> None:
        self.categories = cats
        self.category_combo.clear()
        self.category_combo.addItem("Set category…", None)
        for c in cats:
            self.category_combo.addItem(swatch(c.color), c.name, c.id)
        self.refresh()

    def set_document(self, document: ImageDocument | None) -> None:
        self.document = document
        self.hidden, self.locked = set(), set()
        self.refresh()

    def refresh(self, selected: list[int] | None = None) -> None:
        sel = set(selected if selected is not None else self.selected_ids())
        self._updating = True
        self.tree.clear()
        if self.document is not None:
            for inst in reversed(self.document.instances):  # topmost first
                cat = self.categories.get(inst.category_id)
                item = QTreeWidgetItem()
                item.setData(0, Qt.ItemDataRole.UserRole, inst.id)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(COL_VIS, Qt.CheckState.Unchecked if inst.id in self.hidden else Qt.CheckState.Checked)
                item.setCheckState(COL_LOCK, Qt.CheckState.Checked if inst.id in self.locked else Qt.CheckState.Unchecked)
                item.setText(COL_CAT, cat.name if cat else f"#{inst.category_id}")
                if cat:
                    item.setIcon(COL_CAT, swatch(cat.color))
                item.setText(COL_ID, str(inst.id))
                item.setText(COL_SRC, inst.source)
                item.setText(COL_SCORE, "" if inst.score is None else f"{inst.score:.2f}")
                item.setText(COL_AREA, f"{inst.area:,}")
                self.tree.addTopLevelItem(item)
                item.setSelected(inst.id in sel)
        self._updating = False

    def selected_ids(self) -> list[int]:
        return [int(it.data(0, Qt.ItemDataRole.UserRole)) for it in self.tree.selectedItems()]

    def select(self, ids: list[int]) -> None:
        self._updating = True
        want = set(ids)
        first = None
        for i in range(self.tree.topLevelItemCount()):
            it = self.tree.topLevelItem(i)
            on = int(it.data(0, Qt.ItemDataRole.UserRole)) in want
            it.setSelected(on)
            if on and first is None:
                first = it
        if first is not None:
            self.tree.scrollToItem(first)
        self._updating = False

    def _on_selection(self) -> None:
        if not self._updating:
            self.selection_changed.emit(self.selected_ids())

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._updating:
            return
        iid = int(item.data(0, Qt.ItemDataRole.UserRole))
        if column == COL_VIS:
            (self.hidden.discard if item.checkState(COL_VIS) == Qt.CheckState.Checked else self.hidden.add)(iid)
            self.hidden_changed.emit(set(self.hidden))
        elif column == COL_LOCK:
            (self.locked.add if item.checkState(COL_LOCK) == Qt.CheckState.Checked else self.locked.discard)(iid)
            self.locked_changed.emit(set(self.locked))

    def _on_category(self, index: int) -> None:
        cid = self.category_combo.itemData(index)
        self.category_combo.setCurrentIndex(0)
        if cid is not None:
            self.category_requested.emit(int(cid))
