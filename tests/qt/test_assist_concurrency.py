"""AI clicks while a batch pre-label runs: prompts have their own worker lane (thread), the batch
yields between images while a click computes, both lanes stop when the window closes.

The batch model is a tiny ONNX semantic model (built here with onnx.helper, no torch) whose
`segment` is made deliberately slow: it blocks until the test releases it, so "the batch is
still running" is a fact the test controls, not a race against a clock."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from segstudio.store import Project
from tests.qt.conftest import click

N_IMAGES = 6


class Blocker:
    """Holds callers until released; a cancelled caller leaves at once (as real jobs do)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.entered = 0
        self.left = 0

    def hold(self, cancel) -> None:
        with self._lock:
            self.entered += 1
        try:
            while not self.release.wait(0.02):
                if cancel is not None:
                    cancel.check()
        finally:
            with self._lock:
                self.left += 1


class SlowSegmenter:
    """An image segmenter that blocks in every `segment` call until its Blocker is released."""

    def __init__(self, inner, blocker: Blocker) -> None:
        self.inner, self.blocker = inner, blocker
        self.model_id = inner.model_id

    def segment(self, rgb, cancel=None, progress=None):
        self.blocker.hold(cancel)
        return self.inner.segment(rgb, cancel, progress)


class SlowPrompts:
    """A prompt segmenter whose `predict` blocks until released (for the shutdown test)."""

    def __init__(self, inner, blocker: Blocker) -> None:
        self.inner, self.blocker = inner, blocker
        self.model_id = inner.model_id

    def set_image(self, rgb, cancel=None, progress=None):
        return self.inner.set_image(rgb, cancel, progress)

    def predict(self, prompt, cancel=None):
        self.blocker.hold(cancel)
        return self.inner.predict(prompt, cancel)


@pytest.fixture
def project_dir(tmp_path):
    """Several small images, each with a bright blue square at (10..30, 10..30)."""
    root = tmp_path / "proj"
    (root / "img").mkdir(parents=True)
    rng = np.random.default_rng(2)
    for k in range(N_IMAGES):
        img = np.full((60, 80, 3), 30 + 15 * k, np.uint8)
        img[10:30, 10:30] = (220, 40, 40)  # BGR: blue
        img += rng.integers(0, 3, img.shape, dtype=np.uint8)
        cv2.imwrite(str(root / "img" / f"im{k}.png"), img)
    with Project.create(root) as p:
        p.add_folder(root / "img")
        p.add_category("cat", (230, 120, 40))
    return root


def _blue_onnx(path) -> None:
    """[1,3,h,w] in [0,1] -> [1,2,h,w] logits: class 1 where blue > 0.5."""
    import onnx
    from onnx import TensorProto, helper

    def const(name, values, dtype=TensorProto.INT64):
        return helper.make_node("Constant", [], [name], value=helper.make_tensor(name, dtype, [len(values)], values))

    nodes = [
        const("s", [2]), const("e", [3]), const("ax", [1]),
        helper.make_node("Constant", [], ["half"], value=helper.make_tensor("half", TensorProto.FLOAT, [], [0.5])),
        helper.make_node("Slice", ["x", "s", "e", "ax"], ["blue"]),
        helper.make_node("Sub", ["blue", "half"], ["fg"]),
        helper.make_node("Neg", ["fg"], ["bg"]),
        helper.make_node("Concat", ["bg", "fg"], ["y"], axis=1),
    ]
    graph = helper.make_graph(
        nodes, "blue",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "h", "w"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, "h", "w"])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


@pytest.fixture
def slow(tmp_path, monkeypatch):
    """A user models folder with the card 'slow-blue'; loading it (or grabcut-plain, when
    `prompts` is set) wraps the real model in a blocking one."""
    from segstudio.inference import registry

    d = tmp_path / "models"
    d.mkdir()
    _blue_onnx(d / "blue.onnx")
    (d / "blue.yaml").write_text("id: slow-blue\nkind: semantic\nfiles: {model: blue.onnx}\n"
                                 "normalization: {scale: 255}\nclass_names: [background, apple]\n"
                                 "background: [background]\n")
    monkeypatch.setenv("SEGSTUDIO_MODELS", str(d))
    state = type("Slow", (), {})()
    state.batch, state.prompts, state.block_prompts = Blocker(), Blocker(), False
    state.loaded = []
    real_load = registry.load

    def load(card):
        model = real_load(card)
        state.loaded.append((card.id, threading.get_ident(), model))
        if card.id == "slow-blue":
            return SlowSegmenter(model, state.batch)
        if card.id == "grabcut-plain" and state.block_prompts:
            return SlowPrompts(model, state.prompts)
        return model

    monkeypatch.setattr(registry, "load", load)
    yield state
    state.batch.release.set()  # never leave a job blocked behind a failed assertion
    state.prompts.release.set()


@pytest.fixture
def assist(window, slow):
    from segstudio.qt.features.assist import install

    install(window)
    yield window.features.assist
    slow.batch.release.set()
    window.worker.wait(30000)
    if window.features.assist.dialog is not None:
        window.features.assist.dialog.close()


def _start_batch(qtbot, assist):
    dlg = assist.show_batch()
    dlg.model.setCurrentIndex(dlg.model.findData("slow-blue"))
    dlg.scope_buttons["all"].setChecked(True)
    dlg.resume.setChecked(False)
    qtbot.mouseClick(dlg.start_button, Qt.MouseButton.LeftButton)
    return dlg


