"""Model ▸ Get Models…: install from a catalogue served on 127.0.0.1, the new model becomes the
click model and answers a real click on the canvas; a failing download says why in one line
and installs nothing."""

from __future__ import annotations

import hashlib

import pytest
from PySide6.QtCore import Qt

from tests.qt.conftest import click
from tests.unit.inference.model_server import ModelServer

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")


@pytest.fixture
def catalogue_site(tmp_path, monkeypatch):
    from tests.unit.inference.tiny_layouts import export_tiny_sam2

    for var in ("HTTP_PROXY", "http_proxy", "SEGSTUDIO_MODEL_MIRROR"):
        monkeypatch.delenv(var, raising=False)
    models = tmp_path / "models"
    monkeypatch.setenv("SEGSTUDIO_MODELS", str(models))
    enc, dec = (p.read_bytes() for p in export_tiny_sam2(tmp_path / "src"))
    with ModelServer() as server:
        server.files["/e.onnx"], server.files["/d.onnx"] = enc, dec

        def entry(mid, dec_path):
            return (f"  - id: {mid}\n    name: Tiny SAM 2 {mid}\n    layout: sam2\n    licence: Apache-2.0\n"
                    "    expected_cpu: {encoder_s: 2.5, click_ms: 70, basis: estimate}\n"
                    "    prompts: [points, box]\n    files:\n"
                    f"      encoder: {{url: '{server.url}/e.onnx', size: {len(enc)}, "
                    f"sha256: '{hashlib.sha256(enc).hexdigest()}'}}\n"
                    f"      decoder: {{url: '{server.url}{dec_path}', size: {len(dec)}, "
                    f"sha256: '{hashlib.sha256(dec).hexdigest()}'}}\n")

        cat = tmp_path / "cat.yaml"
        cat.write_text("models:\n" + entry("tiny-sam2", "/d.onnx") + entry("missing", "/gone.onnx"))
        monkeypatch.setenv("SEGSTUDIO_MODEL_CATALOGUE", str(cat))
        yield server, models


def test_install_from_the_dialog_then_click(qtbot, window, catalogue_site):
    from segstudio.qt.features.assist import install

    _, models = catalogue_site
    install(window)
    feature = window.features.assist
    # from the AI Assist panel, where a model is chosen: the panel's button, then Install
    qtbot.mouseClick(feature.picker.get_models_button, Qt.MouseButton.LeftButton)
    dialog = feature.get_models_dialog
    assert dialog is not None and dialog.isVisible() and dialog.table.rowCount() == 2
    assert dialog.table.item(0, 3).text() == "~2.5 s/image, 70 ms/click"
    qtbot.mouseClick(dialog.buttons["tiny-sam2"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=30000)
    assert "installed" in dialog.status.text()
    assert (models / "tiny-sam2" / "segstudio-model.yaml").is_file()
    assert dialog.buttons["tiny-sam2"].text() == "Remove"
    c = feature.controller
    assert c.card.id == "tiny-sam2"  # the new model answers clicks now
    assert feature.picker.combo.currentData() == "tiny-sam2"
    # a real click on the canvas goes through the SAM 2 layout
    c.host.model(c.card).size = 64  # the tiny model's input side (the encoder is 64x64)
    c.activate_tool("ai_click")
    click(window.canvas, 15, 15)
    qtbot.waitUntil(lambda: window.current_document().proposal is not None, timeout=30000)
    proposal = window.current_document().proposal
    assert proposal.model_id == "tiny-sam2" and proposal.mask.to_full().shape == (60, 80)
    qtbot.waitUntil(lambda: not window.worker.busy(), timeout=30000)
    # a 404 is one line in the dialog, and nothing is installed
    qtbot.mouseClick(dialog.buttons["missing"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=30000)
    assert "HTTP 404" in dialog.status.text() and "\n" not in dialog.status.text()
    assert not (models / "missing").exists()
    dialog.close()


def test_cancel_keeps_a_partial_file_and_resume_finishes(qtbot, window, catalogue_site):
    from segstudio.qt.features.assist import install

    server, models = catalogue_site
    install(window)
    dialog = window.features.assist.show_get_models()
    server.truncate["/e.onnx"] = 1000  # the first attempt stops after 1000 bytes
    qtbot.mouseClick(dialog.buttons["tiny-sam2"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=30000)
    assert "resume" in dialog.status.text()
    assert dialog.buttons["tiny-sam2"].text() == "Resume"
    assert not (models / "tiny-sam2").exists()
    del server.truncate["/e.onnx"]
    qtbot.mouseClick(dialog.buttons["tiny-sam2"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=30000)
    assert ("/e.onnx", "bytes=1000-") in server.requests
    assert dialog.buttons["tiny-sam2"].text() == "Remove"
    qtbot.mouseClick(dialog.buttons["tiny-sam2"], Qt.MouseButton.LeftButton)
    assert not (models / "tiny-sam2").exists()
    assert window.features.assist.controller.card.id != "tiny-sam2"
    dialog.close()
