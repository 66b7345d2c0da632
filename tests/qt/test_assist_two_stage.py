"""Two-stage click models (the built-in one: GrabCut at once, zoomed saliency ~0.3 s later): the
quick answer is shown at once, the better one replaces it, and an answer that arrives after the
user accepted or moved on is dropped.  The model here is a scripted stand-in whose slow stage
waits for the test, so the order of events is the test's, not the clock's."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt

from segstudio.inference.base import PromptResult
from segstudio.qt.assist.controller import LANE
from tests.qt.conftest import click


class ScriptedTwoStage:
    """Fast stage: a 6 px square at the click; slow stage: the 20 px square of the fixture."""

    model_id = "scripted"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.refined_calls = 0
        self.shape = (0, 0)

    def set_image(self, rgb, cancel=None, progress=None):
        self.shape = rgb.shape[:2]

    def predict_fast(self, prompt, cancel=None):
        m = np.zeros(self.shape, bool)
        c = prompt.clicks[-1]
        m[int(c.y) - 3 : int(c.y) + 3, int(c.x) - 3 : int(c.x) + 3] = True
        return PromptResult(m, 0.5)

    def predict_refined(self, prompt, fast, cancel=None):
        self.refined_calls += 1
        while not self.release.wait(0.02):
            if cancel is not None:
                cancel.check()
        m = np.zeros(self.shape, bool)
        m[10:30, 10:30] = True
        return PromptResult(m, 0.9)

    def predict(self, prompt, cancel=None):
        return self.predict_refined(prompt, self.predict_fast(prompt, cancel).mask, cancel)


@pytest.fixture
def scripted(window):
    from segstudio.qt.features.assist import install

    install(window)
    c = window.features.assist.controller
    c.set_model("grabcut-plain")
    model = ScriptedTwoStage()
    c.host._models[(LANE, "grabcut-plain")] = model  # the card's model object, already loaded
    c.activate_tool("ai_click")
    yield c, model
    model.release.set()
    window.worker.wait(30000)


def test_quick_answer_first_then_the_better_one(qtbot, window, scripted):
    c, model = scripted
    doc = window.current_document()
    click(window.canvas, 20, 20)
    qtbot.waitUntil(lambda: doc.proposal is not None, timeout=30000)
    quick = doc.proposal.mask.to_full()
    assert quick.sum() == 36  # the fast stage, shown while the slow one is still running
    qtbot.waitUntil(lambda: model.refined_calls == 1, timeout=30000)
    model.release.set()
    qtbot.waitUntil(lambda: doc.proposal is not None and doc.proposal.mask.area == 400, timeout=30000)
    assert doc.proposal.score == pytest.approx(0.9)
    assert c.click_tool.prev_mask.sum() == 400  # the next click refines the better answer


def test_accepting_the_quick_answer_drops_the_late_one(qtbot, window, scripted):
    c, model = scripted
    doc = window.current_document()
    click(window.canvas, 20, 20)
    qtbot.waitUntil(lambda: doc.proposal is not None and model.refined_calls == 1, timeout=30000)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)  # accept before the slow stage answers
    assert doc.proposal is None and len(doc.instances) == 1
    model.release.set()
    qtbot.waitUntil(lambda: not window.worker.busy(), timeout=30000)
    qtbot.wait(50)  # let any late result reach the GUI thread
    assert doc.proposal is None
    assert len(doc.instances) == 1 and doc.instances[0].mask.area == 36
