"""The shipped catalogue, malformed catalogues, `models add` of files the user already has, and
the `segstudio models available|pull|remove|add` commands (against a loopback server)."""

from __future__ import annotations

import json

import pytest

from segstudio.cli.main import main
from segstudio.inference import registry
from segstudio.inference.base import ModelError
from segstudio.inference.catalogue import LAYOUTS, load_catalogue

PERMISSIVE = {"Apache-2.0", "MIT", "BSD-2-Clause", "BSD-3-Clause"}


def test_the_shipped_catalogue_has_the_models_the_issue_names():
    cat = load_catalogue()
    assert cat.problems == []
    ids = {e.id for e in cat.entries}
    assert {"sam-vit-b", "sam-vit-l", "sam-vit-b-quant", "sam-vit-l-quant", "sam-vit-h-quant", "mobile-sam",
            "efficientsam-vitt", "efficientsam-vits", "sam2.1-tiny", "sam2.1-small"} <= ids
    assert {e.layout for e in cat.entries} == set(LAYOUTS)
    for e in cat.entries:
        assert e.licence in PERMISSIVE, e.id
        assert e.source_page.startswith("https://") and e.encoder_s and e.click_ms and e.cost_basis
        for f in (*e.files, *([e.archive] if e.archive else [])):
            assert f.algorithm == "sha256" and len(f.digest) == 64, (e.id, f.role)
            assert f.checksum_source and f.size_source, (e.id, f.role)
            assert f.expected_bytes > 1_000_000
        assert len({f.name for f in e.files}) == 2


def test_a_malformed_entry_is_reported_and_the_others_stay(tmp_path):
    good = load_catalogue().entries[0]
    path = tmp_path / "cat.yaml"
    path.write_text(
        "models:\n"
        "  - {id: no-files, layout: sam}\n"
        "  - {id: bad-layout, layout: yolo, files: {}}\n"
        f"  - id: {good.id}\n    layout: sam\n    files:\n"
        f"      encoder: {{url: '{good.files[0].url}', size: 5, sha256: '{good.files[0].digest}'}}\n"
        f"      decoder: {{url: 'ftp://x/y.onnx', size: 5, sha256: '{good.files[1].digest}'}}\n"
        "  - id: ok\n    layout: sam2\n    files:\n"
        f"      encoder: {{url: 'https://e.invalid/a.onnx', approx_size: 5, md5: '{'a' * 32}'}}\n"
        f"      decoder: {{url: 'https://e.invalid/b.onnx', size: 5, sha256: '{'b' * 64}'}}\n"
    )
    cat = load_catalogue(path)
    assert [e.id for e in cat.entries] == ["ok"]
    assert cat.entries[0].files[0].algorithm == "md5"
    text = "\n".join(cat.problems)
    assert "'no-files'" in text and "'bad-layout'" in text and "url must be http(s)" in text
    with pytest.raises(ModelError, match="not in the model catalogue"):
        cat.get("no-files")
    path.write_text("models: 3\n")
    with pytest.raises(ModelError, match="cat.yaml"):
        load_catalogue(path)


@pytest.mark.parametrize("layout", ["sam", "efficientsam", "sam2"])
def test_add_installs_a_pair_offline_and_detects_its_layout(tmp_path, monkeypatch, request, layout):
    pytest.importorskip("onnxruntime")
    enc, dec = request.getfixturevalue({"sam": "tiny_sam", "efficientsam": "tiny_efficientsam",
                                        "sam2": "tiny_sam2"}[layout])
    models = tmp_path / "models"
    monkeypatch.setenv("SEGSTUDIO_MODELS", str(models))
    assert main(["models", "add", str(enc), str(dec), "--id", f"my-{layout}", "--licence", "MIT"]) == 0
    card = registry.find(f"my-{layout}", user_dir=models)
    assert card.options["layout"] == layout and card.licence == "MIT"
    assert type(registry.load(card)).__name__ == {"sam": "SamOnnx", "efficientsam": "EfficientSamOnnx",
                                                  "sam2": "Sam2Onnx"}[layout]
    assert main(["models", "remove", f"my-{layout}"]) == 0
    assert not (models / f"my-{layout}").exists()


