"""Images at http(s) or object-store URLs (s3://, gs://, ...), read through `fsspec`.

A project may name an image by URL instead of a relative path.  Such images are read-only:
the first read copies the file into a local cache (`$XDG_CACHE_HOME/segstudio/remote`, bounded
by `SEGSTUDIO_REMOTE_CACHE_MB`, default 2048 MB: the least recently used files go first) and
every later read uses the copy, so the app never waits on the network twice for one image and
keeps working offline with what it has seen.  Credentials for object stores are fsspec's
business (its config, the environment, instance roles), never the project's.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path, PurePosixPath

SCHEMES = ("http://", "https://", "s3://", "gs://", "gcs://", "az://", "abfs://")
DEFAULT_CACHE_MB = 2048
_lock = threading.Lock()


class RemoteImageError(OSError):
    """A remote image could not be read (the message names the URL and why)."""


def is_remote(path: object) -> bool:
    """A URL string (a `Path` is always local)."""
    return isinstance(path, str) and path.lower().startswith(SCHEMES)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "segstudio" / "remote"


def cache_limit() -> int:
    try:
        return int(float(os.environ.get("SEGSTUDIO_REMOTE_CACHE_MB", DEFAULT_CACHE_MB)) * 2**20)
    except ValueError:
        return DEFAULT_CACHE_MB * 2**20


def cached_path(url: str, folder: Path | None = None) -> Path:
    """Where `url`'s copy lives (the file name keeps the URL's extension: readers use it)."""
    digest = hashlib.sha1(url.encode()).hexdigest()
    suffix = PurePosixPath(url.split("?", 1)[0]).suffix.lower()[:8]
    return (folder or cache_dir()) / digest[:2] / f"{digest}{suffix}"


def local_copy(url: str, *, folder: Path | None = None, limit: int | None = None) -> Path:
    """A local file with `url`'s bytes: the cached copy, fetched first when missing."""
    target = cached_path(url, folder)
    if target.is_file():
        os.utime(target)  # recently used: evicted last
        return target
    try:
        import fsspec
    except ImportError:
        raise RemoteImageError(f"{url}: remote images need fsspec: pip install 'segstudio[remote]'") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, fsspec.open(url, "rb") as src:
            while chunk := src.read(1 << 20):
                out.write(chunk)
        os.replace(tmp, target)
    except Exception as e:
        Path(tmp).unlink(missing_ok=True)
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RemoteImageError(f"{url}: cannot be read ({reason})") from None
    evict(folder or cache_dir(), cache_limit() if limit is None else limit, keep=target)
    return target


def evict(folder: Path, limit: int, keep: Path | None = None) -> int:
    """Remove the least recently used copies until `folder` holds at most `limit` bytes."""
    with _lock:
        files = [(p.stat().st_mtime, p.stat().st_size, p) for p in folder.glob("*/*") if p.is_file()
                 and not p.name.endswith(".part")]
        total = sum(s for _, s, _ in files)
        removed = 0
        for _, size, path in sorted(files):
            if total <= limit:
                break
            if path == keep:
                continue
            path.unlink(missing_ok=True)
            total -= size
            removed += 1
        return removed
