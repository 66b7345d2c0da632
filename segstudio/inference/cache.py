"""Embedding cache: a byte-bounded in-memory LRU keyed by (model id, image content hash), so
going back to an image, or an image prefetched in the background, costs no second encoder run."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

import numpy as np


def image_key(rgb: np.ndarray) -> str:
    """Content hash of an image (shape + pixels); ~5 ms for 1 MP."""
    h = hashlib.blake2b(digest_size=16)
    h.update(str((rgb.shape, rgb.dtype.str)).encode())
    h.update(np.ascontiguousarray(rgb).data)
    return h.hexdigest()


def _nbytes(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(v) for v in value)
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values())
    return 64


class EmbeddingCache:
    def __init__(self, max_bytes: int = 512 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[str, str], tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, model_id: str, key: str) -> Any | None:
        with self._lock:
            item = self._items.get((model_id, key))
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end((model_id, key))
            self.hits += 1
            return item[0]

    def put(self, model_id: str, key: str, value: Any) -> None:
        size = _nbytes(value)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop((model_id, key), None)
            if old is not None:
                self._bytes -= old[1]
            self._items[(model_id, key)] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes and self._items:
                _, (_, s) = self._items.popitem(last=False)
                self._bytes -= s

    def has(self, model_id: str, key: str) -> bool:
        with self._lock:
            return (model_id, key) in self._items

    def __contains__(self, item: tuple[str, str]) -> bool:
        with self._lock:
            return item in self._items

    @property
    def nbytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


# One process-wide cache shared by all models (the GUI worker, the CLI).
SHARED = EmbeddingCache()