def _square_iou(mask):
    gt = np.zeros(mask.shape, bool)
    gt[10:30, 10:30] = True
    return np.count_nonzero(mask & gt) / max(1, np.count_nonzero(mask | gt))


def test_click_gets_a_proposal_while_the_batch_runs(qtbot, window, assist, slow):
    c = assist.controller
    c.set_model("grabcut-plain")
    dlg = _start_batch(qtbot, assist)
    qtbot.waitUntil(lambda: slow.batch.entered == 1, timeout=30000)  # inside image 1 of 6

    # the user goes back to the main window (the batch dialog stays open) and presses I
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_I)
    assert window.canvas.tool is c.click_tool
    doc = window.current_document()
    click(window.canvas, 20, 20)
    qtbot.waitUntil(lambda: doc.proposal is not None, timeout=30000)

    # the proposal came while the batch was still inside its first image
    assert dlg.job_id is not None and slow.batch.left == 0
    assert doc.proposal.model_id == "grabcut-plain" and _square_iou(doc.proposal.mask.to_full()) > 0.8
    assert {r.status for r in window.project.images()} == {"new"}
    # the click's model and the batch's model are separate objects used on separate threads
    threads = {cid: tid for cid, tid, _ in slow.loaded}
    assert threads["grabcut-plain"] != threads["slow-blue"]

    slow.batch.release.set()
    qtbot.waitUntil(lambda: dlg.job_id is None, timeout=60000)
    assert f"Done: {N_IMAGES} images" in dlg.info.text()
    assert {r.status for r in window.project.images()} == {"prelabelled"}
    qtbot.waitUntil(lambda: not window.worker.busy(), timeout=30000)


def test_batch_waits_before_its_next_image_while_a_click_computes(qtbot, window, assist, slow):
    from segstudio.qt.assist.batch import YieldingSegmenter
    from segstudio.qt.assist.controller import LANE

    worker = window.worker
    order: list[str] = []

    class Recorder:
        model_id = "recorder"

        def segment(self, rgb, cancel=None, progress=None):
            order.append("batch image")
            return None

    def click_job(cancel, progress):
        slow.prompts.hold(cancel)
        order.append("click done")

    yielding = YieldingSegmenter(Recorder(), worker.gate, max_wait=600)
    worker.add_lane(LANE, ["test-click"])  # joins the prompts' lane
    worker.submit("test-click", click_job)
    qtbot.waitUntil(lambda: worker.gate.active == 1, timeout=30000)
    worker.submit("batch-step", lambda cancel, progress: yielding.segment(np.zeros((4, 4, 3), np.uint8), cancel))
    qtbot.waitUntil(lambda: worker.gate.waiting == 1, timeout=30000)
    assert order == []  # the batch thread is parked at the gate, not in the model
    slow.prompts.release.set()
    qtbot.waitUntil(lambda: not worker.busy(), timeout=30000)
    assert order == ["click done", "batch image"]


def test_latest_click_wins_and_a_prompt_error_is_reported_during_a_batch(qtbot, window, assist, slow):
    c = assist.controller
    c.set_model("grabcut-plain")
    dlg = _start_batch(qtbot, assist)
    qtbot.waitUntil(lambda: slow.batch.entered == 1, timeout=30000)
    c.activate_tool("ai_click")
    doc = window.current_document()
    shown = []
    doc.proposal_changed.connect(lambda p: shown.append(p) if p is not None else None)
    click(window.canvas, 20, 20)
    click(window.canvas, 24, 22)  # supersedes the first before (or while) it runs
    qtbot.waitUntil(lambda: doc.proposal is not None, timeout=30000)
    qtbot.waitUntil(lambda: not window.worker.gate.active, timeout=30000)
    # only the answer to the latest prompt (two clicks) was ever shown
    assert [len(p.prompt["clicks"]) for p in shown] == [2]

    # a failing prompt model: the error is shown, the batch keeps running
    def broken(cancel, progress):
        raise RuntimeError("decoder exploded")

    window.worker.submit("assist-predict", broken)
    qtbot.waitUntil(lambda: "decoder exploded" in window.statusBar().currentMessage(), timeout=30000)
    assert dlg.job_id is not None and slow.batch.left == 0
    slow.batch.release.set()
    qtbot.waitUntil(lambda: dlg.job_id is None, timeout=60000)
    assert f"Done: {N_IMAGES} images" in dlg.info.text()


def test_closing_the_window_stops_the_batch_and_a_running_click(qtbot, window, assist, slow, project_dir):
    c = assist.controller
    slow.block_prompts = True
    c.set_model("grabcut-plain")
    dlg = _start_batch(qtbot, assist)
    qtbot.waitUntil(lambda: slow.batch.entered == 1, timeout=30000)
    c.activate_tool("ai_click")
    click(window.canvas, 20, 20)
    qtbot.waitUntil(lambda: slow.prompts.entered == 1, timeout=30000)
    assert window.worker.gate.active == 1 and dlg.job_id is not None

    window.close()  # neither blocker is released: only cancellation ends the two jobs

    assert slow.batch.left == 1 and slow.prompts.left == 1
    assert not window.worker.busy() and window.worker.wait(0)
    with Project.open(project_dir) as p:  # the cancelled run is kept for a later resume
        assert p.conn.execute("SELECT status FROM model_runs").fetchone()[0] == "cancelled"
