"""A form generated from a format's declared options (combo for choices, checkbox for flags)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLineEdit, QWidget

from segstudio.io.registry import Option

HIDDEN = {"split", "label_set", "mode", "require_images"}  # shown by the dialogs themselves


class OptionsForm(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self._widgets: dict[str, tuple[Option, QWidget]] = {}

    def set_options(self, options: tuple[Option, ...]) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self._widgets.clear()
        for o in options:
            if o.name in HIDDEN:
                continue
            if o.type is bool:
                w: QWidget = QCheckBox()
                w.setChecked(bool(o.default))
            elif o.choices:
                w = QComboBox()
                w.addItems([str(c) for c in o.choices])
                w.setCurrentText(str(o.default))
            else:
                w = QLineEdit("" if o.default is None else str(o.default))
                w.setPlaceholderText("default")
            w.setObjectName(f"opt_{o.name}")
            w.setToolTip(o.help)
            self.form.addRow(o.name.replace("_", " ").capitalize() + ":", w)
            self._widgets[o.name] = (o, w)

    def widget(self, name: str) -> QWidget:
        return self._widgets[name][1]

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, (o, w) in self._widgets.items():
            if isinstance(w, QCheckBox):
                out[name] = w.isChecked()
            elif isinstance(w, QComboBox):
                out[name] = w.currentText()
            elif isinstance(w, QLineEdit) and w.text().strip():
                out[name] = w.text().strip()
            if name in out and _is_default(o, out[name]):
                del out[name]
        return out


def _is_default(o: Option, value: Any) -> bool:
    """The widget shows the default ("0.0" for 0.0 too): leave the option out."""
    if value == o.default:
        return True
    try:
        return o.parse(value) == o.default
    except ValueError:
        return False
