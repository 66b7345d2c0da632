"""Keyboard shortcuts: no two enabled actions of a window share keys (Qt fires neither), and
none is a combination desktops take first (Ctrl+Alt+arrows, Ctrl+Alt+T, Super+...)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence

from segstudio.qt import shortcuts

from .conftest import close_full_window, make_full_window


@pytest.mark.parametrize(
    "keys",
    ["Ctrl+Alt+Left", "Ctrl+Alt+Right", "Ctrl+Alt+Up", "Ctrl+Alt+T", "Ctrl+Alt+Del", "Ctrl+Alt+L", "Meta+E",
     "Meta+Shift+Left", "Alt+F4", "Alt+F1", "Alt+F2", "Alt+Tab", "Ctrl+Alt+F2", "Ctrl+Alt+I", "Print"],
)
def test_desktop_combinations_are_reserved(keys):
    assert shortcuts.reserved_reason(keys)


@pytest.mark.parametrize("keys", ["I", "Shift+J", "Ctrl+Shift+Right", "Ctrl+T", "Ctrl+E", "F1", "Alt+1", "Shift+Space", "Ctrl+Shift+S"])
def test_ordinary_combinations_are_not(keys):
    assert shortcuts.reserved_reason(keys) is None


def test_a_planted_clash_is_found(qtbot, sample_dir):
    w = make_full_window(qtbot)
    try:
        assert w.open_project(sample_dir)
        assert shortcuts.problems(w) == []
        extra = QAction("Planted", w)
        extra.setShortcut(QKeySequence("B"))  # the brush's key
        w.addAction(extra)
        assert any(p.startswith("B: ") and "Planted" in p for p in shortcuts.problems(w))
        extra.setEnabled(False)  # a disabled action takes no keys
        assert shortcuts.problems(w) == []
    finally:
        close_full_window(w)


def _start_review(w, qtbot) -> None:
    feature = w.findChild(QObject, "review_feature")
    feature.controller.start("gt", "pred")
    qtbot.waitUntil(lambda: feature.controller.active, timeout=20_000)
    assert feature.actions["prev_item"].isEnabled() and feature.actions["cycle_view"].isEnabled()


def _show_video(w) -> None:
    video = next(r for r in w.project.images() if r.kind != "image")
    assert w.go_to_image(video.id, 1)
    assert w.features.video.actions["play"].isEnabled() and w.features.video.actions["propagate_fwd"].isEnabled()


def test_no_clash_and_nothing_reserved_in_any_state(qtbot, full_window):
    """Every state where more actions are enabled: an image, a running review, a video, a review
    of a project while a video is shown, and every task mode."""
    w = full_window
    assert len(shortcuts.window_actions(w)) > 60
    states = {"image": lambda: None, "review": lambda: _start_review(w, qtbot), "video": lambda: _show_video(w)}
    for name, enter in states.items():
        enter()
        assert shortcuts.problems(w) == [], name
        for mode in w.modes:
            w.modes.activate(mode)
            assert shortcuts.problems(w) == [], (name, mode)


def test_no_clash_without_a_project(qtbot):
    w = make_full_window(qtbot)
    try:
        assert shortcuts.problems(w) == []
    finally:
        close_full_window(w)


def test_the_shortcuts_dialog_lists_the_features_keys_too(full_window):
    dlg = full_window.show_shortcuts()
    rows = {(dlg.table.item(r, 1).text(), dlg.table.item(r, 2).text()) for r in range(dlg.table.rowCount())}
    for expected in [("Undo", "Edit"), ("Select Subject", "Background Removal"), ("AI Click Tool", "Model"),
                     ("Next Disagreement", "Review"), ("Propagate Forward", "Video"), ("Pick category 1 to 9", "Canvas")]:
        assert expected in rows
    dlg.close()


def test_menu_bar_mnemonics_are_unique(full_window):
    """Alt+letter opens one menu: View and Video both took V, so Alt+V never reached Video."""
    from PySide6.QtGui import QKeySequence

    letters: dict[str, str] = {}
    for act in full_window.menuBar().actions():
        key = QKeySequence.mnemonic(act.text()).toString()
        assert key, f"menu {act.text()!r} has no mnemonic"
        assert key not in letters, f"{act.text()!r} and {letters[key]!r} share {key}"
        letters[key] = act.text()
