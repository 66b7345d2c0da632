"""Reading a project for export: images in order with their instances, and image references."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from segstudio.core.instance import Instance
from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.io.reports import ExportReport
from segstudio.store.project import ImageRecord, Project


def export_file(dst: Path, suffix: str, default_name: str) -> Path:
    """The one file a single-file export writes: `dst` itself when it names one (by its
    `suffix`, e.g. ".xml"), else `default_name` inside the folder `dst`."""
    return dst if dst.suffix.lower() == suffix else dst / default_name


def export_images(project: Project, options: dict) -> list[ImageRecord]:
    """Still images of the export (videos are the video formats' business)."""
    split = options.get("split")
    return [r for r in project.images(split=split) if r.kind == "image"]


def iter_images(
    project: Project,
    options: dict,
    rep: ExportReport,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> Iterator[tuple[ImageRecord, list[Instance]]]:
    """(image, instances bottom->top) for every exported image; counts images in the report."""
    records = export_images(project, options)
    skipped_videos = sum(1 for r in project.images(split=options.get("split")) if r.kind != "image")
    if skipped_videos:
        rep.skip(f"{skipped_videos} videos", "video frames are exported by the video formats")
    label_set = options.get("label_set", "gt")
    total = len(records)
    for k, rec in enumerate(records):
        if cancel is not None:
            cancel.check()
        instances = [i for i in project.load_instances(rec.id, 0, label_set) if not i.mask.is_empty]
        rep.images += 1
        yield rec, instances
        report(progress, k + 1, total, rec.name)


def category_names(project: Project) -> dict[int, str]:
    return {c.id: c.name for c in project.categories()}


def stem_names(records: list[ImageRecord]) -> dict[int, str]:
    """A unique output stem per image: the file stem, made unique with its folder when needed."""
    counts: dict[str, int] = {}
    for r in records:
        s = Path(r.path).stem
        counts[s] = counts.get(s, 0) + 1
    out: dict[int, str] = {}
    taken: set[str] = set()
    for r in records:
        stem = Path(r.path).stem
        if counts[stem] > 1:
            parts = [p for p in Path(r.path).with_suffix("").parts if p not in ("..", ".")]
            stem = "__".join(parts[-3:])
        out[r.id] = unique_name(stem, taken)
    return out


def unique_name(base: str, taken: set[str]) -> str:
    """`base`, or `base_2`, `base_3`... the first not in `taken`; added to `taken`."""
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def not_an_image(src: Path) -> str | None:
    """Why `src` must not be copied or embedded as an image (None: it is one).  A project's image
    path may name anything a hostile dataset put there (`/etc/passwd`); exports check first."""
    from segstudio.core.image_header import HeaderError, read_header

    try:
        if not src.is_file():
            return "not a regular file"
        read_header(src)
    except (OSError, HeaderError) as e:
        return f"not an image ({e})"
    return None


def place_image(src: Path, target: Path, how: str, rep: ExportReport | None = None) -> bool:
    """Copy, hard/sym-link the image file to `target` (inside a staging folder), only if it is an
    image: otherwise a warning in `rep` and False (without `rep`: a ValueError)."""
    problem = not_an_image(src)
    if problem:
        if rep is None:
            raise ValueError(f"{src}: {problem}")
        rep.warn(f"{src}: {problem}; not {'copied' if how == 'copy' else 'linked'}")
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    if how == "copy":
        shutil.copy2(src, target)
    elif how == "link":
        try:
            os.link(src, target)
        except OSError:
            os.symlink(os.path.abspath(src), target)
    else:
        raise ValueError(f"unknown image placement {how!r}")
    return True


def place_record_image(project: Project, rec: ImageRecord, out, rel_stem: str, how: str,
                       rep: ExportReport) -> None:
    """`rec`'s image file into the staged export `out` as `<rel_stem><suffix>` (`how`: copy,
    link or none); a missing file is a warning that names the image, and the export goes on."""
    if how == "none":
        return
    src = project.image_path(rec)
    if not src.exists():
        rep.warn(f"{rec.name}: image file missing, not {'copied' if how == 'copy' else 'linked'}")
        return
    place_image(src, out.path(f"{rel_stem}{src.suffix.lower()}"), how, rep)


IMAGE_PLACEMENTS = ("reference", "copy", "link")


def image_refs(project: Project, records: list[ImageRecord], out_dir: Path, how: str,
               rep: ExportReport, stage=None, subdir: str = "images") -> dict[int, str]:
    """Image id -> the path an export writes for it, relative to `out_dir` (the folder of the
    annotation file), so that the export's own reader and `segstudio validate` find it.

    how: "reference" names the image where it is (a relative path, `../` allowed); "copy" and
    "link" put it into `<out_dir>/<subdir>/` (through `stage`, a StagedOutput for `out_dir`)
    under a unique name.  A missing image is referenced where it should be, with a warning."""
    if how not in IMAGE_PLACEMENTS:
        raise ValueError(f"unknown image placement {how!r}; expected one of {', '.join(IMAGE_PLACEMENTS)}")
    out_dir = Path(os.path.abspath(out_dir))
    real_out = os.path.realpath(out_dir)
    root = os.path.realpath(project.root)
    stems = stem_names(records) if how != "reference" else {}
    refs: dict[int, str] = {}
    for r in records:
        src = os.path.normpath(os.path.join(root, r.path))
        if how != "reference":
            if os.path.isfile(src):
                name = f"{subdir}/{stems[r.id]}{Path(r.path).suffix}"
                assert stage is not None
                if place_image(Path(src), stage.path(name), how, rep):
                    refs[r.id] = name
                    continue
            rep.warn(f"{r.path}: image file not found; not {how}ed (referenced where it should be)")
        refs[r.id] = Path(os.path.relpath(src, real_out)).as_posix()
    return refs
