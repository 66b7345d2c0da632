"""Translate Qt input to the Qt-free tool protocol (image coordinates, Buttons, Mods, key names)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent

from segstudio.core.tools.base import (
    KEY_BACKSPACE,
    KEY_DELETE,
    KEY_ENTER,
    KEY_ESCAPE,
    Buttons,
    Mods,
)

_KEYS = {
    Qt.Key.Key_Return: KEY_ENTER,
    Qt.Key.Key_Enter: KEY_ENTER,
    Qt.Key.Key_Escape: KEY_ESCAPE,
    Qt.Key.Key_Backspace: KEY_BACKSPACE,
    Qt.Key.Key_Delete: KEY_DELETE,
}


def buttons_of(qt_buttons: Qt.MouseButton) -> Buttons:
    b = Buttons.NONE
    if qt_buttons & Qt.MouseButton.LeftButton:
        b |= Buttons.LEFT
    if qt_buttons & Qt.MouseButton.RightButton:
        b |= Buttons.RIGHT
    if qt_buttons & Qt.MouseButton.MiddleButton:
        b |= Buttons.MIDDLE
    return b


def mods_of(qt_mods: Qt.KeyboardModifier) -> Mods:
    m = Mods.NONE
    if qt_mods & Qt.KeyboardModifier.ShiftModifier:
        m |= Mods.SHIFT
    if qt_mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier):
        m |= Mods.CTRL
    if qt_mods & Qt.KeyboardModifier.AltModifier:
        m |= Mods.ALT
    return m


def key_name(event: QKeyEvent) -> str | None:
    name = _KEYS.get(Qt.Key(event.key()))
    if name is not None:
        return name
    text = event.text()
    return text if text and text.isprintable() else None
