"""Fetching one file over HTTP(S) the careful way (standard library only, no Qt, no torch).

* Resumes a partial `.part` file with an HTTP Range request; a server that ignores the range
  (200 instead of 206) or answers another range makes it start over.
* Checks the size the server announces against the catalogue, the free disk space before the
  first byte, and the checksum before anyone may use the file; a mismatching file is deleted.
* Proxies come from the usual environment variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY);
  loopback addresses never go through a proxy.  A mirror base URL
  (`SEGSTUDIO_MODEL_MIRROR`, or passed in) replaces the publisher's URL with
  `<mirror>/<model id>/<file name>`, for sites that copy the files internally.
* Every failure is a `DownloadError` with a one-line message that names the file.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import re
import shutil
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

from segstudio.core.tasks import CancelToken, ProgressFn
from segstudio.inference.base import ModelError

MIRROR_ENV = "SEGSTUDIO_MODEL_MIRROR"
CHUNK = 256 * 1024
TIMEOUT_S = 30.0  # seconds without a byte before giving up
USER_AGENT = "SegStudio model download"
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


class DownloadError(ModelError):
    """A download could not finish; the message is one line and names the file."""


class ChecksumMismatch(DownloadError):
    pass


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000.0
    return f"{n:.1f} GB"


def mirror_url(base: str, model_id: str, file_name: str) -> str:
    return f"{base.rstrip('/')}/{model_id}/{file_name}"


def mirror_base(explicit: str | None = None) -> str | None:
    value = explicit if explicit is not None else os.environ.get(MIRROR_ENV, "")
    return value.strip() or None


def file_digest(path: Path, algorithm: str, cancel: CancelToken | None = None) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            if cancel is not None:
                cancel.check()
            h.update(block)
    return h.hexdigest()


def verify(path: Path, algorithm: str, digest: str, label: str, cancel: CancelToken | None = None) -> None:
    """Raise ChecksumMismatch (after deleting the file) unless its digest matches."""
    got = file_digest(path, algorithm, cancel)
    if got != digest.lower():
        path.unlink(missing_ok=True)
        raise ChecksumMismatch(
            f"{label}: checksum mismatch ({algorithm} {got[:12]}…, expected {digest[:12]}…); "
            "the file was deleted, nothing was installed"
        )


class _Rate:
    """Bytes/s and ETA over the whole transfer, for progress messages."""

    def __init__(self, start_bytes: int) -> None:
        self.t0, self.b0 = time.monotonic(), start_bytes

    def message(self, done: int, total: int) -> str:
        dt = max(1e-6, time.monotonic() - self.t0)
        rate = (done - self.b0) / dt
        text = f"{human_bytes(done)} of {human_bytes(total)}" if total else human_bytes(done)
        if rate > 0:
            text += f", {human_bytes(rate)}/s"
            if total and done < total:
                text += f", ETA {max(0.0, (total - done) / rate):.0f} s"
        return text


def _opener(url: str) -> urllib.request.OpenerDirector:
    host = urlparse(url).hostname or ""
    proxies = {} if host in _LOOPBACK else urllib.request.getproxies()
    if proxies and urllib.request.proxy_bypass(host):
        proxies = {}
    return urllib.request.build_opener(urllib.request.ProxyHandler(proxies))


_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


def _disk_free(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def fetch(
    url: str,
    part: Path,
    label: str,
    size: int | None = None,
    approx_size: int | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    timeout: float = TIMEOUT_S,
    free_space: Callable[[Path], int | None] = _disk_free,
) -> Path:
    """Download `url` into `part`, resuming what is there.  Returns `part` when all bytes are
    in (the caller verifies the checksum).  Cancel keeps the partial file for a later resume."""
    part.parent.mkdir(parents=True, exist_ok=True)
    have = part.stat().st_size if part.is_file() else 0
    if size is not None and have > size:
        part.unlink()
        have = 0
    if size is not None and have == size:
        if progress:
            progress(size, size, f"{label}: {human_bytes(size)} already here")
        return part
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if have:
        req.add_header("Range", f"bytes={have}-")
    if cancel is not None:
        cancel.check()
    try:
        resp = _opener(url).open(req, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # our partial file is not a prefix of theirs: start over
            part.unlink(missing_ok=True)
            return fetch(url, part, label, size, approx_size, progress, cancel, timeout, free_space)
        raise DownloadError(f"{label}: {url} answered HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        host = urlparse(url).hostname or url
        raise DownloadError(
            f"{label}: cannot reach {host} ({getattr(exc, 'reason', exc)}); no network? "
            f"(proxies are read from HTTPS_PROXY/HTTP_PROXY, a mirror from {MIRROR_ENV})"
        ) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise DownloadError(f"{label}: cannot download {url} ({exc})") from exc
    with resp:
        status = getattr(resp, "status", None) or 200
        total: int | None = None
        if have and status == 206:
            m = _CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
            if m is None or int(m.group(1)) != have:
                have = 0  # a range we did not ask for: start over
                resp.close()
                part.unlink(missing_ok=True)
                return fetch(url, part, label, size, approx_size, progress, cancel, timeout, free_space)
            total = int(m.group(3)) if m.group(3) != "*" else None
        else:
            have = 0  # the server sent the whole file (no Range support)
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
        if size is not None and total is not None and total != size:
            raise DownloadError(
                f"{label}: the server offers {total} bytes, the catalogue expects {size}; "
                "wrong file or wrong mirror, nothing was installed"
            )
        total = total or size or approx_size or 0
        free = free_space(part.parent)
        if free is not None and total and free < total - have:
            raise DownloadError(
                f"{label}: disk full: {part.parent} has {human_bytes(free)} free, "
                f"{human_bytes(total - have)} more are needed"
            )
        rate = _Rate(have)
        try:
            with open(part, "ab" if have else "wb") as out:
                if progress:
                    progress(have, total, f"{label}: {rate.message(have, total)}")
                last = 0.0
                while True:
                    if cancel is not None:
                        cancel.check()
                    block = resp.read(CHUNK)
                    if not block:
                        break
                    out.write(block)
                    have += len(block)
                    now = time.monotonic()
                    if progress and (now - last > 0.1 or have >= total):
                        last = now
                        progress(have, total, f"{label}: {rate.message(have, total)}")
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise DownloadError(f"{label}: disk full while writing {part}") from exc
            if isinstance(exc, (socket.timeout, ConnectionError)):
                raise DownloadError(
                    f"{label}: the connection stopped at {human_bytes(have)}; run the download "
                    "again to resume") from exc
            raise DownloadError(f"{label}: cannot write {part} ({exc})") from exc
        except http.client.IncompleteRead as exc:
            raise DownloadError(
                f"{label}: the server closed the connection at {human_bytes(have)} of "
                f"{human_bytes(total)}; run the download again to resume") from exc
    if (size is not None and have != size) or (size is None and total and have < total):
        expected = size if size is not None else total
        raise DownloadError(
            f"{label}: only {have} of {expected} bytes arrived; run the download again to resume"
        )
    return part
