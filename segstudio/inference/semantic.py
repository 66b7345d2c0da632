"""Users' semantic-segmentation models (ONNX or TorchScript) with class names in the card.

The network takes [1,3,H,W] float (card normalisation: x / scale, then (x - mean) / std) and
returns class logits [1,C,h,w] (or class indices [1,h,w]); logits are resized to the image
with bilinear interpolation before the arg-max so boundaries are not blocky.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.inference.base import ModelError, SegmentationResult
from segstudio.inference.cards import ModelCard
from segstudio.inference.runtime import onnx_session, torchscript_module


class SemanticSegmenter:
    def __init__(self, card: ModelCard, run_fn: Any, source: str) -> None:
        self.model_id = card.id
        self.card = card
        self._run = run_fn
        self.source = source

    def _input(self, rgb: np.ndarray) -> np.ndarray:
        c = self.card
        if c.input_size:
            ih, iw = c.input_size
            x = cv2.resize(rgb, (iw, ih), interpolation=cv2.INTER_LINEAR).astype(np.float32)
        else:
            x = rgb.astype(np.float32)
        if c.scale == 0.0:
            x /= max(float(x.max()), 1.0)
        elif c.scale != 1.0:
            x /= c.scale
        x = (x - np.asarray(c.mean, np.float32)) / np.asarray(c.std, np.float32)
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None])

    def segment(
        self,
        rgb: np.ndarray,
        cancel: CancelToken | None = None,
        progress: ProgressFn | None = None,
    ) -> SegmentationResult:
        report(progress, 0, 2, "segmenting")
        out = np.asarray(self._run(self._input(rgb)))
        if cancel is not None:
            cancel.check()
        H, W = rgb.shape[:2]
        names = list(self.card.class_names)
        if out.ndim == 4 and out.shape[0] == 1:
            logits = out[0].astype(np.float32)  # C x h x w
            C = logits.shape[0]
            if names and len(names) != C:
                raise ModelError(
                    f"{self.source}: model gives {C} classes but the card names {len(names)}"
                )
            if C == 1:  # one logit channel: foreground vs background
                prob = 1.0 / (1.0 + np.exp(-cv2.resize(logits[0], (W, H))))
                cmap = (prob >= 0.5).astype(np.int32)
                scores = np.where(cmap == 1, prob, 1.0 - prob).astype(np.float32)
                names = names if len(names) == 2 else ["background", names[0] if names else "foreground"]
            else:
                chans = []
                for i in range(0, C, 256):  # cv2.resize handles at most 512 channels
                    part = np.ascontiguousarray(logits[i : i + 256].transpose(1, 2, 0))
                    up = cv2.resize(part, (W, H), interpolation=cv2.INTER_LINEAR)
                    chans.append(up.reshape(H, W, -1))
                up = np.concatenate(chans, axis=2)
                cmap = np.argmax(up, axis=2).astype(np.int32)
                mx = np.take_along_axis(up, cmap[..., None], 2)[..., 0]
                scores = (1.0 / np.exp(up - mx[..., None]).sum(axis=2)).astype(np.float32)
        elif out.ndim in (2, 3):
            idx = out[0] if out.ndim == 3 else out
            cmap = cv2.resize(idx.astype(np.int32), (W, H), interpolation=cv2.INTER_NEAREST)
            scores = None
        else:
            raise ModelError(f"{self.source}: unexpected output shape {out.shape} for a semantic model")
        if not names:
            names = [f"class_{i}" for i in range(int(cmap.max()) + 1)]
        report(progress, 2, 2, "segmenting")
        return SegmentationResult(class_map=cmap, class_scores=scores, class_names=names)


def load_semantic(card: ModelCard) -> SemanticSegmenter:
    path = card.file("model")
    if card.framework == "onnx":
        sess = onnx_session(path)
        name = sess.get_inputs()[0].name

        def run(x: np.ndarray) -> np.ndarray:
            return sess.run(None, {name: x})[0]

        return SemanticSegmenter(card, run, str(path))
    if card.framework == "torchscript":
        module = torchscript_module(path)

        def run_ts(x: np.ndarray) -> np.ndarray:
            import torch

            with torch.inference_mode():
                y = module(torch.from_numpy(x))
            if isinstance(y, dict):  # torchvision-style {"out": logits}
                y = y.get("out", next(iter(y.values())))
            if isinstance(y, (tuple, list)):
                y = y[0]
            return y.numpy()

        return SemanticSegmenter(card, run_ts, str(path))
    raise ModelError(f"{card.source}: semantic models must be onnx or torchscript, not {card.framework}")
