"""Model objects for an application that runs models on worker threads (the GUI's assist)."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Any

INTERACTIVE = "interactive"  # the lane of prompt models: one image's embedding at a time


class ModelHost:
    """Model objects by (lane, card id), loaded on first use on the lane's thread.

    Why keyed by lane: each lane is one thread, so a model object is never used from two
    threads at once even if a card were used both for prompts and for whole images; the
    wrappers keep per-image state (GrabCut's working image, SAM's embedding) that a second
    thread would overwrite."""

    def __init__(self) -> None:
        self._models: dict[tuple[str, str], Any] = {}
        self._image_key: dict[str, Hashable] = {}  # the interactive lane only
        self._lock = threading.Lock()
        self._loading: dict[tuple[str, str], threading.Lock] = {}

    def model(self, card, lane: str = INTERACTIVE) -> Any:
        from segstudio.inference import registry

        key = (lane, card.id)
        with self._lock:
            m = self._models.get(key)
            if m is not None:
                return m
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:  # one load per key even if asked twice
            with self._lock:
                m = self._models.get(key)
            if m is None:
                m = registry.load(card)
                with self._lock:
                    self._models[key] = m
        return m

    def ensure_image(self, card, key, rgb, cancel, progress) -> Any:
        m = self.model(card, INTERACTIVE)
        if self._image_key.get(card.id) != key:
            self._image_key.pop(card.id, None)  # a cancelled set_image leaves no stale key
            m.set_image(rgb, cancel, progress)
            self._image_key[card.id] = key
        return m

    def forget(self) -> None:
        with self._lock:
            self._models.clear()
            self._image_key.clear()
            self._loading.clear()
