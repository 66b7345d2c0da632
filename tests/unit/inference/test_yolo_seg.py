"""YOLO-seg ONNX: decoding of boxes, classes and mask prototypes; tiny exported models."""

from __future__ import annotations

import numpy as np
import pytest

from segstudio.inference.base import ModelError
from segstudio.inference.yolo_seg import decode, letterbox, nms


def _protos(size=64, nm=2):
    side = size // 4
    p = np.zeros((1, nm, side, side), np.float32)
    p[0, 0, :, : side // 2] = 4.0  # left half of the letterboxed input
    p[0, 0, :, side // 2 :] = -4.0
    p[0, 1] = -4.0
    return p


def test_letterbox_keeps_aspect_and_centres():
    img = np.full((32, 64, 3), 7, np.uint8)
    lb, r, padx, pady = letterbox(img, 64)
    assert (r, padx, pady) == (1.0, 0, 16)
    assert (lb[16:48] == 7).all() and (lb[:16] == 114).all()


def test_nms_suppresses_overlaps_only():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], np.float32)
    assert nms(boxes, np.array([0.9, 0.8, 0.7]), 0.5) == [0, 2]


def test_decode_v8_layout():
    # one image 32x64 letterboxed to 64 (pady 16); detections: [cx, cy, w, h, s0, s1, c0, c1]
    dets = np.array([
        [24, 32, 40, 20, 0.9, 0.1, 1, 0],   # class 0, kept
        [25, 32, 40, 20, 0.8, 0.1, 1, 0],   # duplicate, suppressed by NMS
        [50, 32, 10, 10, 0.1, 0.7, 0, 1],   # class 1, its mask coefficients give nothing
        [10, 20, 4, 4, 0.1, 0.1, 1, 0],     # below the confidence threshold
    ], np.float32)
    pred = dets.T[None]  # [1, 8, N]
    out = decode(pred, _protos(), (32, 64), 64, 1.0, 0, 16, ["cat", "dog"], conf=0.25)
    assert [d.class_name for d in out] == ["cat"]
    d = out[0]
    assert d.score == pytest.approx(0.9)
    x, y, w, h = d.mask.bbox()
    # box x 4..44, y (22..42) - 16 = 6..26; mask = box ∩ left half (x < 32)
    assert (x, y, w, h) == (4, 6, 28, 20)
    assert d.mask.area == 28 * 20


def test_decode_v5_layout_uses_objectness():
    dets = np.array([[24, 32, 40, 20, 0.5, 0.9, 0.1, 1, 0]], np.float32)  # obj 0.5 * cls 0.9
    out = decode(dets[None], _protos(), (32, 64), 64, 1.0, 0, 16, ["cat", "dog"], conf=0.25)
    assert len(out) == 1 and out[0].score == pytest.approx(0.45)
    assert decode(dets[None], _protos(), (32, 64), 64, 1.0, 0, 16, ["a", "b"], conf=0.5) == []


def test_decode_rejects_shapes_without_classes():
    with pytest.raises(ModelError, match="no class"):
        decode(np.zeros((1, 6, 10), np.float32), _protos(), (32, 64), 64, 1.0, 0, 16, [])


def test_tiny_exported_model_end_to_end(tmp_path, onnx_export):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    import onnx

    from segstudio.inference import registry
    from segstudio.inference.cards import parse_card

    class TinyYoloSeg(torch.nn.Module):
        def __init__(self, nc=3, nm=4):
            super().__init__()
            self.nc = nc
            self.head = torch.nn.Conv2d(3, 4 + nc + nm, 8, stride=8)
            self.proto = torch.nn.Conv2d(3, nm, 4, stride=4)

        def forward(self, x):
            p = self.head(x).flatten(2)  # [1, C, N]
            box = torch.sigmoid(p[:, :4]) * 64
            cls = torch.sigmoid(p[:, 4 : 4 + self.nc])
            return torch.cat([box, cls, p[:, 4 + self.nc :]], 1), self.proto(x)

    torch.manual_seed(0)
    path = onnx_export(TinyYoloSeg(), (torch.zeros(1, 3, 64, 64),), tmp_path / "tiny-seg.onnx",
                       ["images"], ["output0", "output1"])
    m = onnx.load(str(path))
    m.metadata_props.add(key="names", value="{0: 'ant', 1: 'bee', 2: 'cow'}")
    onnx.save(m, str(path))
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text("type: yolov8_seg\nname: tiny-seg\nmodel_path: tiny-seg.onnx\n"
                   "confidence_threshold: 0.3\nnms_threshold: 0.5\n")
    model = registry.load(parse_card(cfg))
    rgb = np.random.default_rng(0).integers(0, 255, (40, 90, 3), dtype=np.uint8)
    res = model.segment(rgb)
    assert res.class_names == ["ant", "bee", "cow"]  # from the ONNX metadata
    assert res.instances, "a random head with threshold 0.3 should keep some boxes"
    for d in res.instances:
        assert d.mask.image_shape == (40, 90) and d.score >= 0.3
        assert d.class_name in res.class_names


def test_wrong_onnx_for_yolo_is_named(tmp_path, onnx_export):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    from segstudio.inference import registry
    from segstudio.inference.cards import parse_card

    path = onnx_export(torch.nn.Conv2d(3, 2, 1), (torch.zeros(1, 3, 8, 8),), tmp_path / "one.onnx",
                       ["images"], ["y"])
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"id: one\nkind: yolo-seg\nfiles: {{model: {path.name}}}\n")
    with pytest.raises(ModelError, match="one.onnx"):
        registry.load(parse_card(cfg))
