"""Small builders for widget arrangements that several panels and dialogs share (one copy each)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)


def tool_button_row(specs: Iterable[tuple[str, str, str]]) -> tuple[QHBoxLayout, dict[str, QToolButton]]:
    """Flat buttons in a row from (key, text, tooltip), and the buttons by key."""
    row = QHBoxLayout()
    buttons: dict[str, QToolButton] = {}
    for key, text, tip in specs:
        b = QToolButton(text=text, toolTip=tip)
        b.setAutoRaise(True)
        row.addWidget(b)
        buttons[key] = b
    return row, buttons


def form_box(title: str, rows: Iterable[tuple[str, QWidget]], buttons: Iterable[QWidget] = ()) -> QGroupBox:
    """A titled group of labelled rows, with a row of `buttons` under them."""
    box = QGroupBox(title)
    form = QFormLayout(box)
    for label, widget in rows:
        form.addRow(label, widget)
    buttons = list(buttons)
    if buttons:
        row = QHBoxLayout()
        for b in buttons:
            row.addWidget(b)
        form.addRow(row)
    return box


def modeless_dialog(parent: QWidget | None, title: str) -> tuple[QDialog, QVBoxLayout]:
    """A window beside the main one (it never blocks the canvas); fill the layout, then `show_modeless`."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    return dialog, QVBoxLayout(dialog)


def show_modeless(dialog: QDialog, layout: QVBoxLayout, width: int, height: int) -> QDialog:
    """Add a Close button under the content, size the window and show it, non-modal."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    dialog.resize(width, height)
    dialog.setModal(False)
    dialog.show()
    return dialog
