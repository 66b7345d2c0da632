"""Tiny, deterministic models with the real ONNX interfaces of EfficientSAM and SAM 2 (input and
output names, shapes, dtypes, coordinate frames), built with torch and exported to ONNX in a
second or two.  They see "red": the embedding is the normalised red channel, and a mask is
"red inside the prompt's bounding box grown by a margin", so a test can check every step of the
geometry (resize, normalisation, point frames, output size) against a known answer.

Used by the tests and by bench/models_layouts.py.  They never download anything."""

from __future__ import annotations

import warnings
from pathlib import Path

MARGIN = 16.0  # in the model's 64-pixel frame: a click covers +-16 model pixels
SIDE = 64  # the tiny models' "1024"


def _export(module, inputs, path: Path, input_names, output_names, dynamic_axes) -> Path:
    import torch

    module.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, inputs, str(path), input_names=input_names,
                          output_names=output_names, dynamic_axes=dynamic_axes,
                          opset_version=17, dynamo=False)
    return path


def _gate(base, coords, labels, low_side: int):
    """base [1,1,L,L] logits; coords [N,2] in the SIDE frame; keep base inside the points'
    bounding box grown by MARGIN, -10 elsewhere."""
    import torch

    valid = (labels >= 0).float()  # padding (-1) does not count
    big = 1e6
    xs, ys = coords[:, 0], coords[:, 1]
    x0 = torch.min(xs + (1 - valid) * big) - MARGIN
    x1 = torch.max(xs - (1 - valid) * big) + MARGIN
    y0 = torch.min(ys + (1 - valid) * big) - MARGIN
    y1 = torch.max(ys - (1 - valid) * big) + MARGIN
    cell = SIDE / low_side
    g = (torch.arange(low_side, dtype=torch.float32) + 0.5) * cell
    inside_x = ((g >= x0) & (g <= x1)).float()
    inside_y = ((g >= y0) & (g <= y1)).float()
    inside = inside_y[:, None] * inside_x[None, :]
    return base * inside - 10.0 * (1 - inside)


def export_tiny_efficientsam(folder: Path) -> tuple[Path, Path]:
    import torch
    import torch.nn.functional as F

    class Encoder(torch.nn.Module):
        def forward(self, batched_images):  # [1,3,H,W] in [0,1]
            x = F.interpolate(batched_images, size=(SIDE, SIDE), mode="bilinear", align_corners=False)
            red = (x[:, 0:1] - 0.5) / 0.25  # "normalisation inside the model"
            return F.avg_pool2d(red, 4).repeat(1, 8, 1, 1)  # [1,8,16,16]

    class Decoder(torch.nn.Module):
        def forward(self, image_embeddings, batched_point_coords, batched_point_labels, orig_im_size):
            h, w = orig_im_size[0], orig_im_size[1]
            scale = torch.stack([SIDE / w.float(), SIDE / h.float()])
            coords = batched_point_coords[0, 0] * scale  # original pixels -> model frame
            base = image_embeddings.mean(1, keepdim=True)
            red = _gate(base, coords, batched_point_labels[0, 0], 16)
            low = torch.cat([-red, red, torch.full_like(red, 10.0)], 1)  # [1,3,16,16]
            masks = F.interpolate(low, size=(h, w), mode="bilinear", align_corners=False)
            iou = torch.tensor([[[0.2, 0.9, 0.5]]])
            return masks[:, None], iou, low[:, None]

    folder.mkdir(parents=True, exist_ok=True)
    enc = _export(Encoder(), (torch.zeros(1, 3, 48, 80),), folder / "tiny_efficientsam_encoder.onnx",
                  ["batched_images"], ["image_embeddings"], {"batched_images": {2: "h", 3: "w"}})
    dec = _export(
        Decoder(),
        (torch.zeros(1, 8, 16, 16), torch.zeros(1, 1, 2, 2), torch.ones(1, 1, 2),
         torch.tensor([48, 80], dtype=torch.int64)),
        folder / "tiny_efficientsam_decoder.onnx",
        ["image_embeddings", "batched_point_coords", "batched_point_labels", "orig_im_size"],
        ["output_masks", "iou_predictions", "low_res_masks"],
        {"batched_point_coords": {2: "n"}, "batched_point_labels": {2: "n"},
         "output_masks": {3: "h", 4: "w"}},
    )
    return enc, dec


