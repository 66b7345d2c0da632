"""A trained run's card is loadable by the model layer's registry (onnxruntime) and agrees
with the training package's own predictor."""

import numpy as np
import pytest

pytest.importorskip("torch")

from segstudio.inference import registry  # noqa: E402
from segstudio.training.cards import read_card  # noqa: E402
from segstudio.training.predict import TrainedSegmenter  # noqa: E402
from segstudio.training.runner import execute, start_run  # noqa: E402


def test_trained_card_loads_in_the_model_registry(tiny_project):
    run_id = start_run(tiny_project, "semantic", {"epochs": 1, "input_size": 32, "width": 4, "depth": 2,
                                                  "workers": 1})
    final = execute(tiny_project.root, run_id)
    card_path = final["card"]
    mine = read_card(card_path)
    assert mine.format == "torch" and mine.onnx == "model.onnx" and mine.kind == "semantic"
    theirs = registry.find(card_path)
    assert theirs.kind == "semantic" and theirs.framework == "onnx"
    assert list(theirs.class_names) == ["background", "box", "disc"]
    cards, _ = registry.discover(extra=[tiny_project.root / "models"])
    assert theirs.id in {c.id for c in cards}
    rgb = np.random.default_rng(0).integers(0, 255, (40, 50, 3), dtype=np.uint8)
    a = registry.load(theirs).segment(rgb)
    b = TrainedSegmenter(card_path).segment(rgb)
    assert a.class_names == b.class_names
    assert (a.class_map == b.class_map).mean() > 0.99  # onnxruntime vs torch, same resize
