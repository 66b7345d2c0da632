"""SAM-family click models in the window: the embedding starts when an image opens (no tool
needed), the window says "preparing … N s" while it runs, a click made meanwhile is queued and
answered once it is ready, and the next image's embedding is prefetched."""

from __future__ import annotations

import time

import pytest

from tests.qt.conftest import click

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")


@pytest.fixture
def sam2_model(tmp_path, monkeypatch):
    from segstudio.inference.install import add_local
    from tests.unit.inference.tiny_layouts import export_tiny_sam2

    models = tmp_path / "models"
    monkeypatch.setenv("SEGSTUDIO_MODELS", str(models))
    monkeypatch.setenv("SEGSTUDIO_EMBEDDING_CACHE", str(tmp_path / "emb"))
    enc, dec = export_tiny_sam2(tmp_path / "src")
    add_local(enc, dec, model_id="tiny-sam2", name="Tiny SAM 2")
    from segstudio.inference.sam_layouts import Sam2Onnx

    encode = Sam2Onnx._encode
    calls = []

    def slow_encode(self, rgb):  # a real encoder takes seconds: make the wait visible
        calls.append(rgb.shape)
        time.sleep(1.3)
        return encode(self, rgb)

    monkeypatch.setattr(Sam2Onnx, "_encode", slow_encode)
    return calls


def test_embedding_starts_on_open_and_a_click_waits_for_it(qtbot, window, sam2_model):
    from segstudio.qt.features.assist import install

    calls = sam2_model
    install(window)
    feature = window.features.assist
    c = feature.controller
    texts = []
    c.preparing.connect(texts.append)
    c.set_model("tiny-sam2")  # no tool active: the embedding starts anyway
    qtbot.waitUntil(lambda: bool(texts), timeout=10000)
    assert texts[0].startswith("preparing Tiny SAM 2 for this image…") and texts[0].endswith(" s")
    assert "preparing Tiny SAM 2" in feature.picker.state.text()
    c.activate_tool("ai_click")
    click(window.canvas, 20, 20)  # made while the embedding runs: queued, then answered
    assert window.current_document().proposal is None
    qtbot.waitUntil(lambda: window.current_document().proposal is not None, timeout=20000)
    assert window.current_document().proposal.model_id == "tiny-sam2"
    qtbot.waitUntil(lambda: not window.worker.busy(), timeout=20000)
    assert "" in texts and feature.picker.state.text() != texts[0]
    # current image once, and the next image prefetched in the background
    assert len(calls) == 2
    window.worker.wait(20000)