def test_add_refuses_a_wrong_pair_and_installs_nothing(tmp_path, monkeypatch, capsys, tiny_sam, tiny_sam2):
    pytest.importorskip("onnxruntime")
    models = tmp_path / "models"
    monkeypatch.setenv("SEGSTUDIO_MODELS", str(models))
    enc, _ = tiny_sam
    _, dec2 = tiny_sam2
    # a SAM-1 encoder with a SAM 2 decoder: the SAM 2 layout wants the high-res features
    assert main(["models", "add", str(enc), str(dec2), "--id", "mixed"]) != 0
    err = capsys.readouterr().err
    assert "not a SAM 2 encoder" in err and len(err.strip().splitlines()) == 1
    assert main(["models", "add", str(tmp_path / "nope.onnx"), str(dec2)]) != 0
    assert "nope.onnx: file not found" in capsys.readouterr().err
    assert not models.exists() or [p.name for p in models.iterdir()] == []


def test_cli_available_pull_remove(tmp_path, monkeypatch, capsys, tiny_efficientsam):
    import hashlib

    from tests.unit.inference.model_server import ModelServer

    for var in ("HTTP_PROXY", "http_proxy", "SEGSTUDIO_MODEL_MIRROR"):
        monkeypatch.delenv(var, raising=False)
    models = tmp_path / "models"
    monkeypatch.setenv("SEGSTUDIO_MODELS", str(models))
    enc, dec = (p.read_bytes() for p in tiny_efficientsam)
    with ModelServer() as server:
        server.files["/e.onnx"], server.files["/d.onnx"] = enc, dec
        cat = tmp_path / "cat.yaml"
        cat.write_text(
            "models:\n  - id: tiny-eff\n    name: Tiny EfficientSAM\n    layout: efficientsam\n"
            "    licence: Apache-2.0\n    expected_cpu: {encoder_s: 1.5, click_ms: 80, basis: estimate}\n"
            "    files:\n"
            f"      encoder: {{url: '{server.url}/e.onnx', size: {len(enc)}, sha256: '{hashlib.sha256(enc).hexdigest()}'}}\n"
            f"      decoder: {{url: '{server.url}/d.onnx', size: {len(dec)}, sha256: '{hashlib.sha256(dec).hexdigest()}'}}\n"
            "  - id: gone\n    layout: sam\n    licence: MIT\n    files:\n"
            f"      encoder: {{url: '{server.url}/x.onnx', size: 10, sha256: '{'a' * 64}'}}\n"
            f"      decoder: {{url: '{server.url}/y.onnx', size: 10, sha256: '{'b' * 64}'}}\n")
        monkeypatch.setenv("SEGSTUDIO_MODEL_CATALOGUE", str(cat))
        assert main(["models", "available", "--json"]) == 0
        rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
        assert rows["tiny-eff"]["installed"] is False and rows["tiny-eff"]["download_bytes"] == len(enc) + len(dec)
        assert main(["models", "pull", "tiny-eff"]) == 0
        out, err = capsys.readouterr()
        assert "tiny-eff: installed" in out and "of " in err  # progress: bytes of total
        assert main(["models", "available"]) == 0
        line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("tiny-eff"))
        assert "installed" in line and "~1.5 s/image" in line and "Apache-2.0" in line
        assert main(["models", "--json"]) == 0
        assert any(c["id"] == "tiny-eff" and c["layout"] == "efficientsam"
                   for c in json.loads(capsys.readouterr().out))
        assert main(["models", "pull", "gone"]) == 2
        err = capsys.readouterr().err
        assert "HTTP 404" in err and len(err.strip().splitlines()) == 1
        assert main(["models", "available", "--urls"]) == 0
        assert f"{server.url}/e.onnx\tMIRROR/tiny-eff/e.onnx" in capsys.readouterr().out
        assert main(["models", "remove", "tiny-eff"]) == 0
        assert not (models / "tiny-eff").exists()
        assert main(["models", "pull", "nothing-like-it"]) == 2
        assert "not in the model catalogue" in capsys.readouterr().err
