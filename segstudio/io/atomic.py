"""Atomic outputs: a failed or cancelled export leaves nothing half-written.

Everything is written into a hidden staging folder beside the destination and moved into
place only when the whole export succeeded:

* a single file (`atomic_file`): temp file in the same folder, then `os.replace`;
* a folder (`StagedOutput`): files are staged under `.<name>.segstudio-tmp-*` and, on commit,
  the staging folder is renamed to the destination when it does not exist (one atomic rename),
  otherwise each staged file replaces its target with `os.replace` (each file is whole; no
  partially written file is ever visible).  On error or cancellation the staging folder is
  removed and the destination is untouched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_file(path: str | Path, mode: str = "wb") -> Iterator:
    """Open a temp file beside `path`; it replaces `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".segstudio-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class StagedOutput:
    """Stage files for a destination folder; `commit()` publishes, `abort()` discards.

    Use as a context manager: it commits when the block succeeds and aborts otherwise.
    `path(rel)` gives the staged location of a file that will end up at `dst / rel`.
    """

    def __init__(self, dst: str | Path) -> None:
        self.dst = Path(dst).absolute()
        if self.dst.exists() and not self.dst.is_dir():
            raise NotADirectoryError(f"{self.dst}: exists and is not a folder")
        self.dst.parent.mkdir(parents=True, exist_ok=True)
        self.stage = Path(
            tempfile.mkdtemp(prefix=f".{self.dst.name}.", suffix=".segstudio-tmp", dir=self.dst.parent)
        )
        self.written: list[str] = []
        self._done = False

    def path(self, rel: str | Path) -> Path:
        rel = Path(rel)
        if rel.is_absolute() or ".." in rel.parts:
            raise ValueError(f"{rel}: output paths must stay inside {self.dst}")
        p = self.stage / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        self.written.append(rel.as_posix())
        return p

    def write_bytes(self, rel: str | Path, data: bytes) -> Path:
        p = self.path(rel)
        p.write_bytes(data)
        return p

    def write_text(self, rel: str | Path, text: str) -> Path:
        p = self.path(rel)
        p.write_text(text, encoding="utf-8")
        return p

    def commit(self) -> None:
        if self._done:
            return
        self._done = True
        if not self.dst.exists():
            os.rename(self.stage, self.dst)
            return
        try:
            for rel in dict.fromkeys(self.written):
                src = self.stage / rel
                if not src.exists():
                    continue
                target = self.dst / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, target)
        finally:
            shutil.rmtree(self.stage, ignore_errors=True)

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        shutil.rmtree(self.stage, ignore_errors=True)

    def __enter__(self) -> StagedOutput:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


def write_files_atomically(files: dict[Path, bytes]) -> None:
    """Write many files in different folders all-or-nothing: every file goes to a temp file
    beside its target first; only when all are written are they renamed into place."""
    temps: list[tuple[str, Path]] = []
    try:
        for target, data in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".segstudio-tmp", dir=target.parent)
            temps.append((tmp, target))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
    except BaseException:
        for tmp, _ in temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    for tmp, target in temps:
        os.replace(tmp, target)
