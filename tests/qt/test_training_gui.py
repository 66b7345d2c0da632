"""Training GUI: the dialog trains in a separate process with live curves, cancel and
resume, then pre-labels the rest; the scribble classifier paints, previews and accepts."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from segstudio.store import Project
from segstudio.training.runs import get_run, list_runs
from tests.unit.training.conftest import build_project


def _mouse(view, kind, x, y, button, buttons):
    pos = view.image_to_view(x, y)
    ev = QMouseEvent(kind, QPointF(pos), QPointF(view.viewport().mapToGlobal(pos.toPoint())), button, buttons,
                     Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), ev)


def _drag(view, pts, button=Qt.MouseButton.LeftButton):
    _mouse(view, QEvent.Type.MouseButtonPress, *pts[0], button, button)
    for p in pts[1:]:
        _mouse(view, QEvent.Type.MouseMove, *p, Qt.MouseButton.NoButton, button)
    _mouse(view, QEvent.Type.MouseButtonRelease, *pts[-1], button, Qt.MouseButton.NoButton)


def _type_into(qtbot, spin, text):
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Tab)


@pytest.fixture
def train_window(qtbot, tmp_path):
    from segstudio.qt.features.training import install
    from segstudio.qt.main_window import MainWindow

    build_project(tmp_path / "proj", n=8, done=6).close()
    w = MainWindow(install_features=False)
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    qtbot.waitExposed(w)
    assert w.open_project(tmp_path / "proj")
    install(w)
    yield w
    w.features.training.training_panel.runner.shutdown()
    w.worker.wait(60000)
    w.close()
    assert not w.worker.busy()


@pytest.mark.slow
def test_dialog_trains_cancels_resumes_and_prelabels(qtbot, train_window):
    w = train_window
    w.features.training.actions["train_model"].trigger()
    dlg = w.features.training.training_panel
    assert w.modes.current == "train" and w.features.training.training_dock.isVisible()
    qtbot.waitExposed(dlg)
    dlg.template_combo.setCurrentIndex(dlg.template_combo.findData("semantic"))
    form = dlg.form.widgets
    for name, value in (("epochs", "10"), ("input_size", "32"), ("width", "4"), ("depth", "2"),
                        ("workers", "1"), ("batch_size", "4")):
        _type_into(qtbot, form[name], value)
    assert dlg.form.values()["epochs"] == 10 and dlg.form.values()["input_size"] == 32
    assert dlg.count_label.text().startswith("6 image")

    epochs_seen = []
    dlg.runner.event.connect(lambda e: epochs_seen.append(e["epoch"]) if e["type"] == "epoch" else None)
    qtbot.mouseClick(dlg.start_button, Qt.MouseButton.LeftButton)
    assert dlg.runner.running and not dlg.start_button.isEnabled()
    qtbot.waitUntil(lambda: len(epochs_seen) >= 1, timeout=120_000)
    qtbot.mouseClick(dlg.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.runner.running, timeout=60_000)
    run_id = list_runs(w.project)[-1].id
    assert get_run(w.project, run_id).status == "cancelled"
    assert dlg.resume_combo.count() == 1 and dlg.resume_button.isEnabled()
    assert len(dlg.loss_plot.series()["train"]) >= 1

    qtbot.mouseClick(dlg.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.runner.running, timeout=120_000)
    rec = get_run(w.project, run_id)
    assert rec.status == "done" and [m["epoch"] for m in rec.metrics] == list(range(1, 11))
    assert dlg.last_card and dlg.last_card.endswith(f"run-{run_id}/card.yaml")
    # the curves show every epoch (the ones before the cancel are re-drawn on resume)
    assert [x for x, _ in dlg.loss_plot.series()["train"]] == [float(e) for e in range(1, 11)]
    assert len(dlg.iou_plot.series()["mIoU"]) == 10
    assert dlg.progress.value() == dlg.progress.maximum()
    assert not dlg.grab().isNull()

    # closed loop: the two unlabelled images are pre-labelled and the least certain is shown
    qtbot.waitUntil(lambda: w.project.counts_by_status()["prelabelled"] == 2, timeout=60_000)
    w.worker.wait(30_000)
    qtbot.waitUntil(lambda: w.current_image() is not None and w.current_image().status == "prelabelled",
                    timeout=10_000)
    with Project.open(w.project.root) as p:
        from segstudio.training.closed_loop import review_order

        first = review_order(p)[0][0]
    assert w.current_image().id == first
    assert all(i.source == "model" for i in w.current_document())


@pytest.mark.slow
def test_click_template_fine_tunes_and_the_card_joins_the_click_models(qtbot, train_window):
    """The click template in the same dialog: trains the real click network in the background
    process (1 epoch on the 6 discs, no validation: a few seconds) and AI Assist lists the result."""
    from segstudio.qt.features.assist import install as install_assist

    w = train_window
    install_assist(w)
    w.features.training.actions["train_model"].trigger()
    dlg = w.features.training.training_panel
    qtbot.waitExposed(dlg)
    dlg.template_combo.setCurrentIndex(dlg.template_combo.findData("click"))
    assert not dlg.auto_prelabel.isEnabled()  # a click model pre-labels nothing
    form = dlg.form.widgets
    assert {"iterative_p", "box_p", "start"} <= set(form) and "input_size" not in form
    for name, value in (("epochs", "1"), ("batch_size", "3"), ("val_fraction", "0"), ("workers", "1")):
        _type_into(qtbot, form[name], value)
    form["start"].setCurrentIndex(form["start"].findText("saliency"))
    dlg.category_list.item(0).setCheckState(Qt.CheckState.Unchecked)  # the discs only
    qtbot.mouseClick(dlg.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.runner.running, timeout=240_000)
    rec = list_runs(w.project)[-1]
    assert rec.template == "click" and rec.status == "done", rec.artefacts
    assert len(dlg.loss_plot.series()["train"]) == 1
    picker_ids = [c.id for c in w.features.assist.controller.prompt_cards()]
    assert f"proj-run-{rec.id}" in picker_ids and "grabcut-interactive" in picker_ids
    assert w.project.counts_by_status().get("prelabelled", 0) == 0  # nothing was pre-labelled


def test_scribble_classifier_paints_previews_and_accepts(qtbot, window):
    """Uses the shared `window` fixture: 80x60 images with a red square at [10:30, 10:30]."""
    from segstudio.qt.features.training import install
    from segstudio.qt.training.scribble_controller import LAYER

    install(window)
    feature = window.features.training
    feature.actions["scribble"].trigger()
    panel = feature.panel
    assert window.canvas.tool is feature.scribble.tool and panel.enable_button.isChecked()
    assert [panel.class_list.item(i).text() for i in range(panel.class_list.count())] == ["background", "cat", "dog"]
    lst = panel.class_list
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=lst.visualItemRect(lst.item(1)).center())
    assert feature.scribble.tool.class_index == 1
    _drag(window.canvas, [(13, 15), (20, 20), (27, 26)])
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=lst.visualItemRect(lst.item(0)).center())
    _drag(window.canvas, [(40, 10), (70, 50)])
    _drag(window.canvas, [(5, 45), (30, 55)])
    qtbot.waitUntil(lambda: LAYER in window.canvas.extra_layers, timeout=30_000)
    window.worker.wait(30_000)
    session = feature.scribble.session
    assert session.counts()[0] > 0 and session.counts()[1] > 0
    doc = window.current_document()
    n_before = len(doc)
    qtbot.mouseClick(panel.accept_button, Qt.MouseButton.LeftButton)
    assert len(doc) == n_before + 1
    inst = doc.instances[-1]
    cats = {c.name: c.id for c in window.project.categories()}
    assert inst.category_id == cats["cat"] and inst.source == "model"
    square = inst.mask.window(10, 10, 20, 20)  # the 20x20 red square
    assert square.sum() >= 380 and inst.area < 700
    with Project.open(window.project.root) as p:
        assert len(p.load_instances(doc.image_id)) == n_before + 1
    window.current_history().undo()
    assert len(doc) == n_before
    # saved as a model card and applied to the next image
    card = feature.scribble.save(window.project.root / "models" / "scribble", "scribble")
    assert card is not None and card.is_file()
    window.step_image(1)
    qtbot.waitUntil(lambda: feature.scribble.session is not None and feature.scribble.session.revision == 0
                    and LAYER not in window.canvas.extra_layers, timeout=10_000)
    feature.scribble.apply(card)
    qtbot.waitUntil(lambda: LAYER in window.canvas.extra_layers, timeout=30_000)
    window.worker.wait(30_000)
    assert feature.scribble.session.class_map()[20, 20] == 1


def test_curve_plot_ticks_and_form_round_trip(qtbot):
    from segstudio.qt.training.curves import CurvePlot, nice_ticks
    from segstudio.qt.training.hparam_form import HyperParamForm
    from segstudio.training.templates import get_template

    assert nice_ticks(0, 1, 4) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(0.13, 0.71, 4) == [0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
    assert nice_ticks(3.2, 3.2) == [3.2]
    plot = CurvePlot("loss")
    qtbot.addWidget(plot)
    plot.resize(300, 160)
    plot.append("train", 1, 2.0)
    plot.append("train", 2, float("nan"))  # skipped, never drawn
    plot.append("train", 3, 1.0)
    assert plot.series()["train"] == [(1.0, 2.0), (3.0, 1.0)]
    img = plot.grab().toImage()
    assert not img.isNull()
    form = HyperParamForm()
    qtbot.addWidget(form)
    t = get_template("foreground")
    form.set_template(t)
    assert form.values() == {}  # defaults are not overrides
    form.set_values({"epochs": 7, "loss": "focal", "hflip": False})
    qtbot.keyClicks(form.widgets["lr"], "")  # the widgets are live and typed
    values = form.values()
    assert values == {"epochs": 7, "loss": "focal", "hflip": False}
    assert t.resolve(values)["epochs"] == 7
