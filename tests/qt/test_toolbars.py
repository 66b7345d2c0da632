"""Issue 15 #7: at the default width (and the 1280x720 minimum) nothing of a toolbar falls
behind the overflow "»" (brush size and wand tolerance did), in any task mode, and the main
toolbar's buttons stay put when the Undo/Redo text changes ("Undo Accept proposal")."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QToolBar, QToolButton

from segstudio.core import commands
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch

from .conftest import close_full_window, make_full_window


def _settle(n: int = 4) -> None:
    for _ in range(n):
        QApplication.processEvents()


def _overflowing(w) -> list[str]:
    """Toolbars showing their extension button, and what they hide behind it."""
    _settle()
    out = []
    for tb in w.findChildren(QToolBar):
        if not tb.isVisible():
            continue
        ext = [b for b in tb.findChildren(QToolButton) if b.objectName() == "qt_toolbar_ext_button"]
        hidden = [a.text() or type(tb.widgetForAction(a)).__name__ for a in tb.actions()
                  if a.isVisible() and tb.widgetForAction(a) is not None and not tb.widgetForAction(a).isVisible()]
        if any(b.isVisible() for b in ext) or hidden:
            out.append(f"{tb.objectName()}: {hidden}")
    return out


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768)])
def test_no_toolbar_overflows_in_any_mode(qtbot, sample_dir, size):
    w = make_full_window(qtbot, size)
    try:
        assert w.open_project(sample_dir)
        for mode in w.modes:
            w.modes.activate(mode)
            assert _overflowing(w) == [], (size, mode)
        w.modes.activate("annotate")
        _settle()
        for spin in (w.brush_spin, w.tolerance_spin):  # reachable, not behind the "»"
            assert spin.isVisible() and not spin.visibleRegion().isEmpty()
    finally:
        close_full_window(w)


def test_main_toolbar_buttons_stay_put_when_undo_text_changes(qtbot, full_window):
    w = full_window
    w.modes.activate("annotate")
    main = w.findChild(QToolBar, "toolbar_main")

    def places() -> list[tuple[int, int]]:  # (x, width) of each button, in order
        _settle()
        return [(main.widgetForAction(a).x(), main.widgetForAction(a).width())
                for a in main.actions() if main.widgetForAction(a) is not None and not a.isSeparator()]

    before = places()
    assert len(before) >= 8
    doc = w.current_document()
    h, wd = doc.image_shape
    mask = np.zeros((h, wd), bool)
    mask[5:25, 5:25] = True
    inst = Instance(doc.allocate_id(), doc.instances[0].category_id, MaskPatch.from_full(mask))
    w.push_command(commands.edit_instances(doc, "Accept proposal with a long name", {inst.id: inst}))
    assert "Accept proposal with a long name" in w.actions["undo"].text()
    assert places() == before
    w.actions["undo"].trigger()
    assert "Accept proposal with a long name" in w.actions["redo"].text()
    assert places() == before
