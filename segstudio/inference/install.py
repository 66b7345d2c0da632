"""Installing click models into the user's models folder: from the catalogue (`pull`), from
files the user already has (`add_local`), and removing them (`remove`).

Layout of the models folder (`$SEGSTUDIO_MODELS` or `$XDG_DATA_HOME/segstudio/models`):

    <id>/segstudio-model.yaml     the card, written last: a folder without it is no model
    <id>/<encoder file> <decoder file>
    .downloads/<id>--<file>.part  partial downloads, resumed by the next pull
    .downloads/<id>.lock          held while a pull of <id> runs (one at a time per model)

Nothing is half-installed after a failure: files are downloaded to `.part`, verified, moved
into a staging folder, the staging folder is renamed to `<id>` in one step and the card is then
written atomically (temp file + rename).  A failure anywhere removes the staging folder; only a
partial download that can be resumed is kept.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from segstudio.core.tasks import CancelToken, ProgressFn
from segstudio.inference.base import ModelError
from segstudio.inference.cards import user_models_dir
from segstudio.inference.catalogue import LAYOUTS, CatalogueEntry, RemoteFile
from segstudio.inference.download import (
    DownloadError,
    fetch,
    human_bytes,
    mirror_base,
    mirror_url,
    verify,
)

CARD_NAME = "segstudio-model.yaml"
DOWNLOADS = ".downloads"
_MARK = "installed_by"  # cards we wrote carry this key; `remove` deletes nothing else


@dataclass(frozen=True)
class InstallState:
    installed: bool
    card: Path | None = None
    partial_bytes: int = 0  # bytes of a resumable partial download


def models_root(models_dir: Path | None = None) -> Path:
    return Path(models_dir) if models_dir is not None else user_models_dir()


def state(entry: CatalogueEntry, models_dir: Path | None = None) -> InstallState:
    root = models_root(models_dir)
    card = root / entry.id / CARD_NAME
    partial = sum(_part(root, entry.id, d).stat().st_size
                  for d in entry.downloads if _part(root, entry.id, d).is_file())
    if not card.is_file():
        return InstallState(False, None, partial)
    for f in entry.files:
        p = root / entry.id / f.name
        if not p.is_file() or (f.size is not None and p.stat().st_size != f.size):
            return InstallState(False, card, partial)
    return InstallState(True, card, partial)


def _part(root: Path, model_id: str, remote: RemoteFile) -> Path:
    return root / DOWNLOADS / f"{model_id}--{remote.name}.part"


@contextlib.contextmanager
def _exclusive(root: Path, model_id: str) -> Iterator[None]:
    """One pull of a model at a time (the GUI and the CLI may both try)."""
    lock_dir = root / DOWNLOADS
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_dir / f"{model_id}.lock"
    fh = open(path, "a+")  # noqa: SIM115 - held for the whole block
    try:
        try:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # Windows: no advisory lock, a second pull would fail on rename
            pass
        except OSError as exc:
            raise DownloadError(f"{model_id}: already being downloaded by another SegStudio") from exc
        yield
    finally:
        fh.close()


def _card_text(model_id: str, name: str, layout: str, files: dict[str, str], licence: str,
               description: str, extra: dict[str, object]) -> str:
    from segstudio.inference.cards import card_text

    return card_text({
        "id": model_id, "name": name, "kind": "sam", "framework": "onnx", "layout": layout,
        "files": files, "licence": licence, "description": description, _MARK: "segstudio",
        **extra,
    })


def _publish(staging: Path, final: Path, card_text: str) -> Path:
    """Rename the staging folder into place, replacing an older install, then write the card."""
    trash = None
    if final.exists():
        trash = final.with_name(f".old-{final.name}-{uuid.uuid4().hex[:8]}")
        os.replace(final, trash)
    os.replace(staging, final)
    tmp = final / f".{CARD_NAME}.tmp"
    tmp.write_text(card_text, encoding="utf-8")
    os.replace(tmp, final / CARD_NAME)
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)
    return final / CARD_NAME


def _staging(root: Path, model_id: str) -> Path:
    d = root / f".staging-{model_id}-{uuid.uuid4().hex[:8]}"
    d.mkdir(parents=True)
    return d


def _source_url(entry: CatalogueEntry, remote: RemoteFile, mirror: str | None) -> str:
    return mirror_url(mirror, entry.id, remote.name) if mirror else remote.url


def pull(
    entry: CatalogueEntry,
    models_dir: Path | None = None,
    mirror: str | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """Download, verify and install a catalogue model; returns its card.  Already installed:
    returns at once.  `mirror` overrides $SEGSTUDIO_MODEL_MIRROR ("" = the publisher)."""
    root = models_root(models_dir)
    root.mkdir(parents=True, exist_ok=True)
    base = mirror_base(mirror)
    with _exclusive(root, entry.id):
        st = state(entry, root)
        if st.installed and st.card is not None:
            return st.card
        total = entry.download_bytes
        done_before = 0
        parts: list[tuple[RemoteFile, Path]] = []
        for remote in entry.downloads:
            label = f"{entry.id}/{remote.name}"
            offset = done_before

            def scaled(done, _total, message, offset=offset):
                if progress is not None:
                    progress(offset + done, max(total, offset + done), message)

            part = fetch(_source_url(entry, remote, base), _part(root, entry.id, remote), label,
                         remote.size, remote.approx_size, scaled, cancel)
            if progress is not None:
                progress(offset + part.stat().st_size, total, f"{label}: verifying checksum")
            verify(part, remote.algorithm, remote.digest, label, cancel)
            parts.append((remote, part))
            done_before += part.stat().st_size
        staging = _staging(root, entry.id)
        try:
            if entry.archive is not None:
                _extract(entry, parts[0][1], staging, cancel)
            else:
                for remote, part in parts:
                    os.replace(part, staging / remote.name)
            text = _card_text(
                entry.id, entry.name, entry.layout,
                {f.role: f.name for f in entry.files}, entry.licence,
                f"{entry.name} from the SegStudio catalogue ({entry.source_page})",
                {"catalogue": {f.role: f"{f.algorithm}:{f.digest}" for f in entry.files},
                 "source_page": entry.source_page, "prompts": list(entry.prompts)},
            )
            card = _publish(staging, root / entry.id, text)
        except OSError as exc:
            raise DownloadError(f"{entry.id}: cannot install into {root} ({exc})") from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if entry.archive is not None:
            parts[0][1].unlink(missing_ok=True)
        return card


def _extract(entry: CatalogueEntry, archive: Path, staging: Path, cancel: CancelToken | None) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            names = {Path(n).name: n for n in zf.namelist() if not n.endswith("/")}
            for f in entry.files:
                member = names.get(Path(f.member).name)
                if member is None:
                    raise DownloadError(f"{entry.id}: {archive.name} lacks {f.member}")
                with zf.open(member) as src, open(staging / f.name, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                verify(staging / f.name, f.algorithm, f.digest, f"{entry.id}/{f.name}", cancel)
    except zipfile.BadZipFile as exc:
        archive.unlink(missing_ok=True)
        raise DownloadError(f"{entry.id}: {archive.name} is not a zip archive ({exc})") from exc


def remove(model_id: str, models_dir: Path | None = None) -> bool:
    """Delete an installed model (and partial downloads of it).  Only folders whose card SegStudio
    wrote are deleted.  Returns whether anything was removed."""
    root = models_root(models_dir)
    removed = False
    for part in (root / DOWNLOADS).glob(f"{model_id}--*.part"):
        part.unlink(missing_ok=True)
        removed = True
    folder = root / model_id
    card = folder / CARD_NAME
    if not folder.exists():
        return removed
    if not card.is_file() or f"{_MARK}: segstudio" not in card.read_text(encoding="utf-8", errors="replace"):
        raise ModelError(f"{folder}: not a model SegStudio installed; remove it by hand if you mean to")
    trash = root / f".old-{model_id}-{uuid.uuid4().hex[:8]}"
    os.replace(folder, trash)  # the model disappears in one step
    shutil.rmtree(trash, ignore_errors=True)
    return True


def detect_layout(decoder: Path) -> str:
    """The layout of a decoder file, from its input names."""
    from segstudio.inference.runtime import io_names, onnx_session

    names = set(io_names(onnx_session(decoder))[0])
    if {"batched_point_coords", "batched_point_labels"} <= names:
        return "efficientsam"
    if any(n.startswith("high_res_feat") for n in names):
        return "sam2"
    if {"point_coords", "point_labels"} <= names:
        return "sam"
    raise ModelError(
        f"{decoder}: not a known click-model decoder (inputs: {', '.join(sorted(names))}); "
        f"supported layouts: {', '.join(LAYOUTS)}"
    )


def add_local(
    encoder: Path,
    decoder: Path,
    layout: str | None = None,
    model_id: str | None = None,
    name: str | None = None,
    models_dir: Path | None = None,
    licence: str = "",
) -> Path:
    """Install an encoder/decoder pair the user already has (offline): copied into the models
    folder, checked to load, card written.  Returns the card."""
    encoder, decoder = Path(encoder), Path(decoder)
    for p in (encoder, decoder):
        if not p.is_file():
            raise ModelError(f"{p}: file not found")
    if layout is not None and layout not in LAYOUTS:
        raise ModelError(f"unknown layout {layout!r} (expected one of {', '.join(LAYOUTS)})")
    layout = layout or detect_layout(decoder)
    model_id = model_id or encoder.stem.replace(".encoder", "").replace("_encoder", "")
    if not model_id or "/" in model_id or model_id.startswith("."):
        raise ModelError(f"invalid model id {model_id!r}")
    root = models_root(models_dir)
    root.mkdir(parents=True, exist_ok=True)
    enc_name, dec_name = encoder.name, decoder.name
    if enc_name == dec_name:
        enc_name, dec_name = f"encoder-{enc_name}", f"decoder-{dec_name}"
    free = shutil.disk_usage(root).free
    need = encoder.stat().st_size + decoder.stat().st_size
    if free < need:
        raise ModelError(f"disk full: {root} has {human_bytes(free)} free, the pair needs {human_bytes(need)}")
    staging = _staging(root, model_id)
    try:
        shutil.copyfile(encoder, staging / enc_name)
        shutil.copyfile(decoder, staging / dec_name)
        text = _card_text(model_id, name or model_id, layout, {"encoder": enc_name, "decoder": dec_name},
                          licence, f"added from {encoder.parent}", {})
        _check_loads(staging, text)
        return _publish(staging, root / model_id, text)
    except OSError as exc:
        raise ModelError(f"cannot install {model_id} into {root} ({exc})") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _check_loads(folder: Path, card_text: str) -> None:
    """Open the pair with its layout before installing it, so a wrong file is refused now."""
    from segstudio.inference import registry
    from segstudio.inference.cards import parse_card

    probe = folder / f"probe-{CARD_NAME}"
    probe.write_text(card_text, encoding="utf-8")
    try:
        registry.load(parse_card(probe))
    finally:
        probe.unlink(missing_ok=True)
