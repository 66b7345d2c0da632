"""A byte-bounded LRU cache of decoded frames.

Bounded by bytes, not by count: a 4K frame is four times a 1080p one, and the
bound is what keeps the app's memory flat while the user scrubs a long video.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

DEFAULT_CACHE_BYTES = 192 * 1024 * 1024  # ~32 frames of 1080p RGB


class FrameCache:
    """Maps frame index -> read-only RGB array; evicts the least recently used frames."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES, min_frames: int = 2) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must be >= 0")
        self.max_bytes = int(max_bytes)
        self.min_frames = int(min_frames)  # always keep a few, even when one frame is huge
        self._items: OrderedDict[int, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, index: int) -> np.ndarray | None:
        with self._lock:
            frame = self._items.get(index)
            if frame is None:
                self.misses += 1
                return None
            self._items.move_to_end(index)
            self.hits += 1
            return frame

    def __contains__(self, index: int) -> bool:
        with self._lock:
            return index in self._items

    def put(self, index: int, frame: np.ndarray) -> None:
        if self.max_bytes == 0:
            return
        with self._lock:
            old = self._items.pop(index, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._items[index] = frame
            self._bytes += frame.nbytes
            while self._bytes > self.max_bytes and len(self._items) > self.min_frames:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= dropped.nbytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def indices(self) -> list[int]:
        with self._lock:
            return list(self._items)
