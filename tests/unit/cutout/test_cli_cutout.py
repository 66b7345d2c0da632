import cv2
import numpy as np
import pytest

import segstudio.cutout.saliency as saliency_mod
from segstudio.cli.main import main
from segstudio.io.images import load_image

from .test_batch import _fingerprint, _photo, _write, fake_saliency


@pytest.fixture
def fake_model(monkeypatch):
    calls = []

    def load(model=None):
        calls.append(model)
        if model == "nope":
            raise saliency_mod.SaliencyModelError("unknown subject-selection model 'nope'")
        return fake_saliency

    monkeypatch.setattr(saliency_mod, "load_saliency", load)
    return calls


def test_cli_folder_to_webp_with_options(tmp_path, fake_model, capsys):
    src = tmp_path / "in"
    _write(src / "a.png", _photo(seed=4))
    before = _fingerprint(src)
    dst = tmp_path / "out"
    rc = main(["cutout", str(src), str(dst), "--format", "webp", "--feather", "2", "--decontaminate",
               "--model", "my-card", "--matte"])
    assert rc == 0 and fake_model == ["my-card"]
    out = load_image(dst / "a.webp").data
    assert out.shape == (40, 50, 4)
    assert int(((out[..., 3] > 0) & (out[..., 3] < 255)).sum()) > 0  # feathered edge
    assert np.array_equal(cv2.imread(str(dst / "a_matte.png"), cv2.IMREAD_UNCHANGED), out[..., 3])
    assert _fingerprint(src) == before
    assert "1 written" in capsys.readouterr().out
    # Second run skips, --replace rewrites.
    assert main(["cutout", str(src), str(dst), "--format", "webp"]) == 0
    assert "1 skipped" in capsys.readouterr().out
    assert main(["cutout", str(src), str(dst), "--format", "webp", "--replace"]) == 0
    assert "1 written" in capsys.readouterr().out


def test_cli_single_file_output_and_crop(tmp_path, fake_model):
    src = _write(tmp_path / "a.png", _photo())
    out = tmp_path / "cut.png"
    assert main(["cutout", str(src), str(out), "--crop", "3", "--refine", "none"]) == 0
    assert load_image(out).data.shape == (26, 26, 4)


def test_cli_errors_are_one_line(tmp_path, fake_model, capsys):
    assert main(["cutout", str(tmp_path / "missing"), str(tmp_path / "o")]) == 2
    assert "missing: no such file or folder" in capsys.readouterr().err
    src = _write(tmp_path / "a.png", _photo())
    assert main(["cutout", str(src), str(tmp_path / "o"), "--model", "nope"]) == 2
    assert "unknown subject-selection model" in capsys.readouterr().err
    assert main(["cutout", str(src), str(tmp_path / "o.webp"), "--format", "png"]) == 2
    assert main(["cutout", str(src), str(tmp_path / "o"), "--threshold", "2"]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["cutout", str(empty), str(tmp_path / "o")]) == 2
    assert "no images found" in capsys.readouterr().err


def test_cli_refuses_to_overwrite_an_input(tmp_path, fake_model, capsys):
    src = _write(tmp_path / "a.png", _photo())
    data = src.read_bytes()
    assert main(["cutout", str(src), str(src), "--replace"]) == 1
    assert src.read_bytes() == data
    assert "refusing to overwrite" in capsys.readouterr().err


def test_unknown_model_id_is_a_clear_error():
    with pytest.raises(saliency_mod.SaliencyModelError, match="unknown subject-selection model"):
        saliency_mod.load_saliency("no-such-model")
    with pytest.raises(saliency_mod.SaliencyModelError, match="not found"):
        saliency_mod.load_saliency("/nonexistent/weights.pt")


def test_cli_with_the_real_builtin_model_on_a_tiny_image(tmp_path):
    pytest.importorskip("torch")
    # A red disc on a plain green field: the built-in salient-object model must find it.
    img = np.zeros((64, 64, 3), np.uint8)
    img[...] = (40, 150, 60)
    cv2.circle(img, (32, 32), 14, (220, 40, 40), -1)
    src = _write(tmp_path / "disc.png", img)
    out = tmp_path / "disc_cut.png"
    assert main(["cutout", str(src), str(out), "-q"]) == 0
    alpha = load_image(out).data[..., 3]
    truth = np.zeros((64, 64), np.uint8)
    cv2.circle(truth, (32, 32), 14, 1, -1)
    fg = alpha > 127
    iou = (fg & (truth > 0)).sum() / max(1, (fg | (truth > 0)).sum())
    assert iou > 0.7


def _tiny_u2net_onnx(path, size=320):
    """An ONNX graph with U²-Net's interface (N x 3 x 320 x 320 -> N x 1 x 320 x 320): the
    sigmoid of the channel mean, so bright things are 'salient'."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, size, size])
    y = helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 1, size, size])
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [1])
    nodes = [helper.make_node("ReduceMean", ["input.1", "axes"], ["m"], keepdims=1),
             helper.make_node("Sigmoid", ["m"], ["out"])]
    graph = helper.make_graph(nodes, "tiny", [x], [y], initializer=[axes])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_onnx_u2net_file_runs_on_onnxruntime(tmp_path):
    path = _tiny_u2net_onnx(tmp_path / "tiny.onnx")
    model = saliency_mod.load_saliency(str(path), threads=1)
    img = np.zeros((30, 40, 3), np.uint8)
    img[5:20, 10:30] = 250
    soft = model(img)
    assert soft.shape == (30, 40) and soft.dtype == np.float32
    assert soft.min() == 0.0 and soft.max() == 1.0  # stretched to [0, 1]
    assert soft[12, 20] > 0.9 and soft[27, 2] < 0.1


def test_wrong_onnx_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(saliency_mod.SaliencyModelError, match="bad.onnx"):
        saliency_mod.load_saliency(str(bad))
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 64, 64])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 64, 64])
    g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "id", [x], [y])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
    m.ir_version = 8
    onnx.save(m, str(tmp_path / "other.onnx"))
    with pytest.raises(saliency_mod.SaliencyModelError, match="expected one input of shape"):
        saliency_mod.load_saliency(str(tmp_path / "other.onnx"))
