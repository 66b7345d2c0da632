"""The tool options bar (operation, brush size, tolerance) and the Exclusive / Target actions
mirror `ToolOptions`, the one copy of those settings: a widget assigns its option, and a change
made anywhere else (Ctrl+wheel, [ and ], a feature) shows in the widgets with their signals
blocked, so nothing echoes back."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSignalBlocker
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QSpinBox

from segstudio.core.tools import ToolOptions
from segstudio.qt.canvas import CanvasView

OPTIONS_SHOWN = ("brush_size", "tolerance", "operation", "exclusive", "target")


class ToolOptionsView(QObject):
    def __init__(self, options: ToolOptions, canvas: CanvasView, actions: dict[str, QAction],
                 operation_combo: QComboBox, brush_spin: QSpinBox, tolerance_spin: QSpinBox) -> None:
        super().__init__(canvas)
        self.options, self.canvas, self.actions = options, canvas, actions
        self.widgets = {"brush_size": brush_spin, "tolerance": tolerance_spin, "operation": operation_combo}
        operation_combo.currentIndexChanged.connect(
            lambda _i: setattr(options, "operation", operation_combo.currentData()))
        brush_spin.valueChanged.connect(lambda v: setattr(options, "brush_size", v))
        tolerance_spin.valueChanged.connect(lambda v: setattr(options, "tolerance", v))
        options.changed.connect(self.show)

    def show(self, name: str, value: object) -> None:
        """Mirror one tool option in the widgets that show it."""
        if name == "brush_size":
            self.canvas._on_tool_changed(None)  # the brush cursor's size
        if name in ("exclusive", "target"):  # checkable actions: their group must hear them,
            act = self.actions["exclusive" if name == "exclusive" else f"target_{value}"]
            if act.isChecked() != (bool(value) if name == "exclusive" else True):
                act.setChecked(not act.isChecked())  # its slot assigns the same value: no echo
            return
        widget = self.widgets.get(name)
        if widget is None:
            return
        with QSignalBlocker(widget):
            if isinstance(widget, QComboBox):
                widget.setCurrentIndex(max(0, widget.findData(value)))
            else:
                widget.setValue(int(value))  # type: ignore[arg-type]

    def show_all(self) -> None:
        for name in OPTIONS_SHOWN:
            self.show(name, getattr(self.options, name))
