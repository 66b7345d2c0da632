"""Cycling a click's candidate masks (SAM-family models answer with several: part, object,
whole): S / Shift+S and the AI Assist panel's buttons walk them best score first, the panel says
"mask 2/4, score 0.70", the controls are enabled only while the proposal on show has several,
and the next click refines the candidate shown.  Driven through real key and mouse events with
the tests' tiny SAM-1 export (four candidates with fixed scores 0.7/0.8/0.3/0.5)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.qt.conftest import click

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")


@pytest.fixture
def sam1(tmp_path, monkeypatch, window):
    from segstudio.inference.install import add_local
    from segstudio.qt.features.assist import install
    from tests.unit.inference.tiny_layouts import export_tiny_sam1

    monkeypatch.setenv("SEGSTUDIO_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("SEGSTUDIO_EMBEDDING_CACHE", str(tmp_path / "emb"))
    enc, dec = export_tiny_sam1(tmp_path / "src")
    card = add_local(enc, dec, model_id="tiny-sam1", name="Tiny SAM")
    with card.open("a", encoding="utf-8") as f:  # the tiny export's "1024"
        f.write("input_size: [64, 64]\n")
    install(window)
    # the third image: its background is bright in the red channel the tiny encoder reads
    assert window.go_to_image(window.project.image_ids()[2])
    feature = window.features.assist
    feature.reload()
    feature.controller.set_model("tiny-sam1")
    yield feature
    window.worker.wait(20000)


def _proposal_after(qtbot, window, before):
    qtbot.waitUntil(lambda: (p := window.current_document().proposal) is not None and p is not before,
                    timeout=20000)
    qtbot.waitUntil(lambda: not window.worker.busy(), timeout=20000)
    return window.current_document().proposal


def _key(qtbot, window, key, mods=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(window, key, mods)


def test_s_and_the_panel_cycle_the_candidates_best_first(qtbot, window, sam1):
    picker, doc = sam1.picker, window.current_document()
    next_act, prev_act = sam1.actions["next_mask"], sam1.actions["prev_mask"]
    assert not next_act.isEnabled() and not picker.next_mask_button.isEnabled()
    assert picker.candidate_label.text() == ""
    _key(qtbot, window, Qt.Key.Key_I)  # the AI click tool
    assert window.canvas.tool is sam1.controller.click_tool
    click(window.canvas, 60, 45)  # on the bright background: +-20 pixels of it
    first = _proposal_after(qtbot, window, None)
    red = first.mask.to_full()
    assert red[45, 60] and red[30, 45] and not red[10, 10] and first.score == pytest.approx(0.8)
    assert picker.candidate_label.text() == "mask 1/4, score 0.80"
    assert next_act.isEnabled() and prev_act.isEnabled() and picker.next_mask_button.isEnabled()

    _key(qtbot, window, Qt.Key.Key_S)  # 2nd best: the single-object output, the same mask here
    second = _proposal_after(qtbot, window, first)
    assert second.score == pytest.approx(0.7) and picker.candidate_label.text() == "mask 2/4, score 0.70"
    assert np.array_equal(second.mask.to_full(), red)
    qtbot.mouseClick(picker.next_mask_button, Qt.MouseButton.LeftButton)  # 3rd: the whole box
    third = _proposal_after(qtbot, window, second)
    whole = third.mask.to_full()
    assert picker.candidate_label.text() == "mask 3/4, score 0.50" and whole.sum() > red.sum()
    assert third.prompt["mask_choice"] == 2 and third.prompt["mask_choices"] == 4
    _key(qtbot, window, Qt.Key.Key_S)
    fourth = _proposal_after(qtbot, window, third)
    assert picker.candidate_label.text() == "mask 4/4, score 0.30"
    assert not np.array_equal(fourth.mask.to_full(), whole)
    _key(qtbot, window, Qt.Key.Key_S)  # wraps round to the best
    assert _proposal_after(qtbot, window, fourth).score == pytest.approx(0.8)
    assert picker.candidate_label.text() == "mask 1/4, score 0.80"
    _key(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ShiftModifier)  # and back
    shown = _proposal_after(qtbot, window, doc.proposal)
    assert picker.candidate_label.text() == "mask 4/4, score 0.30"
    assert np.array_equal(shown.mask.to_full(), fourth.mask.to_full())
    assert len(doc.instances) == 0  # cycling edits nothing; the clicks are kept

    qtbot.mouseClick(picker.prev_mask_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(picker.prev_mask_button, Qt.MouseButton.LeftButton)  # two quick presses
    qtbot.waitUntil(lambda: picker.candidate_label.text() == "mask 2/4, score 0.70", timeout=20000)
    qtbot.waitUntil(lambda: not window.worker.busy(), timeout=20000)
    chosen = doc.proposal
    # the buttons never take the keyboard from the canvas, where Enter accepts
    assert picker.prev_mask_button.focusPolicy() == Qt.FocusPolicy.NoFocus
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)  # accept the candidate on show
    assert len(doc.instances) == 1
    assert np.array_equal(doc.instances[0].mask.to_full(), chosen.mask.to_full())
    assert doc.proposal is None and picker.candidate_label.text() == ""
    assert not next_act.isEnabled() and not picker.next_mask_button.isEnabled()
    _key(qtbot, window, Qt.Key.Key_S)  # nothing on show: a word in the status bar, no crash
    assert doc.proposal is None


def test_a_new_click_starts_again_from_the_best_and_refines_the_shown_candidate(qtbot, window, sam1):
    doc = window.current_document()
    sam1.controller.activate_tool("ai_click")
    click(window.canvas, 60, 45)
    first = _proposal_after(qtbot, window, None)
    for _ in range(2):
        before = doc.proposal
        _key(qtbot, window, Qt.Key.Key_S)
        _proposal_after(qtbot, window, before)
    assert sam1.picker.candidate_label.text() == "mask 3/4, score 0.50"
    shown = doc.proposal.mask.to_full()
    assert sam1.controller.click_tool.prev_mask is not None
    assert np.array_equal(sam1.controller.click_tool.prev_mask, shown)  # the next click refines it
    click(window.canvas, 65, 50)  # three points now: the single-object output (0.7 + 0.2 fed back)
    second = _proposal_after(qtbot, window, doc.proposal)
    assert second is not first and second.score == pytest.approx(0.9)
    assert sam1.picker.candidate_label.text() == "mask 1/4, score 0.90"


def test_controls_stay_off_for_a_model_with_one_answer(qtbot, window, sam1):
    """The built-in click model gives one mask: nothing to cycle, the controls stay disabled."""
    c, doc = sam1.controller, window.current_document()
    c.set_model("grabcut-plain")
    c.activate_tool("ai_click")
    click(window.canvas, 60, 45)
    qtbot.waitUntil(lambda: doc.proposal is not None, timeout=20000)
    qtbot.waitUntil(lambda: not window.worker.busy(), timeout=20000)
    assert sam1.picker.candidate_label.text().startswith("one mask")
    assert not sam1.actions["next_mask"].isEnabled() and not sam1.picker.next_mask_button.isEnabled()
    before = doc.proposal
    _key(qtbot, window, Qt.Key.Key_S)
    assert doc.proposal is before
    c.set_model("tiny-sam1")  # another model: the proposal's candidates are not its
    assert sam1.picker.candidate_label.text() == ""
