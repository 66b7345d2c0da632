"""Image paths read from a dataset stay inside the dataset, links included.

An annotation file names its images; a hostile one names `/etc/passwd`, `../../.ssh/id_rsa` or
a symlink in the dataset pointing out of it, and the next export copies (or embeds) that file.
`Confined` resolves every such path against the dataset's root folder and refuses the ones
that leave it, lexically (`..`, absolute paths) or through a link (each folder is resolved
once, each file costs one lstat).  `trust_paths=true` (a common import option) accepts them:
for datasets the user trusts, e.g. annotation files naming images by absolute path.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator
from pathlib import Path

from segstudio.io.errors import FormatError

TRUST_HINT = "if you trust this dataset, import it with the option trust_paths=true"
_LENIENT: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("lenient", default=None)


@contextlib.contextmanager
def lenient() -> Iterator[list[str]]:
    """Within it, paths leaving the dataset are collected (messages) instead of refused: for
    `validate`, which reads but imports nothing and reports them as warnings, so validating an
    export that references images where they lie (`../`) still checks everything else."""
    found: list[str] = []
    token = _LENIENT.set(found)
    try:
        yield found
    finally:
        _LENIENT.reset(token)


NAME_MAX = 255  # bytes in one path component (Linux, macOS); longer names fail every call


def exists(path: Path, kind: str = "any") -> bool:
    """`path.exists()` (kind "file": is_file, "dir": is_dir) that is False, not an OSError, for
    names no file can have (too long, embedded NUL): annotation files name anything."""
    try:
        if kind == "file":
            return path.is_file()
        if kind == "dir":
            return path.is_dir()
        return path.exists()
    except (OSError, ValueError):
        return False


def dataset_root_of(annotation_file: Path) -> Path:
    """The dataset folder an annotation file belongs to: its folder, or the folder above when it
    sits in `annotations/` (the COCO layout: images in a sibling folder)."""
    folder = Path(os.path.abspath(annotation_file)).parent
    if folder.name.lower() in ("annotations", "annotation") and folder.parent != folder:
        return folder.parent
    return folder


class Confined:
    """Paths joined to `base` and checked to lie under `root` (symlinks resolved), or under one
    of `also` (folders the user named in an option, e.g. `images_root`).

    `__call__(name, where)` returns the (unresolved, normalised) path, or raises a FormatError
    naming `file` and `where`; with `trusted` every path is accepted."""

    def __init__(self, root: str | Path, file: str | Path, trusted: bool = False,
                 hint: str = TRUST_HINT, also: tuple = ()) -> None:
        self.root = Path(os.path.abspath(root))
        self.roots = [str(self.root)] + [os.path.abspath(a) for a in also if a]
        self.real_roots = [os.path.realpath(r) for r in self.roots]
        self.file = file
        self.trusted = trusted
        self.hint = hint
        self._folders: dict[str, str] = {}  # folder -> its real path

    def __call__(self, name: str | Path, where: str, base: str | Path | None = None,
                 file: str | Path | None = None) -> Path:
        text = str(name).replace("\\", "/")
        if "\0" in text or any(len(part.encode("utf-8", "surrogatepass")) > NAME_MAX for part in text.split("/")):
            raise FormatError(file or self.file, f"image path {_short(text)!r} is not a file name "
                              f"(a NUL, or a part longer than {NAME_MAX} bytes)", where)
        path = Path(os.path.abspath(os.path.join(base if base is not None else self.root, text)))
        if self.trusted:
            return path
        if not any(_under(str(path), r) for r in self.roots):
            self._refuse(file, name, where, "points outside")
            return path
        real = self.real_path(path)
        if not any(_under(real, r) for r in self.real_roots):
            self._refuse(file, name, where, f"is a link to {real}, outside")
        return path

    def allows(self, path: Path) -> bool:
        """Whether `path` (absolute, normalised) may be used: a lenient reader (`validate`) asks
        before it walks a folder that was let through."""
        if self.trusted:
            return True
        real = self.real_path(path)
        return any(_under(str(path), r) for r in self.roots) and any(_under(real, r) for r in self.real_roots)

    def real_path(self, path: Path) -> str:
        folder, leaf = os.path.split(str(path))
        real_folder = self._folders.get(folder)
        if real_folder is None:
            real_folder = self._folders[folder] = os.path.realpath(folder)
        full = os.path.join(real_folder, leaf)
        return os.path.realpath(full) if os.path.islink(full) else full

    def _refuse(self, file, name, where: str, how: str) -> None:
        error = FormatError(file or self.file, f"image path {str(name)!r} {how} the dataset folder "
                            f"{self.root} ({self.hint})", where)
        found = _LENIENT.get()
        if found is None:
            raise error
        found.append(str(error))


def _under(path: str, root: str) -> bool:
    """`path` is `root` or inside it (both absolute and normalised)."""
    return path == root or path.startswith(root if root.endswith(os.sep) else root + os.sep)


def _short(text: str) -> str:
    return text if len(text) <= 80 else f"{text[:40]}...{text[-20:]}"
