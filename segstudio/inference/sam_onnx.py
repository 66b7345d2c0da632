"""Segment-anything-family ONNX encoder/decoder pairs (the layout of segment-anything's
`export_onnx_model.py` decoder plus a separately exported image encoder, as AnyLabeling and
X-AnyLabeling ship them).

Encoder: one input, either NCHW float [1,3,S,S] (we resize the long side to S, normalise with
the SAM pixel mean/std and pad bottom-right) or HWC [H,W,3] (an export with preprocessing
inside: we pass the resized RGB as float).  Its first output is the image embedding.

Decoder inputs by name: image_embeddings, point_coords [1,N,2] (in the resized frame),
point_labels [1,N] (1 positive, 0 negative, 2/3 box corners, -1 padding), mask_input
[1,1,4E,4E] (E = embedding side), has_mask_input [1], orig_im_size [2] (H, W).  Outputs: masks
[1,K,H,W] logits at image size, iou_predictions [1,K], low_res_masks [1,K,4E,4E].
"""

from __future__ import annotations

import threading
from typing import Any

import cv2
import numpy as np

from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.inference.base import ModelError, Prompt, PromptResult
from segstudio.inference.cache import SHARED, EmbeddingCache, image_key
from segstudio.inference.cards import ModelCard
from segstudio.inference.runtime import io_names, onnx_session

SAM_MEAN = (123.675, 116.28, 103.53)
SAM_STD = (58.395, 57.12, 57.375)
_DECODER_INPUTS = (
    "image_embeddings", "point_coords", "point_labels", "mask_input", "has_mask_input",
    "orig_im_size",
)


class SamOnnx:
    """PromptSegmenter over a SAM ONNX pair; embeddings go through the shared cache."""

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
    ) -> None:
        self.model_id = model_id
        self._enc = encoder
        self._dec = decoder
        self.size = int(input_size)
        self.mean = np.asarray(mean, np.float32)
        self.std = np.asarray(std, np.float32)
        self.cache = cache if cache is not None else SHARED
        self._lock = threading.Lock()
        self._embedding: np.ndarray | None = None
        self._shape: tuple[int, int] = (0, 0)
        self._last_logits: np.ndarray | None = None
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
        self._mask_side = self._mask_input_side()

    @classmethod
    def from_card(cls, card: ModelCard, cache: EmbeddingCache | None = None) -> SamOnnx:
        enc_path, dec_path = card.file("encoder"), card.file("decoder")
        size = card.input_size[1] if card.input_size else 1024
        mean = card.mean if any(card.mean) else SAM_MEAN
        std = card.std if card.std != (1.0, 1.0, 1.0) else SAM_STD
        return cls(
            card.id, onnx_session(enc_path), onnx_session(dec_path), size, mean, std, cache,
            (str(enc_path), str(dec_path)),
        )

    def _mask_input_side(self) -> int:
        for i in self._dec.get_inputs():
            if i.name == "mask_input" and isinstance(i.shape[-1], int):
                return int(i.shape[-1])
        return 256

    # ----------------------------------------------------------------- embedding
    def _scale(self, h: int, w: int) -> float:
        return self.size / max(h, w)

    def _encode(self, rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        s = self._scale(h, w)
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

    def embedding_for(self, rgb: np.ndarray, cancel: CancelToken | None = None) -> np.ndarray:
        key = image_key(rgb)
        emb = self.cache.get(self.model_id, key)
        if emb is None:
            if cancel is not None:
                cancel.check()
            emb = self._encode(rgb)
            self.cache.put(self.model_id, key, emb)
        return emb

    def prefetch(self, rgb: np.ndarray, cancel: CancelToken | None = None) -> None:
        """Compute and cache the embedding of an image without making it current."""
        self.embedding_for(rgb, cancel)

    def set_image(
        self,
        rgb: np.ndarray,
        cancel: CancelToken | None = None,
        progress: ProgressFn | None = None,
    ) -> None:
        report(progress, 0, 1, "image embedding")
        emb = self.embedding_for(rgb, cancel)
        with self._lock:
            self._embedding = emb
            self._shape = rgb.shape[:2]
            self._last_logits = None
        report(progress, 1, 1, "image embedding")

    # ----------------------------------------------------------------- prompts
    def predict(self, prompt: Prompt, cancel: CancelToken | None = None) -> PromptResult:
        with self._lock:
            emb, (h, w), last = self._embedding, self._shape, self._last_logits
        if emb is None:
            raise RuntimeError("set_image must be called before predict")
        if prompt.is_empty:
            return PromptResult(np.zeros((h, w), bool), 0.0)
        s = self._scale(h, w)
        coords = [(c.x, c.y) for c in prompt.clicks]
        labels = [1.0 if c.positive else 0.0 for c in prompt.clicks]
        if prompt.box is not None:
            x0, y0, x1, y1 = prompt.box
            coords += [(min(x0, x1), min(y0, y1)), (max(x0, x1), max(y0, y1))]
            labels += [2.0, 3.0]
        else:  # the reference predictor pads with a (0, 0) point labelled -1 when there is no box
            coords.append((0.0, 0.0))
            labels.append(-1.0)
        pc = (np.asarray(coords, np.float32) * s)[None]
        pl = np.asarray(labels, np.float32)[None]
        side = self._mask_side
        use_prev = prompt.prev_mask is not None and last is not None
        mask_in = last if use_prev else np.zeros((1, 1, side, side), np.float32)
        feeds = {
            "image_embeddings": emb,
            "point_coords": pc,
            "point_labels": pl,
            "mask_input": mask_in.astype(np.float32),
            "has_mask_input": np.asarray([1.0 if use_prev else 0.0], np.float32),
            "orig_im_size": np.asarray([h, w], np.float32),
        }
        if cancel is not None:
            cancel.check()
        outs = dict(zip(io_names(self._dec)[1], self._dec.run(None, feeds)))
        masks = outs.get("masks", next(iter(outs.values())))
        ious = outs.get("iou_predictions")
        k = int(np.argmax(ious[0])) if ious is not None and ious.size > 1 else 0
        logits = masks[0, k]
        if logits.shape != (h, w):
            logits = cv2.resize(logits, (w, h), interpolation=cv2.INTER_LINEAR)
        low = outs.get("low_res_masks")
        with self._lock:
            self._last_logits = None if low is None else low[:, k : k + 1].astype(np.float32)
        score = float(ious[0, k]) if ious is not None else 1.0
        return PromptResult(logits > 0.0, score, self._last_logits)
