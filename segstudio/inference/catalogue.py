"""The catalogue of public click models a user may choose to download (never fetched unless
asked): `resources/catalogue/click_models.yaml`, read into plain dataclasses and checked.

An entry names its files by role (encoder, decoder), each with a URL (or a member of the
entry's archive), a size in bytes (or an approximate size where none is published) and a
SHA-256 (or MD5) checksum.  A malformed entry is refused whole with a message naming it; the
other entries stay usable.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from segstudio.inference.base import ModelError

CATALOGUE_PATH = Path(__file__).resolve().parent.parent / "resources" / "catalogue" / "click_models.yaml"
CATALOGUE_ENV = "SEGSTUDIO_MODEL_CATALOGUE"  # a site's own catalogue file replaces the built-in one
LAYOUTS = ("sam", "efficientsam", "sam2")
_HEX = {"sha256": 64, "md5": 32}
_SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


@dataclass(frozen=True)
class RemoteFile:
    """One file of a model: fetched from `url`, or extracted as `member` of the archive."""

    role: str
    name: str  # file name inside the installed model's folder
    algorithm: str  # sha256 | md5
    digest: str
    url: str = ""
    member: str = ""
    size: int | None = None  # exact bytes when published
    approx_size: int | None = None
    checksum_source: str = ""
    size_source: str = ""

    @property
    def expected_bytes(self) -> int:
        """Exact size if known, else the approximate one (for progress and free space)."""
        return self.size or self.approx_size or 0


@dataclass(frozen=True)
class CatalogueEntry:
    id: str
    name: str
    layout: str
    licence: str
    source_page: str
    files: tuple[RemoteFile, ...]
    prompts: tuple[str, ...] = ()
    archive: RemoteFile | None = None
    export: str = ""
    encoder_s: float | None = None  # expected CPU cost on 2 cores
    click_ms: float | None = None
    cost_basis: str = ""  # "estimate" or "published: <where>"

    @property
    def download_bytes(self) -> int:
        if self.archive is not None:
            return self.archive.expected_bytes
        return sum(f.expected_bytes for f in self.files)

    @property
    def sizes_exact(self) -> bool:
        parts = [self.archive] if self.archive is not None else list(self.files)
        return all(p.size for p in parts)

    def file(self, role: str) -> RemoteFile:
        for f in self.files:
            if f.role == role:
                return f
        raise ModelError(f"catalogue entry {self.id!r} has no {role!r} file")

    @property
    def downloads(self) -> tuple[RemoteFile, ...]:
        """What is fetched over the network: the archive, or each file."""
        return (self.archive,) if self.archive is not None else self.files


@dataclass
class Catalogue:
    entries: list[CatalogueEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    source: Path | None = None

    def get(self, model_id: str) -> CatalogueEntry:
        for e in self.entries:
            if e.id == model_id:
                return e
        known = ", ".join(e.id for e in self.entries)
        hint = f"; problems: {'; '.join(self.problems)}" if self.problems else ""
        raise ModelError(f"{model_id!r} is not in the model catalogue (known: {known}{hint})")


def _checksum(where: str, raw: dict[str, Any]) -> tuple[str, str]:
    for algo, length in _HEX.items():
        value = raw.get(algo)
        if value is None:
            continue
        if not isinstance(value, str):  # YAML reads unquoted all-digit hex as a number
            raise ModelError(f"{where}: {algo} must be a quoted string of hex digits")
        value = value.lower()
        if len(value) != length or any(c not in "0123456789abcdef" for c in value):
            raise ModelError(f"{where}: {algo} must be {length} hex digits, got {value!r}")
        return algo, value
    raise ModelError(f"{where}: needs a sha256 (or md5) checksum")


def _size(where: str, raw: dict[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ModelError(f"{where}: {key} must be a positive number of bytes, got {value!r}")
    return value


def _remote(where: str, role: str, raw: Any, in_archive: bool) -> RemoteFile:
    if not isinstance(raw, dict):
        raise ModelError(f"{where}: must be a mapping")
    algo, digest = _checksum(where, raw)
    url, member = str(raw.get("url", "")), str(raw.get("member", ""))
    if in_archive:
        if not member:
            raise ModelError(f"{where}: files of an archive entry name their 'member'")
        name = Path(member).name
    else:
        if urlparse(url).scheme not in ("https", "http"):
            raise ModelError(f"{where}: url must be http(s), got {url!r}")
        name = Path(urlparse(url).path).name
    if not _SAFE_NAME.match(name):
        raise ModelError(f"{where}: unsafe file name {name!r}")
    size, approx = _size(where, raw, "size"), _size(where, raw, "approx_size")
    if size is None and approx is None:
        raise ModelError(f"{where}: needs a size (or approx_size)")
    return RemoteFile(role, name, algo, digest, url, member, size, approx,
                      str(raw.get("checksum_source", "")), str(raw.get("size_source", "")))


def parse_entry(raw: Any, index: int) -> CatalogueEntry:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise ModelError(f"catalogue entry #{index + 1}: needs a string 'id'")
    mid = raw["id"]
    where = f"catalogue entry {mid!r}"
    if not _SAFE_NAME.match(mid):
        raise ModelError(f"{where}: id may use letters, digits, '.', '_' and '-' only")
    layout = raw.get("layout")
    if layout not in LAYOUTS:
        raise ModelError(f"{where}: layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    archive = None
    if raw.get("archive") is not None:
        archive = _remote(f"{where} archive", "archive", raw["archive"], in_archive=False)
    files_raw = raw.get("files")
    if not isinstance(files_raw, dict) or set(files_raw) != {"encoder", "decoder"}:
        raise ModelError(f"{where}: 'files' must give an encoder and a decoder")
    files = tuple(_remote(f"{where} {role}", role, files_raw[role], archive is not None)
                  for role in ("encoder", "decoder"))
    if files[0].name == files[1].name:
        raise ModelError(f"{where}: encoder and decoder have the same file name")
    cost = raw.get("expected_cpu") or {}
    return CatalogueEntry(
        id=mid, name=str(raw.get("name") or mid), layout=layout,
        licence=str(raw.get("licence", "")), source_page=str(raw.get("source_page", "")),
        files=files, prompts=tuple(str(p) for p in raw.get("prompts", []) or []),
        archive=archive, export=str(raw.get("export", "")),
        encoder_s=float(cost["encoder_s"]) if "encoder_s" in cost else None,
        click_ms=float(cost["click_ms"]) if "click_ms" in cost else None,
        cost_basis=str(cost.get("basis", "")),
    )


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """The catalogue; entries that do not parse are listed in `problems`, not raised."""
    import yaml

    if path is None:
        path = os.environ.get(CATALOGUE_ENV) or CATALOGUE_PATH
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ModelError(f"{path}: cannot read the model catalogue ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise ModelError(f"{path}: a model catalogue is a mapping with a 'models' list")
    cat = Catalogue(source=path)
    seen: set[str] = set()
    for i, raw in enumerate(data["models"]):
        try:
            entry = parse_entry(raw, i)
        except ModelError as exc:
            cat.problems.append(f"{path}: {exc}")
            continue
        if entry.id in seen:
            cat.problems.append(f"{path}: catalogue entry {entry.id!r} appears twice")
            continue
        seen.add(entry.id)
        cat.entries.append(entry)
    return cat
