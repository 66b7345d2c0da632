"""Users' semantic models: tiny ONNX and TorchScript nets built here, class names from the card."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

from segstudio.inference import registry  # noqa: E402
from segstudio.inference.base import ModelError  # noqa: E402
from segstudio.inference.cards import parse_card  # noqa: E402


class RedIsCar(torch.nn.Module):
    """3 classes: background, sky (blue), car (red): a fixed 1x1 conv so the answer is known."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 3, 1)
        with torch.no_grad():
            self.conv.weight.zero_()
            self.conv.weight[1, 2] = 4.0  # blue -> sky
            self.conv.weight[2, 0] = 4.0  # red -> car
            self.conv.bias[:] = torch.tensor([1.0, -1.0, -1.0])
        self.pool = torch.nn.AvgPool2d(2)

    def forward(self, x):
        return self.conv(self.pool(x))


def _image():
    img = np.zeros((40, 60, 3), np.uint8)
    img[:, :20, 0] = 255  # red
    img[:, 40:, 2] = 255  # blue
    return img


def _card(tmp_path, model_file, framework, classes="[background, sky, car]"):
    c = tmp_path / "card.yaml"
    c.write_text(
        f"id: tiny-sem\nkind: semantic\nframework: {framework}\nfiles: {{model: {model_file}}}\n"
        f"input_size: [32, 32]\nnormalization: {{scale: 255}}\nclass_names: {classes}\n"
        "background: [background]\n"
    )
    return parse_card(c)


def _check(result):
    cmap = result.class_map
    assert cmap.shape == (40, 60)
    assert (cmap[:, :16] == 2).all() and (cmap[:, 44:] == 1).all() and (cmap[:, 24:36] == 0).all()
    names = [d.class_name for d in result.all_instances(background=("background",))]
    assert sorted(names) == ["car", "sky"]
    assert result.class_scores.min() > 0.3 and result.class_scores.max() <= 1.0


def test_onnx_semantic_model(tmp_path, onnx_export):
    onnx_export(RedIsCar(), (torch.zeros(1, 3, 32, 32),), tmp_path / "sem.onnx", ["x"], ["logits"])
    _check(registry.load(_card(tmp_path, "sem.onnx", "onnx")).segment(_image()))


def test_torchscript_semantic_model(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.script(RedIsCar()).save(str(tmp_path / "sem.pt"))
    _check(registry.load(_card(tmp_path, "sem.pt", "torchscript")).segment(_image()))


def test_class_count_mismatch_names_the_file(tmp_path, onnx_export):
    onnx_export(RedIsCar(), (torch.zeros(1, 3, 32, 32),), tmp_path / "sem.onnx", ["x"], ["logits"])
    model = registry.load(_card(tmp_path, "sem.onnx", "onnx", "[a, b]"))
    with pytest.raises(ModelError, match="sem.onnx.*3 classes"):
        model.segment(_image())


def test_a_plain_pickle_is_not_torchscript(tmp_path):
    torch.save({"w": torch.zeros(2)}, tmp_path / "weights.pt")
    with pytest.raises(ModelError, match="weights.pt.*TorchScript"):
        registry.load(_card(tmp_path, "weights.pt", "torchscript"))