def export_tiny_sam2(folder: Path) -> tuple[Path, Path]:
    import torch
    import torch.nn.functional as F

    class Encoder(torch.nn.Module):
        def forward(self, input):  # [1,3,64,64], ImageNet-normalised
            red = input[:, 0:1]
            return (F.avg_pool2d(red, 16).repeat(1, 8, 1, 1),  # image_embeddings [1,8,4,4]
                    F.avg_pool2d(red, 4).repeat(1, 4, 1, 1),  # high_res_features1 [1,4,16,16]
                    F.avg_pool2d(red, 8).repeat(1, 4, 1, 1))  # high_res_features2 [1,4,8,8]

    class Decoder(torch.nn.Module):
        def forward(self, image_embeddings, high_res_features1, high_res_features2, point_coords,
                    point_labels, mask_input, has_mask_input, orig_im_size):
            # every input takes part (the exporter drops unused ones); only the first counts
            unused = 0.0 * (image_embeddings.sum() + high_res_features2.sum())
            base = high_res_features1.mean(1, keepdim=True) + unused  # [1,1,16,16]
            red = _gate(base, point_coords[0], point_labels[0], 16)
            low = torch.cat([red, red, -red, torch.full_like(red, 10.0)], 1)  # [1,4,16,16]
            # the single-object output's score says whether the previous mask was fed back
            iou = torch.cat([0.7 + 0.2 * has_mask_input, torch.tensor([0.8, 0.3, 0.5])])[None]
            h, w = orig_im_size[0], orig_im_size[1]
            masks = F.interpolate(low, size=(h, w), mode="bilinear", align_corners=False)
            return masks, iou, low + 0.0 * mask_input.sum()

    folder.mkdir(parents=True, exist_ok=True)
    enc = _export(Encoder(), (torch.zeros(1, 3, SIDE, SIDE),), folder / "tiny_sam2_preprocess.onnx",
                  ["input"], ["image_embeddings", "high_res_features1", "high_res_features2"], None)
    dec = _export(
        Decoder(),
        (torch.zeros(1, 8, 4, 4), torch.zeros(1, 4, 16, 16), torch.zeros(1, 4, 8, 8),
         torch.zeros(1, 2, 2), torch.ones(1, 2), torch.zeros(1, 1, 16, 16),
         torch.zeros(1), torch.tensor([48, 80], dtype=torch.int64)),
        folder / "tiny_sam2.onnx",
        ["image_embeddings", "high_res_features1", "high_res_features2", "point_coords",
         "point_labels", "mask_input", "has_mask_input", "orig_im_size"],
        ["masks", "iou_predictions", "low_res_masks"],
        {"point_coords": {1: "n"}, "point_labels": {1: "n"}, "masks": {2: "h", 3: "w"}},
    )
    return enc, dec


def export_tiny_sam1(folder: Path) -> tuple[Path, Path]:
    """The segment-anything export layout (encoder NCHW [1,3,64,64] SAM-normalised, decoder with
    the six inputs, masks cropped to the resized image and sized to orig_im_size), with the same
    click-box gating, for the benchmark.  (The tests' `tiny_sam` fixture is the onnx.helper
    version without gating.)"""
    import torch
    import torch.nn.functional as F

    class Encoder(torch.nn.Module):
        def forward(self, image):
            return F.avg_pool2d(image[:, 0:1], 4).repeat(1, 8, 1, 1)  # [1,8,16,16]

    class Decoder(torch.nn.Module):
        def forward(self, image_embeddings, point_coords, point_labels, mask_input,
                    has_mask_input, orig_im_size):
            base = image_embeddings.mean(1, keepdim=True) + 0.0 * mask_input.sum()
            red = _gate(base, point_coords[0], point_labels[0], 16)
            low16 = torch.cat([red, red, -red, torch.full_like(red, 10.0)], 1)
            low = F.interpolate(low16, size=(SIDE, SIDE), mode="bilinear", align_corners=False)
            s = SIDE / torch.max(orig_im_size)
            hw = torch.round(orig_im_size * s).to(torch.int64)
            crop = low[..., : hw[0], : hw[1]]
            size = orig_im_size.to(torch.int64)
            masks = F.interpolate(crop, size=(size[0], size[1]), mode="bilinear", align_corners=False)
            iou = torch.cat([0.7 + 0.2 * has_mask_input, torch.tensor([0.8, 0.3, 0.5])])[None]
            return masks, iou, low

    folder.mkdir(parents=True, exist_ok=True)
    enc = _export(Encoder(), (torch.zeros(1, 3, SIDE, SIDE),), folder / "tiny_sam1_encoder.onnx",
                  ["image"], ["image_embeddings"], None)
    dec = _export(
        Decoder(),
        (torch.zeros(1, 8, 16, 16), torch.zeros(1, 2, 2), torch.ones(1, 2),
         torch.zeros(1, 1, SIDE, SIDE), torch.zeros(1), torch.tensor([48.0, 80.0])),
        folder / "tiny_sam1_decoder.onnx",
        ["image_embeddings", "point_coords", "point_labels", "mask_input", "has_mask_input",
         "orig_im_size"],
        ["masks", "iou_predictions", "low_res_masks"],
        {"point_coords": {1: "n"}, "point_labels": {1: "n"}, "masks": {2: "h", 3: "w"}},
    )
    return enc, dec
