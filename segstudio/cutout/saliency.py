"""Which model selects the subject: the built-in U²-Netp, a U²-Netp weights file, or a model card.

The model layer (`segstudio.inference`) owns the networks and imports torch
lazily; this module only picks one and wraps it as a `SaliencyFn`
(RGB uint8 -> float32 HxW in [0,1]).  Nothing heavy is imported until a
saliency function is actually requested.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from segstudio.core.tasks import CancelToken

BUILTIN_ID = "u2netp-salient"


class SaliencyModelError(Exception):
    """The requested subject-selection model is unknown or cannot be loaded."""


SECOND_LOOK_MARGIN = 0.1  # crop margin around the first look's subject, fraction of its size
SECOND_LOOK_MAX_AREA = 0.8  # a subject box covering more of the frame than this gains nothing


class SaliencyModel:
    """A loaded subject-selection model.  Call it with an RGB uint8 image.

    With `second_look` (the default) the network looks twice: once at the whole photo to find
    the subject, then at a crop around it (`second_look`), where the subject fills the
    network's small input and its outline comes out sharper."""

    def __init__(self, model_id: str, segmenter: Any, normalize: bool = True, input_size: int | None = None,
                 second_look: bool = True) -> None:
        self.model_id = model_id
        self._segmenter = segmenter
        self.normalize = normalize
        self.input_size = input_size
        self.second_look = second_look

    def __call__(self, rgb8: np.ndarray, cancel: CancelToken | None = None) -> np.ndarray:
        rgb = np.ascontiguousarray(rgb8[..., :3])
        soft = self.look(rgb, cancel)
        return second_look(rgb, soft, self.look, cancel) if self.second_look else soft

    def look(self, rgb: np.ndarray, cancel: CancelToken | None = None) -> np.ndarray:
        """One pass of the network over `rgb` (RGB uint8): the soft map in [0, 1]."""
        import cv2

        h, w = rgb.shape[:2]
        if self.input_size and (h, w) != (self.input_size, self.input_size):
            # Reduce to the network's input ourselves with a sharp (not area-averaged) kernel:
            # U²-Net was trained on non-antialiased resizes, and on DAVIS a Lanczos reduction
            # gives +1.4 IoU points over INTER_AREA (bench/cutout_quality.py, 60 images).
            small = cv2.resize(rgb, (self.input_size, self.input_size), interpolation=cv2.INTER_LANCZOS4)
            out = np.asarray(self._segmenter.saliency(small, cancel), np.float32)
            out = cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)
        else:
            out = np.asarray(self._segmenter.saliency(rgb, cancel), np.float32)
        out = np.clip(out, 0.0, 1.0)
        return normalize_saliency(out) if self.normalize else out


def second_look(rgb: np.ndarray, soft: np.ndarray, look, cancel: CancelToken | None = None) -> np.ndarray:
    """The subject looked at again, up close: `look` run on a crop around `soft`'s subject
    (its box grown by SECOND_LOOK_MARGIN), zero outside the crop.

    A whole-photo pass sees the subject at the network's 320x320 input, so a small subject gets
    few pixels and a blurred outline; the crop gives it the whole input.  On DAVIS-345 this
    raised mean IoU from 0.727 to 0.760 and the share of images at IoU >= 0.90 from 29 % to 42 %
    (docs/cutout.md).  The first look is kept when it finds no subject, when the subject already
    fills the frame, or when the second look finds nothing in the crop."""
    from segstudio.inference.interactive_zoom import zoom_box

    mask = soft >= 0.5
    if not mask.any():
        return soft
    box = zoom_box(mask, (), SECOND_LOOK_MARGIN)
    if box is None:
        return soft
    x0, y0, x1, y1 = box
    if (x1 - x0) * (y1 - y0) > SECOND_LOOK_MAX_AREA * mask.size or min(x1 - x0, y1 - y0) < 8:
        return soft
    close = np.asarray(look(np.ascontiguousarray(rgb[y0:y1, x0:x1]), cancel), np.float32)
    if not (close >= 0.5).any():
        return soft
    out = np.zeros_like(soft, dtype=np.float32)
    out[y0:y1, x0:x1] = close
    return out


def normalize_saliency(soft: np.ndarray, min_range: float = 0.1) -> np.ndarray:
    """Stretch a saliency map to [0, 1] (min-max), as the U²-Net reference inference does.

    The network's sigmoid output often peaks below 1 on real photos; stretching it makes the
    0.5 threshold select the whole subject (+0.4 IoU points on DAVIS, bench/cutout_quality.py).
    A nearly flat map (range < `min_range`, i.e. no subject) is left alone instead of turning
    noise into a full-frame selection."""
    lo, hi = float(soft.min()), float(soft.max())
    if hi - lo < min_range:
        return soft
    return np.clip((soft - np.float32(lo)) / np.float32(hi - lo), 0.0, 1.0).astype(np.float32)


