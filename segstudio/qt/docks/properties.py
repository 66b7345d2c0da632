"""Properties of the selection: read-only facts and editable attributes (key = value)."""

from __future__ import annotations

import json

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from segstudio.core.categories import CategorySet
from segstudio.core.geometry import connected_parts, has_holes
from segstudio.core.instance import Instance


def _parse(text: str):
    """Attribute values: JSON when it parses (numbers, true/false, lists), else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


class PropertiesPanel(QWidget):
    attributes_edited = Signal(int, dict)  # instance id, new attributes

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.facts = {k: QLabel("–") for k in ("Instance", "Category", "Source", "Score", "Area", "Box", "Parts / holes")}
        form = QFormLayout()
        for k, lab in self.facts.items():
            form.addRow(k, lab)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Attribute", "Value"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        add = QPushButton("Add attribute")
        remove = QPushButton("Remove")
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(form)
        lay.addWidget(self.table, 1)
        lay.addLayout(row)
        add.clicked.connect(self._add_row)
        remove.clicked.connect(self._remove_row)
        self.table.itemChanged.connect(self._on_edit)
        self.instance: Instance | None = None
        self._loading = False

    def show_instance(self, inst: Instance | None, cats: CategorySet, count: int = 1) -> None:
        self.instance = inst if count == 1 else None
        if inst is None or count != 1:
            for lab in self.facts.values():
                lab.setText("–")
            if count > 1:
                self.facts["Instance"].setText(f"{count} selected")
            self._fill({})
            self.setEnabled(count == 1)
            return
        self.setEnabled(True)
        cat = cats.get(inst.category_id)
        x, y, w, h = inst.bbox()
        self.facts["Instance"].setText(f"#{inst.id}")
        self.facts["Category"].setText(cat.name if cat else str(inst.category_id))
        self.facts["Source"].setText(inst.source)
        self.facts["Score"].setText("–" if inst.score is None else f"{inst.score:.3f}")
        self.facts["Area"].setText(f"{inst.area:,} px")
        self.facts["Box"].setText(f"x {x}, y {y}, {w}×{h}")
        small = inst.mask.data.size <= 4_000_000  # keep the panel instant on huge masks
        parts = len(connected_parts(inst.mask)) if small else "?"
        holes = ("yes" if has_holes(inst.mask) else "no") if small else "?"
        self.facts["Parts / holes"].setText(f"{parts} / {holes}")
        self._fill(inst.attributes)

    def _fill(self, attrs: dict) -> None:
        self._loading = True
        self.table.setRowCount(0)
        for k, v in attrs.items():
            r = self.table.rowCount()
            self.table.insertRow(r)
            self.table.setItem(r, 0, QTableWidgetItem(str(k)))
            self.table.setItem(r, 1, QTableWidgetItem(v if isinstance(v, str) else json.dumps(v)))
        self._loading = False

    def current_attributes(self) -> dict:
        out = {}
        for r in range(self.table.rowCount()):
            k, v = self.table.item(r, 0), self.table.item(r, 1)
            if k is not None and k.text().strip():
                out[k.text().strip()] = _parse(v.text()) if v is not None else ""
        return out

    def _on_edit(self, _item) -> None:
        if not self._loading and self.instance is not None:
            self.attributes_edited.emit(self.instance.id, self.current_attributes())

    def _add_row(self) -> None:
        if self.instance is None:
            return
        self._loading = True
        r = self.table.rowCount()
        self.table.insertRow(r)
        self.table.setItem(r, 0, QTableWidgetItem(f"attribute{r + 1}"))
        self.table.setItem(r, 1, QTableWidgetItem(""))
        self._loading = False
        self.table.editItem(self.table.item(r, 0))

    def _remove_row(self) -> None:
        r = self.table.currentRow()
        if r >= 0 and self.instance is not None:
            self.table.removeRow(r)
            self.attributes_edited.emit(self.instance.id, self.current_attributes())
