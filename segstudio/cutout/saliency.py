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


class SaliencyModel:
    """A loaded subject-selection model.  Call it with an RGB uint8 image."""

    def __init__(self, model_id: str, segmenter: Any) -> None:
        self.model_id = model_id
        self._segmenter = segmenter

    def __call__(self, rgb8: np.ndarray, cancel: CancelToken | None = None) -> np.ndarray:
        out = self._segmenter.saliency(np.ascontiguousarray(rgb8[..., :3]), cancel)
        return np.clip(np.asarray(out, np.float32), 0.0, 1.0)


def _from_cards(model_id: str) -> Any | None:
    """A salient segmenter from the model-card registry, if it knows `model_id`.  The registry
    is optional here: its absence or a non-salient card yields None."""
    try:
        from segstudio.inference import registry  # type: ignore[attr-defined]
    except ImportError:
        return None
    find = getattr(registry, "find_card", None) or getattr(registry, "get_card", None)
    load = getattr(registry, "load_salient", None) or getattr(registry, "load_model", None)
    if find is None or load is None:
        return None
    try:
        card = find(model_id)
    except (KeyError, LookupError):
        return None
    if card is None:
        return None
    model = load(card)
    return model if hasattr(model, "saliency") else None


def load_saliency(model: str | Path | None = None) -> SaliencyModel:
    """The built-in model (None or its id), a U²-Netp weights file (.pt / .pth), or a card id."""
    from segstudio.inference.u2net import MODEL_ID, SalientSegmenter

    if model is None or str(model) in (BUILTIN_ID, MODEL_ID):
        return SaliencyModel(MODEL_ID, SalientSegmenter())
    path = Path(model)
    if path.suffix.lower() in (".pt", ".pth"):
        if not path.is_file():
            raise SaliencyModelError(f"{path}: weights file not found")
        seg = SalientSegmenter(weights=path)
        try:
            seg._net()  # load now, so a wrong file is reported before any image is processed
        except (OSError, ValueError) as e:
            raise SaliencyModelError(str(e)) from None
        return SaliencyModel(path.stem, seg)
    try:
        seg = _from_cards(str(model))
    except Exception as e:  # a broken card or weights file: report it, do not crash
        raise SaliencyModelError(f"model {model!r}: {e}") from None
    if seg is None:
        raise SaliencyModelError(
            f"unknown subject-selection model {str(model)!r}: use {BUILTIN_ID!r}, a U²-Netp "
            "weights file (.pt), or the id of a salient-object model card"
        )
    return SaliencyModel(str(model), seg)
