"""Export: ONNX (onnxruntime and OpenCV cv2.dnn) and TorchScript match torch to 1e-4."""

import cv2
import numpy as np
import pytest
import yaml

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

from segstudio.training.cards import CardError, TrainedCard, read_card  # noqa: E402
from segstudio.training.export import ExportError, export_model  # noqa: E402
from segstudio.training.predict import TrainedSegmenter, build_from_card  # noqa: E402
from segstudio.training.unet import CompactUNet  # noqa: E402


@pytest.fixture
def card_path(tmp_path):
    torch.manual_seed(0)
    net = CompactUNet(3, width=4, depth=2)
    # non-trivial batch-norm statistics, so folding them into the export is exercised
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.randn(2, 3, 32, 32))
    folder = tmp_path / "run"
    folder.mkdir()
    torch.save({"model": net.state_dict(), "epoch": 1}, folder / "best.pt")
    card = TrainedCard("tiny", "semantic", "torch", "best.pt", 32, ["background", "a", "b"],
                       {"template": "semantic", "width": 4, "depth": 2, "backbone": "unet"})
    return card.write(folder / "card.yaml")


def test_onnx_runs_in_onnxruntime_and_opencv_like_torch(card_path, tmp_path):
    out = export_model(card_path, "onnx", tmp_path / "onnx")
    model = onnx.load(str(out.parent / "model.onnx"))
    onnx.checker.check_model(model)
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 17
    x = np.random.default_rng(0).standard_normal((1, 3, 32, 32)).astype(np.float32)
    net = build_from_card(read_card(card_path)).eval()
    with torch.no_grad():
        ref = net(torch.from_numpy(x)).numpy()
    got_ort = ort.InferenceSession(str(out.parent / "model.onnx")).run(None, {"image": x})[0]
    dnn = cv2.dnn.readNetFromONNX(str(out.parent / "model.onnx"))
    dnn.setInput(x)
    got_cv = dnn.forward()
    assert ref.shape == got_ort.shape == got_cv.shape == (1, 3, 32, 32)
    assert np.abs(ref).max() > 0.1  # not a degenerate all-zero comparison
    assert np.abs(got_ort - ref).max() <= 1e-4
    assert np.abs(got_cv - ref).max() <= 1e-4
    exported = read_card(out)
    assert exported.format == "onnx" and exported.weights == "model.onnx"
    assert exported.class_names == ["background", "a", "b"]


def test_torchscript_and_cards_predict_the_same(card_path, tmp_path):
    ts = export_model(card_path, "torchscript", tmp_path / "ts")
    # three backends, one image: the same class map
    onnx_card = export_model(card_path, "onnx", tmp_path / "onnx")
    rgb = np.random.default_rng(1).integers(0, 255, (45, 37, 3), dtype=np.uint8)
    maps = [TrainedSegmenter(c).segment(rgb) for c in (card_path, ts, onnx_card)]
    assert maps[0].class_map.shape == (45, 37)
    p = [TrainedSegmenter(c).probabilities(rgb) for c in (card_path, ts, onnx_card)]
    assert np.abs(p[0] - p[1]).max() < 1e-5 and np.abs(p[0] - p[2]).max() < 1e-4


def test_bad_cards_and_formats_are_named(card_path, tmp_path):
    with pytest.raises(ExportError, match="unknown export format"):
        export_model(card_path, "tflite", tmp_path / "x")
    with pytest.raises(ExportError, match="opset"):
        export_model(card_path, "onnx", tmp_path / "x", opset=11)
    with pytest.raises(CardError, match="not found"):
        read_card(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed")
    with pytest.raises(CardError, match="bad.yaml"):
        read_card(bad)
    raw = yaml.safe_load(card_path.read_text())
    raw["files"]["weights"] = "missing.pt"
    (card_path.parent / "c2.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(CardError, match="missing.pt"):
        read_card(card_path.parent / "c2.yaml")
    (card_path.parent / "best.pt").write_bytes(b"garbage")
    with pytest.raises(CardError, match="best.pt"):
        TrainedSegmenter(card_path).probabilities(np.zeros((8, 8, 3), np.uint8))
