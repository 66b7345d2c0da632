"""A category that a model adds while pre-labelling ("foreground", "apple") shows at once in the
Categories and Instances panels and on the canvas, not after a restart (instances showed as
"#5" with a grey overlay)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.qt.test_assist import assist, models_dir  # noqa: F401  (fixtures)

pytest.importorskip("torch")


def _category_names(window) -> list[str]:
    lst = window.categories_panel.list
    return [lst.item(i).text().split(None, 1)[-1] for i in range(lst.count())]


def _shown_category(window, row: int = 0) -> str:
    panel = window.instances_panel
    return panel.model.data(panel.model.index(row, 2), Qt.ItemDataRole.DisplayRole)


def test_prelabel_of_the_current_image_shows_its_new_category(qtbot, window, assist):  # noqa: F811
    assert "apple" not in _category_names(window)
    assist.controller.set_model("reds")
    assist.actions["prelabel_image"].trigger()
    qtbot.waitUntil(lambda: len(window.current_document().instances) == 1, timeout=30000)
    inst = window.current_document().instances[0]
    assert "apple" in _category_names(window)
    assert _shown_category(window) == "apple"  # not "#3"
    assert inst.category_id in window.canvas.colors  # drawn in its colour, not grey
    assert window.instances_panel.category_combo.findText("apple") > 0
    qtbot.waitUntil(lambda: not window.worker.busy(), timeout=30000)


def test_batch_prelabel_shows_its_new_category(qtbot, window, assist):  # noqa: F811
    assist.controller.set_model("reds")
    dlg = assist.show_batch()
    dlg.scope_buttons["all"].setChecked(True)
    qtbot.mouseClick(dlg.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.job_id is None, timeout=60000)
    assert "apple" in _category_names(window)
    assert _shown_category(window) == "apple"
    assert window.current_document().instances[0].category_id in window.canvas.colors
    qtbot.waitUntil(lambda: not window.worker.busy(), timeout=30000)
