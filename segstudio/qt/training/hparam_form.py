"""A form built from a template's declared hyperparameters (one widget per knob, ranges
from the declaration), so the GUI, the CLI and the run record never disagree."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from segstudio.training.hparams import HyperParam
from segstudio.training.templates import Template


class HyperParamForm(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QFormLayout(self)
        self.widgets: dict[str, QWidget] = {}
        self.template: Template | None = None

    def set_template(self, template: Template) -> None:
        while self.layout_.rowCount():
            self.layout_.removeRow(0)
        self.widgets.clear()
        self.template = template
        for p in template.params:
            w = self._widget(p)
            w.setObjectName(f"hp_{p.name}")
            w.setToolTip(p.describe())
            self.widgets[p.name] = w
            self.layout_.addRow(p.name.replace("_", " "), w)

    def _widget(self, p: HyperParam) -> QWidget:
        if p.kind == "int":
            w = QSpinBox()
            w.setRange(int(p.low if p.low is not None else -(2**31 - 1)), int(min(p.high if p.high is not None else 2**31 - 1, 2**31 - 1)))
            if p.name == "input_size":
                w.setSingleStep(32)
            w.setValue(int(p.default))
            return w
        if p.kind == "float":
            w = QDoubleSpinBox()
            w.setDecimals(6 if p.log else 3)
            w.setRange(float(p.low if p.low is not None else -1e9), float(p.high if p.high is not None else 1e9))
            w.setSingleStep(float(p.default) / 2 if p.log and p.default else 0.05)
            w.setValue(float(p.default))
            return w
        if p.kind == "bool":
            w = QCheckBox()
            w.setChecked(bool(p.default))
            return w
        if p.kind == "choice":
            w = QComboBox()
            w.addItems(list(p.choices))
            w.setCurrentText(str(p.default))
            return w
        w = QLineEdit(", ".join(str(v) for v in p.default or []))
        return w

    def values(self) -> dict[str, Any]:
        """Only the values that differ from the defaults (what the run record calls overrides)."""
        assert self.template is not None
        out: dict[str, Any] = {}
        for p in self.template.params:
            w = self.widgets[p.name]
            if isinstance(w, QSpinBox):
                v: Any = w.value()
            elif isinstance(w, QDoubleSpinBox):
                v = w.value()
            elif isinstance(w, QCheckBox):
                v = w.isChecked()
            elif isinstance(w, QComboBox):
                v = w.currentText()
            else:
                v = w.text()  # type: ignore[attr-defined]
            if v != p.default:
                out[p.name] = v
        return out

    def set_values(self, values: dict[str, Any]) -> None:
        for name, v in values.items():
            w = self.widgets.get(name)
            if isinstance(w, QSpinBox):
                w.setValue(int(v))
            elif isinstance(w, QDoubleSpinBox):
                w.setValue(float(v))
            elif isinstance(w, QCheckBox):
                w.setChecked(bool(v))
            elif isinstance(w, QComboBox):
                w.setCurrentText(str(v))
            elif isinstance(w, QLineEdit):
                w.setText(", ".join(map(str, v)) if isinstance(v, list) else str(v))