class _CardSegmenter:
    """A model-card image segmenter that returns a soft map (e.g. a salient-object card)."""

    def __init__(self, model: Any, model_id: str) -> None:
        self._model = model
        self._id = model_id

    def saliency(self, rgb8: np.ndarray, cancel: CancelToken | None = None) -> np.ndarray:
        result = self._model.segment(rgb8, cancel)
        soft = getattr(result, "soft", None)
        if soft is None:
            raise SaliencyModelError(f"model {self._id!r} gives no soft foreground map")
        return soft


class _OnnxU2Net:
    """A U²-Net-family ONNX file (e.g. rembg's u2netp.onnx) run with onnxruntime through the
    model layer's session helper and U²-Net preprocessing: the same network as the built-in
    torch model, on a faster CPU runtime."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        from segstudio.inference.runtime import io_names, onnx_session
        from segstudio.inference.u2net import INPUT_SIZE

        self._sess = onnx_session(path, threads)
        inputs = self._sess.get_inputs()
        shape = list(inputs[0].shape) if inputs else []
        if len(inputs) != 1 or len(shape) != 4 or shape[1] not in (3, "3") or any(
            isinstance(d, int) and d != INPUT_SIZE for d in shape[2:]
        ):
            raise SaliencyModelError(
                f"{path}: expected one input of shape [N, 3, {INPUT_SIZE}, {INPUT_SIZE}] (a U²-Net "
                f"model), found {[(i.name, i.shape) for i in inputs]}"
            )
        ins, outs = io_names(self._sess)
        self._input = ins[0]
        self._outputs = outs[:1]  # the fused map; the side outputs' sigmoids are then skipped
        self._path = path

    def saliency(self, rgb8: np.ndarray, cancel: CancelToken | None = None) -> np.ndarray:
        import cv2

        from segstudio.inference.u2net import preprocess

        if cancel is not None:
            cancel.check()
        out = self._sess.run(self._outputs, {self._input: preprocess(rgb8)[None]})[0]
        small = np.asarray(out, np.float32).reshape(out.shape[-2:])
        h, w = rgb8.shape[:2]
        return np.clip(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), 0.0, 1.0)


def load_saliency(model: str | Path | None = None, threads: int | None = None, *,
                  second_look: bool = True) -> SaliencyModel:
    """The built-in model (None or its id), a U²-Netp weights file (.pt / .pth), a U²-Net ONNX
    file (.onnx, run with onnxruntime on `threads` threads), or a model-card id / card file;
    `second_look=False` for one pass (about half the time, a coarser outline)."""
    chosen = _load_saliency(model, threads)
    chosen.second_look = second_look
    return chosen


def _load_saliency(model: str | Path | None, threads: int | None) -> SaliencyModel:
    from segstudio.inference.u2net import INPUT_SIZE, MODEL_ID, SalientSegmenter

    if model is None or str(model) in (BUILTIN_ID, MODEL_ID):
        return SaliencyModel(MODEL_ID, SalientSegmenter(), input_size=INPUT_SIZE)
    path = Path(model).expanduser()
    suffix = path.suffix.lower()
    if suffix in (".pt", ".pth", ".onnx"):
        if not path.is_file():
            raise SaliencyModelError(f"{path}: model file not found")
        try:
            if suffix == ".onnx":
                return SaliencyModel(path.stem, _OnnxU2Net(path, threads), input_size=INPUT_SIZE)
            seg = SalientSegmenter(weights=path)
            seg._net()  # load now, so a wrong file is reported before any image is processed
        except SaliencyModelError:
            raise
        except Exception as e:  # ModelError, ValueError, OSError from the model layer
            raise SaliencyModelError(str(e)) from None
        return SaliencyModel(path.stem, seg, input_size=INPUT_SIZE)
    from segstudio.inference import registry
    from segstudio.inference.base import ModelError

    try:
        card = registry.find(str(model))
    except ModelError as e:
        raise SaliencyModelError(f"unknown subject-selection model {str(model)!r}: use {BUILTIN_ID!r}, "
                                 f"a U²-Netp .pt or .onnx file, or a model card ({e})") from None
    if card.kind != "salient":
        raise SaliencyModelError(f"model {card.id!r} is a {card.kind!r} model; subject selection needs "
                                 "a salient-object model")
    try:
        loaded = registry.load(card)
    except Exception as e:
        raise SaliencyModelError(f"model {card.id!r}: {e}") from None
    return SaliencyModel(card.id, _CardSegmenter(loaded, card.id))
