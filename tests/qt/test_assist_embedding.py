"""SAM-family click models in the window: the embedding starts when an image opens (no tool
needed), the window says "preparing … N s" while it runs, a click made meanwhile is queued and
answered once it is ready, and the next image's embedding is prefetched."""

from __future__ import annotations

import time

import pytest

from tests.qt.conftest import click

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")


def install_slow_sam2(tmp_path, monkeypatch, model_id="tiny-sam2"):
    """A tiny SAM 2 pair installed as `model_id`, its encoder slowed to 1.3 s per image."""
    from segstudio.inference.install import add_local
    from tests.unit.inference.tiny_layouts import export_tiny_sam2

    models = tmp_path / "models"
    monkeypatch.setenv("SEGSTUDIO_MODELS", str(models))
    monkeypatch.setenv("SEGSTUDIO_EMBEDDING_CACHE", str(tmp_path / "emb"))
    enc, dec = export_tiny_sam2(tmp_path / "src")
    add_local(enc, dec, model_id=model_id, name="Tiny SAM 2")
    from segstudio.inference.sam_layouts import Sam2Onnx

    encode = Sam2Onnx._encode
    calls = []

    def slow_encode(self, rgb):  # a real encoder takes seconds: make the wait visible
        calls.append(rgb.shape)
        time.sleep(1.3)
        return encode(self, rgb)

    monkeypatch.setattr(Sam2Onnx, "_encode", slow_encode)
    return calls


@pytest.fixture
def sam2_model(tmp_path, monkeypatch):
    return install_slow_sam2(tmp_path, monkeypatch)


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


def _watch_preparing(window, model_id):
    """Install the assist feature, choose `model_id` and record the panel while it prepares:
    texts, and (percent, bar visible, bar maximum) as each estimate arrives."""
    from segstudio.qt.features.assist import install

    install(window)
    feature = window.features.assist
    c = feature.controller
    bar = feature.picker.preparing_bar
    texts, percents = [], []
    c.preparing.connect(texts.append)
    c.preparing_percent.connect(lambda p: percents.append((p, bar.isVisible(), bar.maximum())))
    c.set_model(model_id)
    return feature, texts, percents


def test_preparing_shows_progress_against_the_catalogue_estimate(qtbot, window, tmp_path, monkeypatch):
    """No embedding measured yet for a catalogue model: the estimate is the catalogue's
    expected_cpu (sam2.1-tiny: 2.5 s); once done the measured time is remembered instead."""
    from segstudio.qt.assist.embed_estimate import EmbeddingEstimates

    install_slow_sam2(tmp_path, monkeypatch, model_id="sam2.1-tiny")
    assert EmbeddingEstimates().expected("sam2.1-tiny") == 2.5
    feature, texts, percents = _watch_preparing(window, "sam2.1-tiny")
    qtbot.waitUntil(lambda: "" in texts, timeout=20000)
    shown = [t for t in texts if t]
    assert shown and all(t.startswith("preparing Tiny SAM 2 for this image…") for t in shown)
    assert all(t.endswith(" s of ~2.5 s") for t in shown), shown
    assert percents and all(0 <= p <= 95 and visible and top == 100 for p, visible, top in percents)
    assert [p for p, _, _ in percents] == sorted(p for p, _, _ in percents)  # it only moves forward
    assert not feature.picker.preparing_bar.isVisible()
    assert feature.picker.state.text() == "model ready for this image"
    measured = EmbeddingEstimates().expected("sam2.1-tiny")  # read back from the settings file
    assert measured != 2.5 and measured >= 1.3
    window.worker.wait(20000)


def test_preparing_uses_the_remembered_time_and_never_claims_done_early(qtbot, window, tmp_path, monkeypatch):
    """A remembered time (settings, i.e. an earlier session) that the encoder overruns: the bar
    stops at 95 %, the text says how far over it is, and the new measurement replaces it."""
    from segstudio.qt.assist.embed_estimate import EmbeddingEstimates
    from segstudio.qt.settings import app_settings

    install_slow_sam2(tmp_path, monkeypatch)
    app_settings().setValue("assist/embedding_seconds/tiny-sam2", 0.5)
    assert EmbeddingEstimates().expected("tiny-sam2") == 0.5
    feature, texts, percents = _watch_preparing(window, "tiny-sam2")
    qtbot.waitUntil(lambda: "" in texts, timeout=20000)
    shown = [t for t in texts if t]
    assert shown and all(t.endswith(" s of ~0.5 s") for t in shown), shown
    assert "preparing Tiny SAM 2 for this image… 1 s of ~0.5 s" in shown  # past the estimate
    values = [p for p, _, _ in percents]
    assert max(values) == 95 and values.count(95) >= 2  # held below 100 % until really done
    assert not feature.picker.preparing_bar.isVisible()
    assert EmbeddingEstimates().expected("tiny-sam2") >= 1.3
    window.worker.wait(20000)


def test_a_model_with_no_estimate_gets_a_busy_bar_and_elapsed_seconds(qtbot, window, sam2_model):
    feature, texts, percents = _watch_preparing(window, "tiny-sam2")
    qtbot.waitUntil(lambda: "" in texts, timeout=20000)
    shown = [t for t in texts if t]
    assert shown and all(t.endswith(" s") and " of ~" not in t for t in shown), shown
    assert percents and all(p == -1 and visible and top == 0 for p, visible, top in percents)
    window.worker.wait(20000)


def test_preparing_state_text_and_percent():
    from segstudio.qt.assist.embed_estimate import preparing_state

    assert preparing_state("SAM", 3.2, 5.0).text == "preparing SAM for this image… 3 s of ~5 s"
    assert preparing_state("SAM", 3.2, 5.0).percent == 64
    assert preparing_state("SAM", 9.0, 5.0).percent == 95
    assert preparing_state("SAM", 0.4, 1.3).text.endswith("0 s of ~1.3 s")
    assert preparing_state("SAM", 1.0, 2.5).text.endswith("1 s of ~2.5 s")
    assert preparing_state("SAM", 1.0, 16.5).text.endswith("1 s of ~17 s")
    state = preparing_state("SAM", 2.0, None)
    assert state.text == "preparing SAM for this image… 2 s" and state.percent is None
