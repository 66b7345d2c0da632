"""Decoded frames of a video: the one byte-bounded LRU (`core.lru`), keyed by frame index.

Bounded by bytes, not by count: the bound is what keeps the app's memory flat while the user
scrubs a long video; the two most recent frames always stay (a 4K frame can outweigh a small
bound, and scrubbing needs the current and the previous one)."""

from __future__ import annotations

import numpy as np

from segstudio.core.lru import ByteLRU

DEFAULT_CACHE_BYTES = 192 * 1024 * 1024  # ~32 frames of 1080p RGB


class FrameCache(ByteLRU[int, np.ndarray]):
    """Frame index -> read-only RGB array."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES, min_frames: int = 2) -> None:
        super().__init__(max_bytes, min_items=min_frames)

    def indices(self) -> list[int]:
        return self.keys()
