"""Category palette: pick (keys 1-9), add, rename, recolour, delete, merge, and (context menu)
mark a category as an ignore region."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QColorDialog,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from segstudio.core.categories import Category
from segstudio.qt.widgets import tool_button_row
from segstudio.store import Project


def swatch(rgb: tuple[int, int, int], size: int = 14) -> QIcon:
    pm = QPixmap(size, size)
    pm.fill(QColor(*rgb))
    return QIcon(pm)


class CategoryPanel(QWidget):
    current_changed = Signal(object)  # category id or None
    categories_changed = Signal()  # names/colours changed (documents unchanged)
    instances_changed = Signal()  # delete/merge rewrote instances in the store

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.list = QListWidget()
        self.list.setUniformItemSizes(True)
        buttons, self.buttons = tool_button_row((
            ("add", "Add", "Add a category"),
            ("rename", "Rename", "Rename the category"),
            ("color", "Colour", "Change the colour"),
            ("merge", "Merge", "Move its instances into another category and remove it"),
            ("delete", "Delete", "Delete the category and its instances"),
        ))
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.list, 1)
        lay.addLayout(buttons)
        self.buttons["add"].clicked.connect(self.add)
        self.buttons["rename"].clicked.connect(self.rename)
        self.buttons["color"].clicked.connect(self.recolour)
        self.buttons["merge"].clicked.connect(self.merge)
        self.buttons["delete"].clicked.connect(self.delete)
        self.list.currentItemChanged.connect(lambda it, _p: self.current_changed.emit(self.current_id()))
        self.list.itemDoubleClicked.connect(lambda _it: self.rename())
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._show_menu)

    def set_project(self, project: Project | None) -> None:
        self.project = project
        self.refresh()

    def categories(self) -> list[Category]:
        return list(self.project.categories()) if self.project is not None else []

    def refresh(self) -> None:
        cur = self.current_id()
        self.list.blockSignals(True)
        self.list.clear()
        for n, c in enumerate(self.categories(), start=1):
            key = f"{n}  " if n <= 9 else "   "
            item = QListWidgetItem(swatch(c.color), f"{key}{c.name}" + ("  (ignore)" if c.ignore else ""))
            item.setData(Qt.ItemDataRole.UserRole, c.id)
            if c.ignore:
                item.setToolTip("An ignore region: drawn hatched, left out of every metric")
            self.list.addItem(item)
            if c.id == cur:
                self.list.setCurrentItem(item)
        if self.list.currentRow() < 0 and self.list.count():
            self.list.setCurrentRow(0)
        self.list.blockSignals(False)
        self.current_changed.emit(self.current_id())

    def current_id(self) -> int | None:
        item = self.list.currentItem()
        return int(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def pick_index(self, n: int) -> None:
        """Keys 1-9: the n-th category (1-based)."""
        if 1 <= n <= self.list.count():
            self.list.setCurrentRow(n - 1)

    def set_current(self, category_id: int) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == category_id:
                self.list.setCurrentRow(i)

    def _current(self) -> Category | None:
        cid = self.current_id()
        return self.project.categories().get(cid) if self.project is not None and cid is not None else None

    def add(self, name: str | None = None) -> Category | None:
        if self.project is None:
            return None
        if not name:
            name, ok = QInputDialog.getText(self, "Add category", "Name:")
            if not ok or not name.strip():
                return None
        cat = self.project.add_category(name)
        self.refresh()
        self.set_current(cat.id)
        self.categories_changed.emit()
        return cat

    def rename(self) -> None:
        cat = self._current()
        if cat is None or self.project is None:
            return
        name, ok = QInputDialog.getText(self, "Rename category", "Name:", text=cat.name)
        if ok and name.strip() and name.strip() != cat.name:
            if self.project.categories().by_name(name.strip()):
                QMessageBox.warning(self, "Rename category", f"A category named '{name.strip()}' exists already.")
                return
            self.project.update_category(cat.renamed(name.strip()))
            self.refresh()
            self.categories_changed.emit()

    def recolour(self) -> None:
        cat = self._current()
        if cat is None or self.project is None:
            return
        color = QColorDialog.getColor(QColor(*cat.color), self, f"Colour of {cat.name}")
        if color.isValid():
            self.project.update_category(cat.recoloured((color.red(), color.green(), color.blue())))
            self.refresh()
            self.categories_changed.emit()

    def menu(self) -> QMenu | None:
        """The current category's context menu (right click, or the menu key)."""
        cat = self._current()
        if cat is None:
            return None
        menu = QMenu(self)
        ignore = menu.addAction("Ignore region")
        ignore.setObjectName("category_ignore")
        ignore.setCheckable(True)
        ignore.setChecked(cat.ignore)
        ignore.setToolTip("Regions of this category are \"don't care\": hatched on the canvas, "
                          "left out of every metric, written as each format's ignore label")
        ignore.toggled.connect(self.set_ignore)
        menu.addSeparator()
        for key, text in (("rename", "Rename…"), ("color", "Colour…"), ("merge", "Merge…"), ("delete", "Delete…")):
            menu.addAction(text, self.buttons[key].click)
        return menu

    def _show_menu(self, pos) -> None:
        item = self.list.itemAt(pos)
        if item is not None:
            self.list.setCurrentItem(item)
        menu = self.menu()
        if menu is not None:
            menu.exec(self.list.viewport().mapToGlobal(pos))

    def set_ignore(self, on: bool) -> None:
        """Mark (or unmark) the current category as an ignore region."""
        cat = self._current()
        if cat is None or self.project is None or cat.ignore == bool(on):
            return
        self.project.update_category(cat.with_ignore(on))
        self.refresh()
        self.categories_changed.emit()

    def merge(self) -> None:
        cat = self._current()
        if cat is None or self.project is None:
            return
        others = [c for c in self.categories() if c.id != cat.id]
        if not others:
            return
        name, ok = QInputDialog.getItem(self, "Merge category", f"Move every '{cat.name}' instance into:", [c.name for c in others], 0, False)
        if ok:
            target = next(c for c in others if c.name == name)
            self.project.merge_categories(cat.id, target.id)
            self.refresh()
            self.set_current(target.id)
            self.instances_changed.emit()

    def delete(self) -> None:
        cat = self._current()
        if cat is None or self.project is None:
            return
        n = self.project.instance_counts_by_category().get(cat.id, 0)
        answer = QMessageBox.question(
            self, "Delete category", f"Delete '{cat.name}' and its {n} instance(s) in every image? This cannot be undone."
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.project.delete_category(cat.id)
            self.refresh()
            self.instances_changed.emit()
