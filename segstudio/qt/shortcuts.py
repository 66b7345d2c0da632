"""Keyboard shortcut rules: combinations desktops take before the app sees them, and clashes.

Qt silently drops an *ambiguous* shortcut (two enabled actions with the same keys in one
window: neither fires), and a desktop shortcut never reaches the app at all, so both kinds of
defect pass every test that calls the action directly.  `problems(window)` lists them; the test
suite runs it in every task mode.  See docs/canvas.md, "Keyboard".
"""

from __future__ import annotations

from collections import defaultdict

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

CTRL, ALT, SHIFT, META = (Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier,
                          Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.MetaModifier)

# Exact combinations that common desktops (GNOME, KDE, Xfce, Cinnamon, Windows, macOS) bind.
RESERVED_EXACT = {
    "Ctrl+Alt+Del": "log out / security screen",
    "Ctrl+Alt+Backspace": "kills the X server (where enabled)",
    "Ctrl+Alt+T": "opens a terminal (Ubuntu, Mint, Xfce)",
    "Ctrl+Alt+L": "locks the screen (Cinnamon, Xfce, KDE, older GNOME)",
    "Ctrl+Alt+D": "shows the desktop (Xfce, Cinnamon)",
    "Ctrl+Alt+Tab": "switches system controls / windows",
    "Ctrl+Alt+Space": "input method or launcher on several desktops",
    "Alt+Tab": "switches windows",
    "Alt+Shift+Tab": "switches windows",
    "Alt+Space": "window menu",
    "Alt+Esc": "cycles windows",
    "Ctrl+Esc": "start menu (Windows, KDE)",
    "Print": "screenshot",
    "Shift+Print": "screenshot of an area",
    "Alt+Print": "screenshot of a window",
    "Ctrl+Alt+Print": "screenshot",
}
ARROWS = {Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down}
ALT_FKEYS = {getattr(Qt.Key, f"Key_F{n}") for n in (1, 2, 3, 4, 5, 7, 8, 9, 10)}  # menus, run, close, move, resize, maximise
FKEYS = {getattr(Qt.Key, f"Key_F{n}") for n in range(1, 13)}


def reserved_reason(seq: QKeySequence | str) -> str | None:
    """Why a desktop may take `seq` before the app sees it, or None if it reaches the app."""
    seq = QKeySequence(seq)
    if seq.isEmpty():
        return None
    text = seq.toString(QKeySequence.SequenceFormat.PortableText)
    if text in RESERVED_EXACT:
        return RESERVED_EXACT[text]
    combo = seq[0]
    mods, key = combo.keyboardModifiers(), combo.key()
    if mods & META:
        return "Super/Meta combinations belong to the desktop"
    ctrl_alt = bool(mods & CTRL) and bool(mods & ALT)
    if ctrl_alt and key in ARROWS:
        return "switches or moves windows between workspaces"
    if ctrl_alt and key in FKEYS:
        return "switches to a text console"
    if mods & ALT and not mods & CTRL and key in ALT_FKEYS:
        return "window manager (menus, run dialog, close, move, resize, maximise)"
    if ctrl_alt and Qt.Key.Key_A <= key <= Qt.Key.Key_Z:
        return "Ctrl+Alt+letter is AltGr on many keyboard layouts (types €, @, ł...) and desktops bind several"
    return None


def _key_texts(act: QAction) -> list[str]:
    return [s.toString(QKeySequence.SequenceFormat.PortableText) for s in act.shortcuts() if not s.isEmpty()]


def window_actions(window: QWidget) -> list[QAction]:
    """The actions whose shortcuts are live in `window` (window or application context)."""
    seen: dict[int, QAction] = {}
    live = (Qt.ShortcutContext.WindowShortcut, Qt.ShortcutContext.ApplicationShortcut)
    for act in window.findChildren(QAction):
        owners = [_owner_window(w) for w in act.associatedObjects() if isinstance(w, QWidget)]
        if act.shortcuts() and act.shortcutContext() in live and window in owners:
            seen.setdefault(id(act), act)
    return list(seen.values())


def _owner_window(obj: QObject) -> QWidget | None:
    """The window whose key presses reach `obj`'s actions: a menu is a popup window of its
    own, but the shortcuts of its actions work in the window that owns the menu."""
    while isinstance(obj, QMenu) and obj.parentWidget() is not None:
        obj = obj.parentWidget()
    return obj.window() if isinstance(obj, QWidget) else None


def clashes(actions: list[QAction]) -> dict[str, list[QAction]]:
    """{keys: actions} for keys that two or more *enabled* actions share (Qt fires neither)."""
    by_key: dict[str, list[QAction]] = defaultdict(list)
    for act in actions:
        if act.isEnabled():
            for k in _key_texts(act):
                by_key[k].append(act)
    return {k: acts for k, acts in by_key.items() if len({id(a) for a in acts}) > 1}


def problems(window: QWidget) -> list[str]:
    """Human-readable shortcut defects of the window in its current state."""
    acts = window_actions(window)
    out = [f"{k}: {' / '.join(a.text().replace('&', '') for a in group)}" for k, group in clashes(acts).items()]
    for act in acts:
        for s in act.shortcuts():
            reason = reserved_reason(s)
            if reason:
                out.append(f"{s.toString()} ({act.text().replace('&', '')}): reserved by desktops: {reason}")
    return out
