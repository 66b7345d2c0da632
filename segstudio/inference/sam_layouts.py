"""The two other SAM-family ONNX layouts beside segment-anything's (sam_onnx.py).

EfficientSAM (yformer/EfficientSAM `export_to_onnx.py`, re-published by labelmeai):
  encoder  batched_images [1,3,H,W] float RGB in [0,1]; the model normalises and resizes to
           1024x1024 itself (we resize first: the same bilinear resize, less data to pass);
           output image_embeddings [1,256,64,64].
  decoder  image_embeddings, batched_point_coords [1,1,N,2] in *original image pixels*,
           batched_point_labels [1,1,N] (1 positive, 0 negative, 2/3 box corners),
           orig_im_size [2] (H, W) -> masks [1,1,K,H,W] logits at image size, iou [1,1,K].
           No mask input: later clicks are answered from all the clicks, not the last mask.

SAM 2 / 2.1 (ryouchinsa/sam-cpp-macos `export_onnx.py`, as osam publishes them; samexporter's
names `image_embed` / `high_res_feats_0|1` are accepted too):
  encoder  input [1,3,S,S] float: the image resized to SxS (no aspect kept, no padding),
           ImageNet mean/std on [0,1]; outputs image_embeddings [1,256,64,64] and the
           high-resolution features [1,32,256,256], [1,64,128,128].
  decoder  image_embeddings, high_res_features1, high_res_features2, point_coords [1,N,2] in
           the SxS frame (x*S/W, y*S/H), point_labels [1,N] (the decoder pads itself),
           mask_input [1,1,256,256], has_mask_input [1], orig_im_size [2] ->
           masks [1,K,H,W], iou_predictions [1,K], low_res_masks [1,K,256,256].
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from segstudio.inference.base import ModelError, Prompt
from segstudio.inference.cache import EmbeddingCache
from segstudio.inference.cards import ModelCard
from segstudio.inference.prompt_onnx import (
    Decoded,
    PromptOnnxModel,
    input_dtype,
    mask_feeds,
    mask_input_side,
    open_pair,
    prompt_points,
    run_named,
    sam_outputs,
)
from segstudio.inference.runtime import io_names

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _square_input_side(session: Any, default: int, where: str) -> int:
    shape = session.get_inputs()[0].shape
    if len(shape) != 4:
        raise ModelError(f"{where}: the encoder's input must be [1,3,H,W], got {shape}")
    h, w = shape[2], shape[3]
    if isinstance(h, int) and isinstance(w, int):
        if h != w:
            raise ModelError(f"{where}: the encoder's input must be square, got {h}x{w}")
        return h
    return default


def _need_inputs(session: Any, names: set[str], where: str, what: str) -> None:
    have = set(io_names(session)[0])
    missing = sorted(names - have)
    if missing:
        raise ModelError(f"{where}: not {what} (missing inputs {', '.join(missing)})")


class EfficientSamOnnx(PromptOnnxModel):
    layout = "efficientsam"
    feeds_back_masks = False

    def __init__(self, model_id: str, encoder: Any, decoder: Any, input_size: int = 1024,
                 cache: EmbeddingCache | None = None, names: tuple[str, str] = ("encoder", "decoder"),
                 weights_id: str | None = None) -> None:
        super().__init__(model_id, encoder, decoder, cache, weights_id)
        self.size = _square_input_side(encoder, input_size, names[0])
        self._enc_name = encoder.get_inputs()[0].name
        _need_inputs(decoder, {"image_embeddings", "batched_point_coords", "batched_point_labels",
                               "orig_im_size"}, names[1], "an EfficientSAM decoder")
        self._orig_dtype = input_dtype(decoder, "orig_im_size")

    @classmethod
    def from_card(cls, card: ModelCard, cache: EmbeddingCache | None = None) -> EfficientSamOnnx:
        pair = open_pair(card)
        return cls(card.id, pair.encoder, pair.decoder, pair.input_size, cache, pair.names,
                   pair.weights_id)

    def _encode(self, rgb: np.ndarray) -> np.ndarray:
        x = cv2.resize(rgb, (self.size, self.size), interpolation=cv2.INTER_LINEAR)
        x = (x.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]
        out = self._enc.run(None, {self._enc_name: np.ascontiguousarray(x)})[0]
        return np.asarray(out, np.float32)

    def _decode(self, emb, prompt: Prompt, h: int, w: int, last) -> Decoded:
        coords, labels = prompt_points(prompt)
        feeds = {
            "image_embeddings": emb,
            "batched_point_coords": np.asarray(coords, np.float32)[None, None],
            "batched_point_labels": np.asarray(labels, np.float32)[None, None],
            "orig_im_size": np.asarray([h, w], self._orig_dtype),
        }
        outs = list(run_named(self._dec, feeds).items())
        masks = dict(outs).get("output_masks", outs[0][1])[0, 0]  # [K, H, W]
        ious = dict(outs).get("iou_predictions", outs[1][1] if len(outs) > 1 else None)
        scores = (np.asarray(ious, np.float32).reshape(-1) if ious is not None
                  else np.ones(len(masks), np.float32))
        return Decoded(masks.astype(np.float32), scores, None, len(labels))


class Sam2Onnx(PromptOnnxModel):
    layout = "sam2"
    feeds_back_masks = True

    def __init__(self, model_id: str, encoder: Any, decoder: Any, input_size: int = 1024,
                 mean=IMAGENET_MEAN, std=IMAGENET_STD, cache: EmbeddingCache | None = None,
                 names: tuple[str, str] = ("encoder", "decoder"), weights_id: str | None = None) -> None:
        super().__init__(model_id, encoder, decoder, cache, weights_id)
        self.size = _square_input_side(encoder, input_size, names[0])
        self.mean = np.asarray(mean, np.float32)
        self.std = np.asarray(std, np.float32)
        self._enc_name = encoder.get_inputs()[0].name
        dec_in = io_names(decoder)[0]
        self._emb_in = next((n for n in dec_in if "embed" in n and not n.startswith("high")), None)
        self._high_in = sorted(n for n in dec_in if n.startswith("high_res"))
        if self._emb_in is None or len(self._high_in) != 2:
            raise ModelError(f"{names[1]}: not a SAM 2 decoder (inputs {', '.join(dec_in)})")
        _need_inputs(decoder, {"point_coords", "point_labels", "mask_input", "has_mask_input",
                               "orig_im_size"}, names[1], "a SAM 2 decoder")
        enc_out = io_names(encoder)[1]
        self._emb_out = next((n for n in enc_out if "embed" in n and not n.startswith("high")), None)
        self._high_out = sorted(n for n in enc_out if n.startswith("high_res"))
        if self._emb_out is None or len(self._high_out) != 2:
            raise ModelError(f"{names[0]}: not a SAM 2 encoder (outputs {', '.join(enc_out)})")
        self._orig_dtype = input_dtype(decoder, "orig_im_size")
        self._mask_side = mask_input_side(decoder)

    @classmethod
    def from_card(cls, card: ModelCard, cache: EmbeddingCache | None = None) -> Sam2Onnx:
        pair = open_pair(card)
        return cls(card.id, pair.encoder, pair.decoder, pair.input_size, IMAGENET_MEAN, IMAGENET_STD,
                   cache, pair.names, pair.weights_id)

    def _encode(self, rgb: np.ndarray) -> dict[str, np.ndarray]:
        x = cv2.resize(rgb, (self.size, self.size), interpolation=cv2.INTER_LINEAR)
        x = ((x.astype(np.float32) / 255.0 - self.mean) / self.std).transpose(2, 0, 1)[None]
        outs = run_named(self._enc, {self._enc_name: np.ascontiguousarray(x, np.float32)})
        return {
            "embed": np.asarray(outs[self._emb_out], np.float32),
            "high0": np.asarray(outs[self._high_out[0]], np.float32),
            "high1": np.asarray(outs[self._high_out[1]], np.float32),
        }

    def _decode(self, emb, prompt: Prompt, h: int, w: int, last) -> Decoded:
        coords, labels = prompt_points(prompt)
        pc = np.asarray(coords, np.float32) * np.float32([self.size / w, self.size / h])
        feeds = {
            self._emb_in: emb["embed"],
            self._high_in[0]: emb["high0"],
            self._high_in[1]: emb["high1"],
            "point_coords": pc[None],
            "point_labels": np.asarray(labels, np.float32)[None],
            **mask_feeds(last, self._mask_side),
            "orig_im_size": np.asarray([h, w], self._orig_dtype),
        }
        masks, scores, low = sam_outputs(run_named(self._dec, feeds))
        # the decoder adds its own padding point: count it for the mask-choice rule
        return Decoded(masks.astype(np.float32), scores, low, len(labels) + 1)
