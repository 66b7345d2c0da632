"""What every encoder/decoder click model over onnxruntime shares (SAM, EfficientSAM, SAM 2):
the image embedding computed once per image and kept in the embedding cache (memory, then
disk), the current image, the low-resolution logits of the last answer (fed back on the next
click where the layout takes them) and the choice among the decoder's candidate masks.

A layout subclass implements `_encode(rgb) -> embedding` (an array or a dict of arrays) and
`_decode(embedding, prompt, h, w, last_logits) -> Decoded`."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.inference.base import Prompt, PromptResult
from segstudio.inference.cache import SHARED, EmbeddingCache, image_key
from segstudio.inference.cards import ModelCard
from segstudio.inference.runtime import onnx_session


@dataclass
class Decoded:
    masks: np.ndarray  # [K, h', w'] logits (resized to the image here if needed)
    scores: np.ndarray  # [K]
    low_res: np.ndarray | None  # [K, 1, s, s] logits to feed back, or None
    n_points: int  # prompt points the decoder saw, padding included (SAM's mask-choice rule)


def choose_mask(scores: np.ndarray, n_points: int, choice: int | None) -> int:
    """Which candidate to show.  `choice` (user cycling) walks the candidates best-first.
    Otherwise the segment-anything rule: with 4 outputs, output 0 is the single-object answer,
    used when the prompt is unambiguous (3+ points incl. padding), else the best of 1..3."""
    k = len(scores)
    if choice is not None and k > 1:
        return int(np.argsort(-scores, kind="stable")[choice % k])
    if k == 4:
        return 0 if n_points > 2.5 else 1 + int(np.argmax(scores[1:]))
    return int(np.argmax(scores)) if k else 0


def weights_key(model_id: str, *paths: Path) -> str:
    """Identity of a model's weights for the disk cache: id + each file's size and mtime, so a
    replaced file never serves stale embeddings."""
    h = hashlib.blake2b(model_id.encode(), digest_size=8)
    for p in paths:
        try:
            st = Path(p).stat()
            h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
        except OSError:
            h.update(str(p).encode())
    return f"{model_id}-{h.hexdigest()}"


@dataclass(frozen=True)
class OnnxPair:
    """A model card's encoder and decoder sessions, as a layout's constructor takes them."""

    encoder: Any
    decoder: Any
    input_size: int  # the card's input side, 1024 when it names none
    names: tuple[str, str]  # the two files, for error messages
    weights_id: str  # weights_key of the pair (the disk cache's key)


def open_pair(card: ModelCard) -> OnnxPair:
    """Open a card's `encoder` and `decoder` files (the encoder first: its problems are named
    first)."""
    enc, dec = card.file("encoder"), card.file("decoder")
    size = card.input_size[1] if card.input_size else 1024
    return OnnxPair(onnx_session(enc), onnx_session(dec), size, (str(enc), str(dec)),
                    weights_key(card.id, enc, dec))


class PromptOnnxModel:
    """PromptSegmenter over an encoder/decoder pair; subclasses give the layout."""

    layout = ""
    feeds_back_masks = False  # whether later clicks get the previous low-res logits

    def __init__(self, model_id: str, encoder: Any, decoder: Any,
                 cache: EmbeddingCache | None = None, weights_id: str | None = None) -> None:
        self.model_id = model_id
        self._enc = encoder
        self._dec = decoder
        self.cache = cache if cache is not None else SHARED
        # the cache key: the id plus the weights' identity (disk entries outlive a process)
        self.cache_id = weights_id or model_id
        self._lock = threading.Lock()
        self._embedding: Any = None
        self._shape: tuple[int, int] = (0, 0)
        self._last_logits: np.ndarray | None = None
        self._fed_logits: np.ndarray | None = None  # what the last new prompt was fed (re-picks)

    # ----------------------------------------------------------------- embedding
    def _encode(self, rgb: np.ndarray) -> Any:
        raise NotImplementedError

    def _decode(self, emb: Any, prompt: Prompt, h: int, w: int, last: np.ndarray | None) -> Decoded:
        raise NotImplementedError

    def embedding_for(self, rgb: np.ndarray, cancel: CancelToken | None = None) -> Any:
        key = image_key(rgb)
        emb = self.cache.get(self.cache_id, key)
        if emb is None:
            if cancel is not None:
                cancel.check()
            emb = self._encode(rgb)
            self.cache.put(self.cache_id, key, emb)
        return emb

    def has_embedding(self, rgb: np.ndarray) -> bool:
        """Whether set_image would be instant (memory or disk cache)."""
        return self.cache.has(self.cache_id, image_key(rgb))

    def prefetch(self, rgb: np.ndarray, cancel: CancelToken | None = None) -> None:
        """Compute and cache the embedding of an image without making it current."""
        self.embedding_for(rgb, cancel)

    def set_image(self, rgb: np.ndarray, cancel: CancelToken | None = None,
                  progress: ProgressFn | None = None) -> None:
        report(progress, 0, 1, "image embedding")
        emb = self.embedding_for(rgb, cancel)
        with self._lock:
            self._embedding = emb
            self._shape = rgb.shape[:2]
            self._last_logits = self._fed_logits = None
        report(progress, 1, 1, "image embedding")

    # ----------------------------------------------------------------- prompts
    def predict(self, prompt: Prompt, cancel: CancelToken | None = None) -> PromptResult:
        with self._lock:
            emb, (h, w), last = self._embedding, self._shape, self._last_logits
        if emb is None:
            raise RuntimeError("set_image must be called before predict")
        if prompt.is_empty:
            return PromptResult(np.zeros((h, w), bool), 0.0)
        if cancel is not None:
            cancel.check()
        use_prev = self.feeds_back_masks and prompt.prev_mask is not None
        if prompt.mask_choice is None:  # a new prompt: remember what it was fed
            with self._lock:
                self._fed_logits = last if use_prev else None
            fed = last if use_prev else None
        else:  # another candidate of the same prompt: feed what that prompt was fed, not the
            with self._lock:  # candidate shown meanwhile (its logits are `last` by now)
                fed = self._fed_logits if use_prev else None
        out = self._decode(emb, prompt, h, w, fed)
        k = choose_mask(out.scores, out.n_points, prompt.mask_choice)
        logits = out.masks[k]
        if logits.shape != (h, w):
            logits = cv2.resize(logits, (w, h), interpolation=cv2.INTER_LINEAR)
        low = None if out.low_res is None else out.low_res[k : k + 1].astype(np.float32)
        with self._lock:
            self._last_logits = low
        score = float(out.scores[k]) if len(out.scores) else 1.0
        rank = int(np.flatnonzero(np.argsort(-out.scores, kind="stable") == k)[0]) if len(out.scores) else 0
        return PromptResult(logits > 0.0, score, low, k, len(out.scores), rank)


def input_dtype(session: Any, name: str) -> type:
    """numpy dtype a session expects for an input (exports differ: float32 or int64 sizes)."""
    for i in session.get_inputs():
        if i.name == name:
            return np.int64 if "int64" in i.type else np.float32
    return np.float32


def run_named(session: Any, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds)))


def prompt_points(prompt: Prompt) -> tuple[list[tuple[float, float]], list[float]]:
    """The prompt as SAM-family decoder points, in image pixels: clicks labelled 1 (positive) or
    0 (negative), then a box's top-left and bottom-right corners labelled 2 and 3."""
    coords = [(c.x, c.y) for c in prompt.clicks]
    labels = [1.0 if c.positive else 0.0 for c in prompt.clicks]
    if prompt.box is not None:
        x0, y0, x1, y1 = prompt.box
        coords += [(min(x0, x1), min(y0, y1)), (max(x0, x1), max(y0, y1))]
        labels += [2.0, 3.0]
    return coords, labels


