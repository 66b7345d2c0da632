"""Embedding cache: the byte-bounded LRU of `core.lru` keyed by (model id, image content hash), so
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
from pathlib import Path
from typing import Any

import numpy as np

from segstudio.core.lru import ByteLRU


def image_key(rgb: np.ndarray) -> str:
    """Content hash of an image (shape + pixels); ~5 ms for 1 MP."""
    h = hashlib.blake2b(digest_size=16)
    h.update(str((rgb.shape, rgb.dtype.str)).encode())
    h.update(np.ascontiguousarray(rgb).data)
    return h.hexdigest()


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
        self._memory: ByteLRU[tuple[str, str], Any] = ByteLRU(max_bytes)
        self._disk = disk_dir
        self.disk_max_bytes = disk_max_bytes
        self._lock = threading.Lock()  # the counters
        self.hits = 0
        self.misses = 0
        self.disk_hits = 0

    @property
    def max_bytes(self) -> int:
        return self._memory.max_bytes

    def disk_dir(self) -> Path | None:
        return default_disk_dir() if self._disk is True else (self._disk or None)

    def _disk_path(self, model_id: str, key: str) -> Path | None:
        d = self.disk_dir()
        return None if d is None else d / _safe(model_id) / f"{_safe(key)}.npz"

    def get(self, model_id: str, key: str) -> Any | None:
        value = self._memory.get((model_id, key))
        if value is not None:
            with self._lock:
                self.hits += 1
            return value
        value = self._read_disk(model_id, key)
        with self._lock:
            if value is None:
                self.misses += 1
                return None
            self.disk_hits += 1
        self._memory.put((model_id, key), value)
        return value

    def has(self, model_id: str, key: str) -> bool:
        if (model_id, key) in self._memory:
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
        self._memory.put((model_id, key), value)
        self._write_disk(model_id, key, value)

    def __contains__(self, item: tuple[str, str]) -> bool:
        return item in self._memory

    @property
    def nbytes(self) -> int:
        return self._memory.nbytes

    def clear(self) -> None:
        self._memory.clear()


# One process-wide cache shared by all models (the GUI worker, the CLI), kept on disk too.
SHARED = EmbeddingCache(disk_dir=True)
