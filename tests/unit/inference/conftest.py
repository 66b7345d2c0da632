"""Tiny randomly initialised models built by the tests themselves (never downloads)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest


def export_onnx(module, inputs: tuple, path: Path, input_names, output_names, dynamic_axes=None) -> Path:
    import torch

    module.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, inputs, str(path), input_names=input_names, output_names=output_names,
            dynamic_axes=dynamic_axes, opset_version=17, dynamo=False,
        )
    return path


@pytest.fixture(scope="session")
def tiny_sam(tmp_path_factory) -> tuple[Path, Path]:
    """A SAM-layout ONNX pair: encoder [1,3,64,64] -> embedding [1,8,16,16] (the normalised red
    channel, pooled); decoder with the six segment-anything inputs whose mask is 'embedding mean
    > 0', upsampled, cropped to the resized image and resized to the original size like the real
    export, so tests can check the geometry (resize, padding, crop)."""
    import onnx
    from onnx import TensorProto, helper

    torch = pytest.importorskip("torch")
    d = tmp_path_factory.mktemp("sam")
    torch.manual_seed(0)
    enc = torch.nn.Sequential(torch.nn.AvgPool2d(4), torch.nn.Conv2d(3, 8, 1))
    with torch.no_grad():  # embedding = the normalised red channel, so tests know the answer
        enc[1].weight.zero_()
        enc[1].weight[:, 0] = 1.0
        enc[1].bias.zero_()
    enc_path = export_onnx(enc, (torch.zeros(1, 3, 64, 64),), d / "enc.onnx", ["image"], ["image_embeddings"])

    # Decoder graph written with onnx.helper: low-res logits [1,1,64,64] = upsampled embedding
    # mean; masks = resize(low, 64x64) -> crop to the resized image area -> resize to orig.
    X = helper.make_tensor_value_info
    inputs = [
        X("image_embeddings", TensorProto.FLOAT, [1, 8, 16, 16]),
        X("point_coords", TensorProto.FLOAT, [1, None, 2]),
        X("point_labels", TensorProto.FLOAT, [1, None]),
        X("mask_input", TensorProto.FLOAT, [1, 1, 64, 64]),
        X("has_mask_input", TensorProto.FLOAT, [1]),
        X("orig_im_size", TensorProto.FLOAT, [2]),
    ]
    outputs = [
        X("masks", TensorProto.FLOAT, [1, 1, None, None]),
        X("iou_predictions", TensorProto.FLOAT, [1, 1]),
        X("low_res_masks", TensorProto.FLOAT, [1, 1, 64, 64]),
    ]
    c = helper.make_tensor
    nodes = [
        helper.make_node("ReduceMean", ["image_embeddings"], ["m"], axes=[1], keepdims=1),
        helper.make_node("Resize", ["m", "", "scale4"], ["low_res_masks"], mode="nearest"),
        helper.make_node("Resize", ["low_res_masks", "", "", "size64"], ["up"], mode="nearest"),
        # crop to the resized image: [0:round(h*s), 0:round(w*s)] with s = 64 / max(h, w)
        helper.make_node("ReduceMax", ["orig_im_size"], ["longest"], keepdims=1),
        helper.make_node("Div", ["c64", "longest"], ["s"]),
        helper.make_node("Mul", ["orig_im_size", "s"], ["hw_f"]),
        helper.make_node("Round", ["hw_f"], ["hw_r"]),
        helper.make_node("Cast", ["hw_r"], ["hw"], to=TensorProto.INT64),
        helper.make_node("Slice", ["up", "zeros2", "hw", "axes23"], ["crop"]),
        helper.make_node("Cast", ["orig_im_size"], ["orig_i"], to=TensorProto.INT64),
        helper.make_node("Concat", ["ones2", "orig_i"], ["out_size"], axis=0),
        helper.make_node("Resize", ["crop", "", "", "out_size"], ["masks"], mode="nearest"),
        helper.make_node("ReduceSum", ["point_labels"], ["ls"], keepdims=1),
        helper.make_node("Sigmoid", ["ls"], ["iou_predictions"]),
    ]
    inits = [
        c("scale4", TensorProto.FLOAT, [4], [1, 1, 4, 4]),
        c("size64", TensorProto.INT64, [4], [1, 1, 64, 64]),
        c("c64", TensorProto.FLOAT, [1], [64.0]),
        c("zeros2", TensorProto.INT64, [2], [0, 0]),
        c("axes23", TensorProto.INT64, [2], [2, 3]),
        c("ones2", TensorProto.INT64, [2], [1, 1]),
    ]
    graph = helper.make_graph(nodes, "tiny_sam_decoder", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    dec_path = d / "dec.onnx"
    onnx.save(model, str(dec_path))
    return enc_path, dec_path


@pytest.fixture
def disk_image() -> tuple[np.ndarray, np.ndarray]:
    """A textured background with a red disk (the object) and its ground-truth mask."""
    rng = np.random.default_rng(1)
    h, w = 120, 160
    img = rng.normal(110, 12, (h, w, 3)).clip(0, 255).astype(np.uint8)
    img[..., 2] = np.clip(img[..., 2].astype(int) + 40, 0, 255)
    yy, xx = np.mgrid[:h, :w]
    gt = (yy - 60) ** 2 + (xx - 70) ** 2 < 32**2
    img[gt] = rng.normal((210, 50, 40), 10, (int(gt.sum()), 3)).clip(0, 255).astype(np.uint8)
    return img, gt


@pytest.fixture
def onnx_export():
    """The `export_onnx(module, inputs, path, input_names, output_names)` helper."""
    return export_onnx


@pytest.fixture(scope="session")
def tiny_efficientsam(tmp_path_factory) -> tuple[Path, Path]:
    """An EfficientSAM-layout pair (see tiny_layouts.py)."""
    pytest.importorskip("torch")
    from tests.unit.inference.tiny_layouts import export_tiny_efficientsam

    return export_tiny_efficientsam(tmp_path_factory.mktemp("efficientsam"))


@pytest.fixture(scope="session")
def tiny_sam2(tmp_path_factory) -> tuple[Path, Path]:
    """A SAM 2-layout pair (see tiny_layouts.py)."""
    pytest.importorskip("torch")
    from tests.unit.inference.tiny_layouts import export_tiny_sam2

    return export_tiny_sam2(tmp_path_factory.mktemp("sam2"))
