"""Model cards, AnyLabeling configs and the registry."""

from __future__ import annotations

import json
import re

import pytest

from segstudio.inference import registry
from segstudio.inference.base import ModelError
from segstudio.inference.cards import parse_card, user_models_dir


def test_builtin_cards_are_listed(tmp_path):
    cards, problems = registry.discover(user_dir=tmp_path)
    ids = [c.id for c in cards]
    assert ids[:4] == ["grabcut-interactive", "grabcut-plain", "clicknet", "u2netp-salient"] and not problems
    click = registry.find("clicknet", user_dir=tmp_path)
    assert click.is_prompt and click.framework == "clicknet" and click.file("model").is_file()
    assert "CC BY 4.0" in click.licence
    sal = registry.find("u2netp-salient", user_dir=tmp_path)
    assert sal.kind == "salient" and sal.files["weights"].is_file() and sal.scale == 0.0
    assert "Apache" in sal.licence


def test_yaml_and_json_cards(tmp_path):
    (tmp_path / "a.yaml").write_text(
        "id: roads\nkind: semantic\nframework: onnx\nfiles: {model: r.onnx}\ninput_size: 256\n"
        "normalization: {mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2]}\nclass_names: [bg, road]\n"
    )
    (tmp_path / "b.json").write_text(json.dumps(
        {"id": "cars", "kind": "yolo-seg", "files": "c.onnx", "classes": {"1": "truck", "0": "car"}}))
    a = parse_card(tmp_path / "a.yaml")
    assert a.input_size == (256, 256) and a.scale == 255.0 and a.mean == (0.5, 0.5, 0.5)
    assert a.files["model"] == tmp_path / "r.onnx"
    b = parse_card(tmp_path / "b.json")
    assert b.class_names == ("car", "truck") and b.framework == "onnx"
    cards, _ = registry.discover(user_dir=tmp_path)
    assert {"roads", "cars"} <= {c.id for c in cards}
    with pytest.raises(ModelError, match="r.onnx.*not found"):
        a.file("model")


@pytest.mark.parametrize(
    "text, match",
    [
        ("id: x\nkind: wizard\n", "unknown kind"),
        ("kind: semantic\n", "needs a string 'id'"),
        ("id: x\nkind: semantic\nframework: tflite\n", "unknown framework"),
        ("id: x\nkind: semantic\nnormalization: {mean: [1, 2]}\n", "three numbers"),
        ("[1, 2, 3]\n", "must be a mapping"),
        ("id: [unclosed\n", "malformed"),
        ("type: yolov8\nname: det\nmodel_path: d.onnx\n", "not supported"),
    ],
)
def test_bad_cards_name_the_file(tmp_path, text, match):
    p = tmp_path / "broken.yaml"
    p.write_text(text)
    with pytest.raises(ModelError, match=match) as info:
        parse_card(p)
    assert "broken.yaml" in str(info.value)


def test_discover_reports_broken_cards_and_keeps_the_rest(tmp_path):
    (tmp_path / "bad.yaml").write_text("id: x\nkind: nope\n")
    cards, problems = registry.discover(user_dir=tmp_path)
    assert "u2netp-salient" in {c.id for c in cards}
    assert len(problems) == 1 and "bad.yaml" in problems[0]
    with pytest.raises(ModelError, match="unknown model 'missing'.*bad.yaml"):
        registry.find("missing", user_dir=tmp_path)


def test_user_models_dir_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SEGSTUDIO_MODELS", str(tmp_path))
    assert user_models_dir() == tmp_path


@pytest.mark.parametrize(
    "field, match",
    [
        ("normalization: {mean: 5}", "'mean' must be three numbers"),
        ("normalization: {mean: '123'}", "'mean' must be three numbers"),
        ("normalization: {std: [1, 0, 1]}", "'std' must not contain 0"),
        ("normalization: {scale: fast}", "'scale' must be a positive number"),
        ("background: 5", "'background' must be a list"),
        ("background: [1, 2]", "'background' must be a list"),
        ("input_size: [0, 10]", "'input_size' must be two sizes"),
        ("input_size: [1e400, 3]", "'input_size'"),
    ],
)
def test_one_malformed_card_is_listed_broken_and_every_other_card_works(tmp_path, field, match):
    """Issue 21.6: a user card with a value of the wrong type crashed `discover` (TypeError),
    which took every model down, the built-in ones included."""
    (tmp_path / "bad.yaml").write_text(f"id: bad\nkind: salient\n{field}\n")
    (tmp_path / "good.yaml").write_text("id: good\nkind: semantic\nfiles: {model: g.onnx}\n")
    cards, problems = registry.discover(user_dir=tmp_path)
    assert {"grabcut-interactive", "u2netp-salient", "good"} <= {c.id for c in cards}
    assert "bad" not in {c.id for c in cards}
    assert len(problems) == 1 and "\n" not in problems[0]
    assert problems[0].startswith(str(tmp_path / "bad.yaml")) and re.search(match, problems[0])
    assert registry.find("u2netp-salient", user_dir=tmp_path).id == "u2netp-salient"


def test_an_unforeseen_wrong_type_is_still_a_one_line_model_error(tmp_path):
    p = tmp_path / "odd.yaml"
    p.write_text("type: yolov8_seg\nmodel_path: m.onnx\nconfidence_threshold: [high]\n")
    with pytest.raises(ModelError, match=r"odd\.yaml: malformed model card \(TypeError"):
        parse_card(p)
    p.write_text("id: [unclosed\nx: 1\n")
    with pytest.raises(ModelError) as info:
        parse_card(p)
    assert "\n" not in str(info.value)
