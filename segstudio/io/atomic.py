"""Atomic outputs: an export leaves the old dataset or the new one, whole, even when killed.

Everything is written into a hidden staging folder beside the destination and moved into
place only when the whole export succeeded:

* a single file (`atomic_file`): temp file in the same folder, then `os.replace`;
* a folder (`StagedOutput`): files are staged under `.<name>.<random>.segstudio-tmp/` and, on
  commit, the staging folder is renamed to the destination when it does not exist (one atomic
  rename).  Otherwise the destination's previous export of the same kind (listed in its
  manifest, `.<name>.segstudio-export.<kind>.json` beside the folder, so the dataset holds only
  its own files) is replaced as a whole: a journal is written, the files to be replaced and the
  previous export's files the new one does not write (stale ones) are moved aside into the
  staging folder, the new files are moved in, the manifest is rewritten, and removing the
  journal is the commit point.  Files no export of that kind wrote (the user's own) are never
  touched.

A process killed at any moment leaves a staging folder behind.  The next export to the same
destination (or any caller of `clean_stale`) finds it; the staging folder's lock (`flock`,
released by the kernel when its process dies) tells a dead export's leftovers from a running
one's.  A journal still present means the commit did not finish: it is rolled back, restoring
the old export whole.  Then the leftovers are removed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; leftovers are removed only once old (see _owner_gone)
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

SUFFIX = ".segstudio-tmp"
LOCK = ".segstudio-lock"
JOURNAL = ".segstudio-commit.json"
ASIDE = ".segstudio-old"
MANIFEST = ".{name}.segstudio-export.{kind}.json"  # beside the destination folder
UNLOCKED_GRACE_S = 3600.0  # a leftover nobody can lock-check is removed only after this long


# --------------------------------------------------------------------------- locks
def _lock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)


def _owner_gone(path: Path) -> bool:
    """True when the process that created `path` (a staging folder or temp file) has ended."""
    target = path / LOCK if path.is_dir() else path
    if fcntl is None or not target.exists():
        try:  # no lock to test (Windows, or a folder killed before its lock existed)
            return time.time() - path.stat().st_mtime > (UNLOCKED_GRACE_S if fcntl is None else 60)
        except OSError:
            return False
    try:
        fd = os.open(target, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True  # nobody holds it: its owner is gone
    except OSError:
        return False
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- cleaning up
def clean_stale(dst: str | Path) -> int:
    """Roll back or remove what killed exports to `dst` left beside it; returns how many."""
    dst = Path(dst).absolute()
    parent = dst.parent
    if not parent.is_dir():
        return 0
    n = 0
    for entry in parent.glob(f".{_glob_escape(dst.name)}.*{SUFFIX}"):
        if not _owner_gone(entry):
            continue
        try:
            if entry.is_dir():
                if (entry / JOURNAL).exists():
                    _roll_back(entry, dst)
                shutil.rmtree(entry)
            else:
                entry.unlink()
            n += 1
        except OSError as e:  # leave it for the next run; never fail an export for it
            log.warning("%s: cannot remove an interrupted export's leftovers (%s)", entry, e)
    lock = dst / LOCK  # a folder published by rename just before its owner was killed
    if dst.is_dir() and lock.exists() and _owner_gone(dst):
        with contextlib.suppress(OSError):
            lock.unlink()
    return n


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _roll_back(stage: Path, dst: Path) -> None:
    """Undo an unfinished commit: the old export comes back whole, the new files go."""
    journal = json.loads((stage / JOURNAL).read_text(encoding="utf-8"))
    _write_manifest(Path(journal["manifest"]), journal["old_manifest"])
    aside = stage / ASIDE
    moved = set(journal["moved"])
    for rel in journal["new"]:
        target, old = dst / rel, aside / rel
        if old.exists() or old.is_symlink():
            if target.exists() or target.is_symlink():
                target.unlink()
            os.replace(old, target)
        elif rel not in moved and (target.exists() or target.is_symlink()):
            target.unlink()  # a new file moved in; no old one had this name
    for rel in moved.difference(journal["new"]):  # stale files of the old export
        old = aside / rel
        if old.exists() or old.is_symlink():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(old, dst / rel)
    log.warning("%s: an interrupted export was rolled back; the previous export is back", dst)


def manifest_path(folder: Path, kind: str) -> Path:
    return folder.parent / MANIFEST.format(name=folder.name, kind=kind)


def _write_manifest(path: Path, files: list[str] | None) -> None:
    if files is None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps({"files": files}, indent=0), encoding="utf-8")
    os.replace(tmp, path)


def read_manifest(folder: Path, kind: str) -> list[str] | None:
    """The files the last export of `kind` wrote into `folder` (None: no such record)."""
    try:
        data = json.loads(manifest_path(folder, kind).read_text(encoding="utf-8"))
        files = data["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return [f for f in files if _inside(f)]


def _inside(rel: str) -> bool:
    p = Path(rel)
    return bool(rel) and not p.is_absolute() and ".." not in p.parts


# --------------------------------------------------------------------------- outputs
@contextlib.contextmanager
def atomic_file(path: str | Path, mode: str = "wb") -> Iterator:
    """Open a temp file beside `path`; it replaces `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=SUFFIX, dir=path.parent)
    _lock(fd)  # held while the file is written: a killed writer's temp file is told apart
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as f:
            yield f
            f.flush()
            if os.name == "posix":  # renamed while still locked
                os.replace(tmp, path)
        if os.name != "posix":  # Windows cannot rename an open file
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class StagedOutput:
    """Stage files for a destination folder; `commit()` publishes, `abort()` discards.

    Use as a context manager: it commits when the block succeeds and aborts otherwise.
    `path(rel)` gives the staged location of a file that will end up at `dst / rel`.  `kind`
    names the export (its format): the manifest it writes lists its files, so the next export
    of that kind into the same folder removes the ones it no longer writes.
    """

    def __init__(self, dst: str | Path, kind: str = "export") -> None:
        self.dst = Path(dst).absolute()
        if self.dst.exists() and not self.dst.is_dir():
            raise NotADirectoryError(f"{self.dst}: exists and is not a folder")
        self.dst.parent.mkdir(parents=True, exist_ok=True)
        self.kind = kind
        clean_stale(self.dst)
        self.stage = Path(tempfile.mkdtemp(prefix=f".{self.dst.name}.", suffix=SUFFIX, dir=self.dst.parent))
        self._lock_fd: int | None = os.open(self.stage / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        _lock(self._lock_fd)
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
        new = sorted(rel for rel in dict.fromkeys(self.written) if (self.stage / rel).exists())
        try:
            if not self.dst.exists():
                _write_manifest(manifest_path(self.dst, self.kind), new)  # no folder: no files yet
                os.rename(self.stage, self.dst)  # one atomic step: the folder appears whole
                with contextlib.suppress(OSError):
                    (self.dst / LOCK).unlink()
                return
            self._replace(new)
        finally:
            self._release()

    def _replace(self, new: list[str]) -> None:
        dst, stage = self.dst, self.stage
        old_manifest = read_manifest(dst, self.kind)
        stale = sorted(set(old_manifest or ()).difference(new))
        moved = [rel for rel in [*new, *stale] if (dst / rel).exists() or (dst / rel).is_symlink()]
        journal = stage / JOURNAL
        tmp = stage / (JOURNAL + ".part")
        manifest = manifest_path(dst, self.kind)
        tmp.write_text(json.dumps({"new": new, "moved": moved, "manifest": str(manifest),
                                   "old_manifest": old_manifest}), encoding="utf-8")
        os.replace(tmp, journal)  # from here a kill is rolled back by the next run
        aside = stage / ASIDE
        try:
            for rel in moved:
                (aside / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(dst / rel, aside / rel)
            for rel in new:
                (dst / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(stage / rel, dst / rel)
            _write_manifest(manifest, new)
        except OSError:  # e.g. a folder inside dst on another file system: the old export back
            _roll_back(stage, dst)
            raise
        journal.unlink()  # the commit point: the new export is in place
        shutil.rmtree(stage, ignore_errors=True)
        _remove_empty_parents(dst, stale)

    def _release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        if self.stage.exists():
            shutil.rmtree(self.stage, ignore_errors=True)

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        self._release()

    def __enter__(self) -> StagedOutput:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


def _remove_empty_parents(root: Path, rels: list[str]) -> None:
    """Remove the folders the stale files leave empty (never `root` itself)."""
    for rel in rels:
        folder = (root / rel).parent
        while folder != root and root in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent


def write_files_atomically(files: dict[Path, bytes]) -> None:
    """Write many files in different folders all-or-nothing: every file goes to a temp file
    beside its target first; only when all are written are they renamed into place.  The temp
    files stay open and locked until renamed, so a killed writer's are told apart (and removed
    by the next run)."""
    temps: list[tuple[int, str, Path]] = []
    try:
        for target in files:
            clean_stale(target)
        for target, data in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=SUFFIX, dir=target.parent)
            temps.append((fd, tmp, target))
            _lock(fd)
            _write_all(fd, data)
        for _fd, tmp, target in temps:
            os.replace(tmp, target)
    except BaseException:
        for _fd, tmp, _ in temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    finally:
        for fd, _, _ in temps:
            os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
