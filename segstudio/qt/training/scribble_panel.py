"""The scribble-classifier panel: classes to paint (background + the project's categories),
brush size, live preview, accept into instances, save / apply a classifier card."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

BACKGROUND_COLOR = (90, 90, 90)


class ScribblePanel(QWidget):
    class_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scribble_panel")
        v = QVBoxLayout(self)
        self.enable_button = QPushButton("Paint Scribbles", objectName="scribble_enable")
        self.enable_button.setCheckable(True)
        v.addWidget(self.enable_button)
        v.addWidget(QLabel("Class to paint (right button or Shift erases)"))
        self.class_list = QListWidget(objectName="scribble_classes")
        self.class_list.currentRowChanged.connect(self.class_changed)
        v.addWidget(self.class_list)
        row = QHBoxLayout()
        row.addWidget(QLabel("Brush radius"))
        self.radius = QSpinBox(objectName="scribble_radius")
        self.radius.setRange(1, 50)
        self.radius.setValue(3)
        row.addWidget(self.radius)
        v.addLayout(row)
        self.live = QCheckBox("Live preview after each stroke", objectName="scribble_live")
        self.live.setChecked(True)
        self.split_parts = QCheckBox("One instance per connected part", objectName="scribble_split")
        v.addWidget(self.live)
        v.addWidget(self.split_parts)
        grid = QHBoxLayout()
        self.update_button = QPushButton("Update", objectName="scribble_update")
        self.accept_button = QPushButton("Accept", objectName="scribble_accept")
        self.clear_button = QPushButton("Clear", objectName="scribble_clear")
        for b in (self.update_button, self.accept_button, self.clear_button):
            grid.addWidget(b)
        v.addLayout(grid)
        row2 = QHBoxLayout()
        self.save_button = QPushButton("Save Classifier…", objectName="scribble_save")
        self.apply_button = QPushButton("Apply Saved…", objectName="scribble_apply")
        row2.addWidget(self.save_button)
        row2.addWidget(self.apply_button)
        v.addLayout(row2)
        self.info = QLabel("paint strokes of at least two classes", objectName="scribble_info")
        self.info.setWordWrap(True)
        v.addWidget(self.info)
        v.addStretch(1)

    def set_classes(self, names: list[str], colors: list[tuple[int, int, int]]) -> None:
        current = max(1, self.class_list.currentRow())
        self.class_list.clear()
        for name, color in zip(names, colors):
            pm = QPixmap(12, 12)
            pm.fill(QColor(*color))
            item = QListWidgetItem(name)
            item.setIcon(pm)
            self.class_list.addItem(item)
        if names:
            self.class_list.setCurrentRow(min(current, len(names) - 1))

    def current_class(self) -> int:
        return max(0, self.class_list.currentRow())
