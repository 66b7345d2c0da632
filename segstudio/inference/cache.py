"""Embedding cache: a byte-bounded in-memory LRU keyed by (model id, image content hash), so
going back to an image, or an image prefetched in the background, costs no second encoder run;
with a disk folder, also kept on disk (`<folder>/<model id>/<image hash>.npz`, bounded, oldest
used first out) so reopening a project next week costs no encoder run either.  The model id
given by the SAM-family wrappers includes the weights' identity (prompt_onnx.weights_key)."""

from __future__ import annotations

import hashlib
import os
import re
import threading
import uuid
from collections import OrderedDict
from pathlib import Path
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


DISK_ENV = "SEGSTUDIO_EMBEDDING_CACHE"  # a folder, or "off"


def default_disk_dir() -> Path | None:
    value = os.environ.get(DISK_ENV, "")
    if value.lower() in ("off", "0", "no"):
        return None
    if value:
        return Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "segstudio" / "embeddings"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


class EmbeddingCache:
    def __init__(self, max_bytes: int = 512 * 2**20, disk_dir: Path | None | bool = None,
                 disk_max_bytes: int = 2 * 2**30) -> None:
        """`disk_dir`: a folder, True for the default folder (read when first used, so tests and
        users can point it elsewhere), None for memory only."""
        self.max_bytes = max_bytes
        self._disk = disk_dir
        self.disk_max_bytes = disk_max_bytes
        self.disk_hits = 0
        self._items: OrderedDict[tuple[str, str], tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def disk_dir(self) -> Path | None:
        return default_disk_dir() if self._disk is True else (self._disk or None)

    def _disk_path(self, model_id: str, key: str) -> Path | None:
        d = self.disk_dir()
        return None if d is None else d / _safe(model_id) / f"{_safe(key)}.npz"

    def get(self, model_id: str, key: str) -> Any | None:
        with self._lock:
            item = self._items.get((model_id, key))
            if item is not None:
                self._items.move_to_end((model_id, key))
                self.hits += 1
                return item[0]
        value = self._read_disk(model_id, key)
        with self._lock:
            if value is None:
                self.misses += 1
                return None
            self.disk_hits += 1
        self._remember(model_id, key, value)
        return value

    def has(self, model_id: str, key: str) -> bool:
        with self._lock:
            if (model_id, key) in self._items:
                return True
        p = self._disk_path(model_id, key)
        return p is not None and p.is_file()

    def _read_disk(self, model_id: str, key: str) -> Any | None:
        p = self._disk_path(model_id, key)
        if p is None or not p.is_file():
            return None
        try:
            with np.load(p, allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}
            os.utime(p)  # recently used: evicted last
        except (OSError, ValueError, EOFError):
            p.unlink(missing_ok=True)  # a damaged entry is recomputed, never trusted
            return None
        return data["_"] if list(data) == ["_"] else data

    def _write_disk(self, model_id: str, key: str, value: Any) -> None:
        p = self._disk_path(model_id, key)
        if p is None or not isinstance(value, (np.ndarray, dict)):
            return
        arrays = {"_": value} if isinstance(value, np.ndarray) else value
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            tmp = p.with_name(f".{p.stem}-{uuid.uuid4().hex[:8]}.tmp.npz")
            np.savez(tmp, **arrays)
            os.replace(tmp, p)
            self._evict_disk(p.parent.parent)
        except OSError:
            pass  # a full or read-only disk costs a later recomputation, nothing else

    def _evict_disk(self, root: Path) -> None:
        files = [(f.stat().st_mtime, f.stat().st_size, f) for f in root.glob("*/*.npz")]
        total = sum(s for _, s, _ in files)
        if total <= self.disk_max_bytes:
            return
        for _, size, f in sorted(files, key=lambda t: t[0]):
            f.unlink(missing_ok=True)
            total -= size
            if total <= 0.9 * self.disk_max_bytes:
                break

    def put(self, model_id: str, key: str, value: Any) -> None:
        self._remember(model_id, key, value)
        self._write_disk(model_id, key, value)

    def _remember(self, model_id: str, key: str, value: Any) -> None:
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


# One process-wide cache shared by all models (the GUI worker, the CLI), kept on disk too.
SHARED = EmbeddingCache(disk_dir=True)
