"""AI Assist in the main window: click/box tools with live proposals (Enter/Esc), pre-label of
the current image and of the project, model errors.  Models: the built-in GrabCut without
saliency and tiny ONNX semantic models built here (no downloads, no U²-Netp run)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.qt.conftest import click

torch = pytest.importorskip("torch")


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    """A user models folder with a tiny semantic model: blue pixels (the fixture's square) are
    'apple'."""

    class Reds(torch.nn.Module):
        def forward(self, x):
            r = x[:, 2:3] - 0.5 * (x[:, 0:1] + x[:, 1:2]) - 0.3
            return torch.cat([-r, r], 1)

    d = tmp_path / "models"
    d.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Reds(), (torch.zeros(1, 3, 16, 16),), str(d / "reds.onnx"), input_names=["x"],
                          output_names=["y"], dynamic_axes={"x": {2: "h", 3: "w"}, "y": {2: "h", 3: "w"}},
                          dynamo=False)
    (d / "reds.yaml").write_text("id: reds\nkind: semantic\nfiles: {model: reds.onnx}\n"
                                 "normalization: {scale: 255}\nclass_names: [background, apple]\n"
                                 "background: [background]\n")
    (d / "broken.onnx").write_bytes(b"definitely not onnx")
    (d / "broken.yaml").write_text("id: broken\nkind: semantic\nfiles: {model: broken.onnx}\n")
    monkeypatch.setenv("SEGSTUDIO_MODELS", str(d))
    return d


@pytest.fixture
def assist(window, models_dir):
    from segstudio.qt.features.assist import install

    install(window)
    feature = window.features.assist
    yield feature
    window.worker.wait(30000)
    if feature.dialog is not None:
        feature.dialog.close()


def _wait_idle(qtbot, window):
    qtbot.waitUntil(lambda: not window.worker.busy(), timeout=30000)


def _square_iou(mask):
    gt = np.zeros(mask.shape, bool)
    gt[10:30, 10:30] = True
    return np.count_nonzero(mask & gt) / max(1, np.count_nonzero(mask | gt))


def test_picker_lists_builtin_and_user_models(assist):
    combo = assist.picker.combo
    ids = [combo.itemData(i) for i in range(combo.count())]
    assert {"grabcut-interactive", "grabcut-plain", "u2netp-salient", "reds", "broken"} <= set(ids)
    combo.setCurrentIndex(combo.findData("reds"))
    assert assist.controller.card.id == "reds"
    assert "apple" in assist.picker.details.text()


def test_click_proposal_accept_with_enter_and_undo(qtbot, window, assist):
    c = assist.controller
    c.set_model("grabcut-plain")
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_I)
    assert window.canvas.tool is c.click_tool
    doc = window.current_document()
    click(window.canvas, 20, 20)
    qtbot.waitUntil(lambda: doc.proposal is not None, timeout=30000)
    prop = doc.proposal
    assert prop.model_id == "grabcut-plain" and _square_iou(prop.mask.to_full()) > 0.8
    assert len(doc.instances) == 0  # a proposal is not an edit
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    assert doc.proposal is None and len(doc.instances) == 1
    inst = doc.instances[0]
    assert inst.source == "model" and _square_iou(inst.mask.to_full()) > 0.8
    assert not c.click_tool.clicks  # the next click starts a new object
    window.current_history().undo()
    assert len(window.current_document().instances) == 0
    _wait_idle(qtbot, window)


def test_negative_click_refines_and_escape_discards(qtbot, window, assist):
    c = assist.controller
    c.set_model("grabcut-plain")
    c.activate_tool("ai_click")
    doc = window.current_document()
    click(window.canvas, 20, 20)
    qtbot.waitUntil(lambda: doc.proposal is not None, timeout=30000)
    first = doc.proposal
    click(window.canvas, 25, 25, Qt.MouseButton.RightButton)
    qtbot.waitUntil(lambda: doc.proposal is not first and doc.proposal is not None, timeout=30000)
    assert not doc.proposal.mask.to_full()[25, 25]
    assert doc.proposal.prompt["clicks"][-1][2] is False
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)
    assert doc.proposal is None and not c.click_tool.clicks and len(doc.instances) == 0
    _wait_idle(qtbot, window)


def test_box_tool(qtbot, window, assist):
    from tests.qt.conftest import drag

    c = assist.controller
    c.set_model("grabcut-plain")
    c.activate_tool("ai_box")
    doc = window.current_document()
    drag(window.canvas, [(6, 6), (20, 20), (34, 34)])
    qtbot.waitUntil(lambda: doc.proposal is not None, timeout=30000)
    assert doc.proposal.prompt["box"] == pytest.approx((6, 6, 34, 34), abs=0.6)
    assert _square_iou(doc.proposal.mask.to_full()) > 0.7
    _wait_idle(qtbot, window)


def test_prelabel_current_image_is_one_undo_step(qtbot, window, assist):
    c = assist.controller
    c.set_model("reds")
    doc = window.current_document()
    window.findChild(type(assist.actions["prelabel_image"]), "prelabel_image").trigger()
    qtbot.waitUntil(lambda: len(window.current_document().instances) == 1, timeout=30000)
    inst = window.current_document().instances[0]
    assert inst.source == "model" and inst.score is not None
    assert window.project.categories().get(inst.category_id).name == "apple"
    assert _square_iou(inst.mask.to_full()) > 0.9
    assert window.project.image(window.current_image().id).status == "prelabelled"
    window.current_history().undo()
    assert len(doc.instances) == 0
    _wait_idle(qtbot, window)


def test_model_errors_are_shown_not_raised(qtbot, window, assist):
    c = assist.controller
    c.set_model("broken")
    c.prelabel_current()
    qtbot.waitUntil(lambda: "broken.onnx" in window.statusBar().currentMessage(), timeout=30000)
    assert len(window.current_document().instances) == 0


def test_batch_prelabel_dialog_runs_the_project(qtbot, window, assist):
    c = assist.controller
    c.set_model("reds")
    dlg = assist.show_batch()
    dlg.scope_buttons["all"].setChecked(True)
    qtbot.mouseClick(dlg.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.job_id is None, timeout=60000)
    assert "Done: 3 images" in dlg.info.text()
    assert dlg.isVisible()  # a run the user started keeps its dialog open with the result
    statuses = {r.status for r in window.project.images()}
    assert statuses == {"prelabelled"}
    # the current document was re-read: the pre-labels are visible without navigating
    assert len(window.current_document().instances) == 1
    # cancel right away: the run is marked and a later Start resumes it
    dlg.scope_buttons["all"].setChecked(True)
    dlg.resume.setChecked(False)
    qtbot.mouseClick(dlg.start_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dlg.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.job_id is None, timeout=60000)
    assert "ancel" in dlg.info.text() or "Done" in dlg.info.text()
    _wait_idle(qtbot, window)


def test_models_trained_in_the_project_are_listed(assist, window, models_dir, project_dir, monkeypatch):
    import shutil

    monkeypatch.delenv("SEGSTUDIO_MODELS")
    run_dir = project_dir / "models" / "run-1"
    run_dir.mkdir(parents=True)
    shutil.copy(models_dir / "reds.onnx", run_dir / "model.onnx")
    (run_dir / "card.yaml").write_text("id: project-run-1\nkind: semantic\nfiles: {model: model.onnx}\n"
                                       "normalization: {scale: 255}\nclass_names: [background, apple]\n")
    assert window.open_project(project_dir)
    combo = assist.picker.combo
    ids = [combo.itemData(i) for i in range(combo.count())]
    assert "project-run-1" in ids and "reds" not in ids


def test_a_project_without_trained_models_reports_no_problem(assist, window, project_dir):
    assert not (project_dir / "models").exists()
    assist.controller.reload_cards()
    assert not any("models" in p and "not found" in p for p in assist.controller.problems)
    assert "Broken model cards" not in assist.picker.state.text()


def test_a_malformed_card_is_listed_broken_and_assist_still_works(qtbot, window, assist, models_dir):
    """Issue 21.6: `background: 5` in one card disabled the whole AI Assist feature."""
    (models_dir / "zz-bad.yaml").write_text("id: zz\nkind: salient\nbackground: 5\n")
    assist.reload()
    combo = assist.picker.combo
    ids = [combo.itemData(i) for i in range(combo.count())]
    assert {"grabcut-plain", "u2netp-salient", "reds"} <= set(ids)
    bad = [i for i in range(combo.count()) if "zz-bad.yaml" in combo.itemText(i)]
    assert len(bad) == 1 and "broken" in combo.itemText(bad[0])
    item = combo.model().item(bad[0])
    assert not item.isEnabled() and "'background' must be a list" in item.toolTip()
    assert "zz-bad.yaml" in assist.picker.state.text()
    assist.controller.set_model("grabcut-plain")
    assert assist.controller.card.id == "grabcut-plain"
