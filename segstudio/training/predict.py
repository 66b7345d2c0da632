"""Run a trained model from its card: torch weights, TorchScript or ONNX (onnxruntime).

Implements the model layer's ImageSegmenter protocol (`segment(rgb) -> SegmentationResult`)
and adds per-image uncertainty (mean normalised entropy and mean top-2 margin) for the
review queue.  torch / onnxruntime are imported lazily, on first use.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.inference.base import ModelError, SegmentationResult
from segstudio.training.cards import CardError, TrainedCard, read_card
from segstudio.training.transforms import normalise


def to_probabilities(out: np.ndarray) -> np.ndarray:
    """C' x H x W network output (logits) -> C x H x W probabilities (binary nets: 2 classes)."""
    out = out.astype(np.float32, copy=False)
    if out.shape[0] == 1:
        p = 1.0 / (1.0 + np.exp(-out[0]))
        return np.stack([1.0 - p, p])
    e = np.exp(out - out.max(0, keepdims=True))
    return e / e.sum(0, keepdims=True)


def uncertainty(probs: np.ndarray) -> dict[str, float]:
    """Mean per-pixel entropy / log(C) (0 sure .. 1 uniform) and mean margin p1 - p2
    (1 sure .. 0 torn); either orders a review queue, least certain first."""
    c = probs.shape[0]
    p = np.clip(probs, 1e-8, 1.0)
    ent = -(p * np.log(p)).sum(0) / np.log(c)
    top2 = np.sort(probs, axis=0)[-2:]
    return {"entropy": float(ent.mean()), "margin": float((top2[1] - top2[0]).mean())}


class TrainedSegmenter:
    """A trained card as an image segmenter.  Thread-safe (one lock around the backend)."""

    def __init__(self, card: TrainedCard | str | Path, device: str | None = None) -> None:
        self.card = card if isinstance(card, TrainedCard) else read_card(card)
        self.model_id = self.card.model_id
        self.class_names = list(self.card.class_names)
        self._device = device
        self._run = None
        self._lock = threading.Lock()

    # ----------------------------------------------------------------- backends
    def _load(self):
        """The network as a function of the input batch, through the model layer's one loader
        of user files (`inference.runtime`: safe loading, one-line errors naming the file)."""
        from segstudio.inference import runtime

        fmt, path = self.card.format, self.card.weights_path
        try:
            if fmt == "onnx":
                sess = runtime.onnx_session(path)
                name = runtime.io_names(sess)[0][0]
                return lambda x: sess.run(None, {name: x})[0]
            net = runtime.torchscript_module(path) if fmt == "torchscript" else build_from_card(self.card)
        except ModelError as e:
            raise CardError(str(e)) from None
        import torch

        net.eval()

        def run(x: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                out = net(torch.from_numpy(x))
                if isinstance(out, (list, tuple)):
                    out = out[0]
                return out.numpy()

        return run

    # ----------------------------------------------------------------- prediction
    def probabilities(self, rgb: np.ndarray, cancel: CancelToken | None = None) -> np.ndarray:
        """C x S x S class probabilities at network resolution."""
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected an RGB image HxWx3, got shape {rgb.shape}")
        s = self.card.input_size
        img = cv2.resize(rgb, (s, s), interpolation=cv2.INTER_AREA if min(rgb.shape[:2]) > s else cv2.INTER_LINEAR)
        x = normalise(img, self.card.mean, self.card.std)
        with self._lock:
            if self._run is None:
                self._run = self._load()
            if cancel is not None:
                cancel.check()
            out = self._run(x)[0]
        return to_probabilities(out)

    def segment_with_uncertainty(
        self, rgb: np.ndarray, cancel: CancelToken | None = None, progress: ProgressFn | None = None
    ) -> tuple[SegmentationResult, dict[str, float]]:
        report(progress, 0, 2, self.model_id)
        probs = self.probabilities(rgb, cancel)
        stats = uncertainty(probs)
        h, w = rgb.shape[:2]
        full = np.stack([cv2.resize(p, (w, h), interpolation=cv2.INTER_LINEAR) for p in probs])
        class_map = full.argmax(0).astype(np.int32)
        scores = np.take_along_axis(full, class_map[None], 0)[0].astype(np.float32)
        soft = full[1].astype(np.float32) if self.card.kind == "foreground" else None
        report(progress, 2, 2, self.model_id)
        return SegmentationResult(class_map=class_map, class_scores=scores,
                                  class_names=self.class_names, soft=soft), stats

    def segment(self, rgb: np.ndarray, cancel: CancelToken | None = None, progress: ProgressFn | None = None) -> SegmentationResult:
        return self.segment_with_uncertainty(rgb, cancel, progress)[0]


def build_from_card(card: TrainedCard) -> Any:
    """The torch network of a `format: torch` card with its weights (weights_only loading)."""
    from segstudio.inference import runtime
    from segstudio.training.templates import TemplateError, build_model, get_template

    arch = card.architecture
    try:
        template = get_template(str(arch.get("template", card.kind)))
        net = build_model(template, arch, len(card.class_names), pretrained=False)
    except (TemplateError, KeyError, TypeError, ValueError) as e:
        raise CardError(f"{card.path}: cannot build the network described ({e})") from None
    try:
        state = runtime.torch_weights(card.weights_path)
        if isinstance(state, dict) and "model" in state:
            state = state["model"]
        net.load_state_dict(state)
    except Exception as e:
        raise CardError(f"{card.weights_path}: weights do not fit the card's network ({e})") from None
    return net
