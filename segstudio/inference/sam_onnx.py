"""Segment-anything ONNX encoder/decoder pairs (the layout of segment-anything's
`export_onnx_model.py` decoder plus a separately exported image encoder, as LabelMe, AnyLabeling
and X-AnyLabeling ship them; MobileSAM uses the same decoder).

Encoder: one input, either NCHW float [1,3,S,S] (we resize the long side to S, normalise with
the SAM pixel mean/std and pad bottom-right) or HWC [H,W,3] (an export with preprocessing
inside: we pass the resized RGB as float; when H and W are fixed numbers the image is scaled
into that canvas, top-left, as AnyLabeling does).  Its first output is the image embedding.

Decoder inputs by name: image_embeddings, point_coords [1,N,2] (in the resized frame),
point_labels [1,N] (1 positive, 0 negative, 2/3 box corners, -1 padding), mask_input
[1,1,4E,4E] (E = embedding side), has_mask_input [1], orig_im_size [2] (H, W).  Outputs: masks
[1,K,H,W] logits at image size, iou_predictions [1,K], low_res_masks [1,K,4E,4E].
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

SAM_MEAN = (123.675, 116.28, 103.53)
SAM_STD = (58.395, 57.12, 57.375)
_DECODER_INPUTS = (
    "image_embeddings", "point_coords", "point_labels", "mask_input", "has_mask_input",
    "orig_im_size",
)


class SamOnnx(PromptOnnxModel):
    """The segment-anything (SAM-1) layout."""

    layout = "sam"
    feeds_back_masks = True

    def __init__(
        self,
        model_id: str,
        encoder: Any,
        decoder: Any,
        input_size: int = 1024,
        mean=SAM_MEAN,
        std=SAM_STD,
        cache: EmbeddingCache | None = None,
        names: tuple[str, str] = ("encoder", "decoder"),
        weights_id: str | None = None,
    ) -> None:
        super().__init__(model_id, encoder, decoder, cache, weights_id)
        self.size = int(input_size)
        self.mean = np.asarray(mean, np.float32)
        self.std = np.asarray(std, np.float32)
        enc_inputs = self._enc.get_inputs()
        if len(enc_inputs) != 1:
            raise ModelError(f"{names[0]}: a SAM encoder has one input, this one has {len(enc_inputs)}")
        self._enc_input = enc_inputs[0]
        dec_in, _ = io_names(self._dec)
        missing = [n for n in _DECODER_INPUTS if n not in dec_in]
        if missing:
            raise ModelError(
                f"{names[1]}: not a segment-anything ONNX decoder (missing inputs {', '.join(missing)})"
            )
        self._mask_side = mask_input_side(self._dec)
        self._orig_dtype = input_dtype(self._dec, "orig_im_size")
        shape = self._enc_input.shape
        # an HWC export traced at one size: the image is scaled into that canvas
        self._canvas = (int(shape[0]), int(shape[1])) if (
            len(shape) == 3 and isinstance(shape[0], int) and isinstance(shape[1], int)) else None

    @classmethod
    def from_card(cls, card: ModelCard, cache: EmbeddingCache | None = None) -> SamOnnx:
        pair = open_pair(card)
        mean = card.mean if any(card.mean) else SAM_MEAN
        std = card.std if card.std != (1.0, 1.0, 1.0) else SAM_STD
        return cls(card.id, pair.encoder, pair.decoder, pair.input_size, mean, std, cache, pair.names,
                   pair.weights_id)

    # ----------------------------------------------------------------- geometry
    def _frame(self, h: int, w: int) -> tuple[float, int, int]:
        """(scale image -> decoder frame, decoder 'original' height, width)."""
        if self._canvas is not None:
            ch, cw = self._canvas
            pre = min(ch / h, cw / w)
            return pre * self.size / max(ch, cw), ch, cw
        return self.size / max(h, w), h, w

    def _encode(self, rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        if self._canvas is not None:
            ch, cw = self._canvas
            pre = min(ch / h, cw / w)
            m = np.float32([[pre, 0, 0], [0, pre, 0]])
            x = cv2.warpAffine(rgb, m, (cw, ch), flags=cv2.INTER_LINEAR).astype(np.float32)
        else:
            s = self.size / max(h, w)
            nh, nw = int(h * s + 0.5), int(w * s + 0.5)
            resized = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_LINEAR)
            if len(self._enc_input.shape) == 3:  # HWC export with preprocessing inside
                x = resized.astype(np.float32)
            else:
                x = (resized.astype(np.float32) - self.mean) / self.std
                padded = np.zeros((self.size, self.size, 3), np.float32)
                padded[:nh, :nw] = x
                x = padded.transpose(2, 0, 1)[None]
        out = self._enc.run(None, {self._enc_input.name: np.ascontiguousarray(x)})[0]
        return np.asarray(out, np.float32)

    def _decode(self, emb, prompt: Prompt, h: int, w: int, last) -> Decoded:
        s, oh, ow = self._frame(h, w)
        coords, labels = prompt_points(prompt)
        if prompt.box is None:  # the reference predictor pads with a (0, 0) point labelled -1
            coords.append((0.0, 0.0))
            labels.append(-1.0)
        feeds = {
            "image_embeddings": emb,
            "point_coords": (np.asarray(coords, np.float32) * s)[None],
            "point_labels": np.asarray(labels, np.float32)[None],
            **mask_feeds(last, self._mask_side),
            "orig_im_size": np.asarray([oh, ow], self._orig_dtype),
        }
        masks, scores, low = sam_outputs(run_named(self._dec, feeds))
        if self._canvas is not None:  # cut the image's part out of the canvas
            pre = min(oh / h, ow / w)
            masks = masks[:, : max(1, round(h * pre)), : max(1, round(w * pre))]
        return Decoded(masks.astype(np.float32), scores, low, len(labels))
