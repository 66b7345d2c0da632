import pytest

from segstudio.training.hparams import HyperParam, HyperParamError, parse_assignments, resolve
from segstudio.training.templates import TEMPLATES, TemplateError, get_template


def test_every_template_declares_defaults_within_their_ranges():
    for t in TEMPLATES.values():
        hp = t.resolve()
        names = {p.name for p in t.params}
        assert {"epochs", "lr", "schedule", "batch_size", "seed", "val_fraction", "workers"} <= names
        if t.mode == "click":  # simulated users instead of pixel losses and crops
            assert {"iterative_p", "box_p", "start", "val_max_clicks"} <= names
        else:
            assert {"input_size", "loss", "class_weights", "freeze_encoder", "patience", "hflip",
                    "rotate", "color_jitter"} <= names
        for p in t.params:
            assert p.parse(hp[p.name]) == hp[p.name]


def test_text_values_are_converted_and_checked():
    t = get_template("semantic")
    hp = t.resolve({"epochs": "3", "lr": "1e-3", "hflip": "no", "loss": "focal", "input_size": "64"})
    assert hp["epochs"] == 3 and hp["lr"] == pytest.approx(1e-3) and hp["hflip"] is False
    assert hp["loss"] == "focal" and hp["input_size"] == 64


@pytest.mark.parametrize("key,value,words", [
    ("epochs", "0", "below the minimum"),
    ("epochs", "2.5", "cannot read"),
    ("lr", "abc", "cannot read"),
    ("loss", "l1", "not one of"),
    ("input_size", "100", "multiple of 32"),
    ("hflip", "maybe", "cannot read"),
    ("nonsense", "1", "unknown hyperparameter"),
])
def test_bad_values_name_the_parameter(key, value, words):
    with pytest.raises(HyperParamError) as e:
        get_template("semantic").resolve({key: value})
    assert key in str(e.value) and words in str(e.value)


def test_assignments_and_float_lists():
    assert parse_assignments(["a=1", " b = x=y "]) == {"a": "1", "b": "x=y"}
    with pytest.raises(HyperParamError):
        parse_assignments(["novalue"])
    p = HyperParam("w", "floats", [], low=0.0)
    assert resolve([p], {"w": "1, 2.5"}) == {"w": [1.0, 2.5]}
    with pytest.raises(HyperParamError):
        resolve([p], {"w": "1,-2"})


def test_unknown_template():
    with pytest.raises(TemplateError, match="semantic"):
        get_template("resnet")