def mask_input_side(decoder: Any, default: int = 256) -> int:
    """The side of a decoder's square `mask_input` (the fed-back logits), `default` when the
    export leaves it open."""
    for i in decoder.get_inputs():
        if i.name == "mask_input" and isinstance(i.shape[-1], int):
            return int(i.shape[-1])
    return default


def mask_feeds(last: np.ndarray | None, side: int) -> dict[str, np.ndarray]:
    """`mask_input` and `has_mask_input` of a SAM / SAM 2 decoder: the last answer's
    low-resolution logits, or zeros and a 0 flag on the first click."""
    return {
        "mask_input": (last if last is not None else np.zeros((1, 1, side, side))).astype(np.float32),
        "has_mask_input": np.asarray([1.0 if last is not None else 0.0], np.float32),
    }


def sam_outputs(outs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(masks [K,H,W], scores [K], low-resolution logits [K,1,s,s] or None) of a SAM / SAM 2
    decoder's first batch item; scores are all 1 when the export has no `iou_predictions`."""
    masks = outs.get("masks", next(iter(outs.values())))[0]
    ious = outs.get("iou_predictions")
    scores = ious[0].astype(np.float32) if ious is not None else np.ones(len(masks), np.float32)
    low = outs.get("low_res_masks")
    return masks, scores, None if low is None else low[0][:, None]
