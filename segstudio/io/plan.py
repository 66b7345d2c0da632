"""Import plans: what a reader found, applied to a project in ONE transaction (or only reported).

Readers never touch the project: they return an `ImportPlan` (images with absolute paths and
their instances, categories in file order, plus the reader's notes in `report`).  `apply_plan`
writes it all-or-nothing; with `dry_run=True` it only computes what would happen.

Instances carry either a `MaskPatch` or, for fast paths, an already-encoded patch RLE
(`PatchRle`: the exact form the store keeps) so large COCO files avoid per-instance decoding.
Very large files skip the per-instance objects too: `ImportPlan.columns` (see
`segstudio.io.plan_columns`) holds their instances as columns, masks still being computed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from segstudio.core import rle as core_rle
from segstudio.core.categories import color_hex, default_color, is_ignore_name
from segstudio.core.drawn import DrawnShape
from segstudio.core.masks import MaskPatch
from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.io.plan_columns import InstanceColumns
from segstudio.io.reports import ImportReport
from segstudio.store.bulk import ImportWriter, image_sizes
from segstudio.store.project import Project

IMPORTED_IMAGES = "imported_images"  # embedded images (LabelMe imageData) extracted here


@dataclass(frozen=True)
class PatchRle:
    """A mask as the store keeps it: compressed RLE of its tight box at (y0, x0)."""

    y0: int
    x0: int
    h: int
    w: int
    counts: str
    area: int


@dataclass
class PlanInstance:
    category: str
    mask: MaskPatch | None = None
    rle: PatchRle | None = None
    crowd: bool = False
    score: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    track_id: int | None = None
    frame: int = 0
    shape: DrawnShape | None = None  # the vector shape the mask was drawn from (kept for export)

    def patch_rle(self) -> PatchRle:
        if self.rle is not None:
            return self.rle
        assert self.mask is not None
        m = self.mask.tight()
        if m.data.size == 0:
            return PatchRle(0, 0, 0, 0, "", 0)
        return PatchRle(m.y0, m.x0, m.height, m.width, core_rle.encode(m.data)["counts"], m.area)


@dataclass
class PlanCategory:
    name: str
    color: tuple[int, int, int] | None = None
    supercategory: str | None = None
    ignore: bool = False  # an ignore region (see Category.ignore)


@dataclass
class PlanImage:
    path: Path  # absolute path of the image file
    width: int
    height: int
    instances: list[PlanInstance] = field(default_factory=list)
    split: str | None = None
    kind: str = "image"
    frame_count: int = 1
    fps: float | None = None
    ref: str = ""  # how the source names it, for messages
    embedded: bytes | None = None  # image file bytes carried by the annotation (LabelMe imageData)
    source: Path | None = None  # the file declaring it (default: the import's source)
    where: str = ""  # where in that file its size is declared, for messages


@dataclass
class ImportPlan:
    report: ImportReport
    images: list[PlanImage] = field(default_factory=list)
    categories: list[PlanCategory] = field(default_factory=list)
    columns: InstanceColumns | None = None  # more instances, as columns (fast paths)
    _declared: set[str] = field(default_factory=set, repr=False)  # names in `categories`

    def category(self, name: str, color=None, supercategory: str | None = None,
                 ignore: bool | None = None) -> str:
        """Declare a category (first declaration wins) and return its name.  `ignore`: an
        ignore region (default: by its name, e.g. LabelMe's `__ignore__`)."""
        if len(self._declared) != len(self.categories):  # appended to directly: re-index
            self._declared = {c.name for c in self.categories}
        if name not in self._declared:
            flag = is_ignore_name(name) if ignore is None else ignore
            self.categories.append(PlanCategory(name, color, supercategory, flag))
            self._declared.add(name)
        return name


def apply_plan(
    project: Project,
    plan: ImportPlan,
    *,
    dry_run: bool = False,
    mode: str = "append",
    label_set: str = "gt",
    require_images: bool = True,
    stem_match: bool = True,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> ImportReport:
    """Write `plan` into `project` in one transaction; nothing is written when anything fails.

    mode "append" adds instances above existing ones; "replace" replaces the annotations of
    every image the plan touches.  Images are matched by path, then (when the file named by the
    source does not exist) by a unique file name in the project, then by a unique file stem.
    """
    if mode not in ("append", "replace"):
        raise ValueError(f"unknown import mode {mode!r} (append or replace)")
    kw: dict[str, Any] = dict(mode=mode, label_set=label_set, require_images=require_images,
                              stem_match=stem_match, progress=progress, cancel=cancel)
    if dry_run:
        return _apply(project, plan, dry_run=True, **kw)
    # The plan is matched against the project under the write lock, in the transaction that
    # writes it: two imports at once then run one after the other, each seeing the other's
    # images and categories (before, the second inserted the same image or category again and
    # died with an IntegrityError).  Waiting for the lock is reported (store.locking).
    with project.transaction():
        return _apply(project, plan, dry_run=False, **kw)


def _apply(project: Project, plan: ImportPlan, *, dry_run: bool, mode: str, label_set: str,
           require_images: bool, stem_match: bool, progress: ProgressFn | None,
           cancel: CancelToken | None) -> ImportReport:
    rep = plan.report
    rep.dry_run = dry_run
    if not dry_run:
        remove_orphaned_imports(project)  # a killed import's extracted images (we hold the lock)
    written: list[Path] = []  # images extracted for this import go with it if it fails
    cols = plan.columns
    try:
        images, selected = _select_images(project, plan, dry_run, require_images, stem_match, written)
        if cols is not None and (dry_run or mode == "replace"):
            cols.resolve(rep)  # exact counts, and the images to replace, before anything is written
        cats = project.categories()
        cat_ids: dict[str, int] = {c.name: c.id for c in cats}
        new_cats = [c for c in plan.categories if c.name not in cat_ids]
        used = {inst.category for im, _, _ in images for inst in im.instances}
        if cols is not None:
            used |= cols.categories(selected)
        for name in sorted(used - set(cat_ids) - {c.name for c in new_cats}):
            new_cats.append(PlanCategory(name, ignore=is_ignore_name(name)))
        rep.categories_added = [c.name for c in new_cats]
        rep.images = len(images)
        rep.images_matched = sum(1 for _, _, iid in images if iid is not None)
        rep.images_added = rep.images - rep.images_matched
        for im, _, _ in images:
            for inst in im.instances:
                rep.count(inst.category)
        if cols is not None and cols.resolved:
            cols.count(selected, rep)
        if dry_run:
            return rep
        _write(project, plan, images, new_cats, cats, cat_ids, mode, label_set, progress, cancel,
               selected)
    except BaseException:
        for p in written:
            p.unlink(missing_ok=True)
        raise
    finally:
        if cols is not None:
            cols.close()
    total = len(images)
    report(progress, total, total, "done")
    return rep


def _select_images(project: Project, plan: ImportPlan, dry_run: bool, require_images: bool,
                   stem_match: bool, written: list[Path]
                   ) -> tuple[list[tuple[PlanImage, str, int | None]], list[bool]]:
    """The plan images to import as (plan image, relative path, existing id or None), and per
    plan image whether it is imported.  Images are matched by path, then (when the file named by
    the source does not exist) by a unique file name in the project, then by a unique stem;
    declared sizes are checked against the project's record or the image file."""
    rep = plan.report
    sizes = image_sizes(project)
    existing = {p: v[0] for p, v in sizes.items()}
    by_name: dict[str, list[str]] = {}
    by_stem: dict[str, list[str]] = {}
    for p in existing:
        name = p.rsplit("/", 1)[-1]
        by_name.setdefault(name, []).append(p)
        by_stem.setdefault(name.rsplit(".", 1)[0], []).append(p)
    images: list[tuple[PlanImage, str, int | None]] = []
    listing = _Listing()
    rel_of = _RelPaths(project, listing)
    selected: list[bool] = []
    for im in plan.images:
        selected.append(False)
        checked = False
        if im.embedded is not None and not im.path.exists():
            problem = check_image_file(im, rep)  # before anything is written
            if problem:
                rep.skip(im.ref or str(im.path), problem)
                continue
            checked = True
            if not dry_run:
                im.path = _materialise(project, im, written)
        rel = rel_of(im.path)
        iid = existing.get(rel)
        on_disk = False  # asked once, only where it matters
        if iid is None and im.embedded is None and not (on_disk := listing.exists(im.path)):
            same = by_name.get(im.path.name, [])
            if not same and stem_match:
                same = by_stem.get(im.path.stem, [])
            if len(same) == 1:  # the file moved, or the dataset points elsewhere: same image
                iid = existing[same[0]]
                rel = same[0]
            elif require_images:
                rep.skip(im.ref or str(im.path), "image file not found")
                continue
        if iid is not None:
            _check_size(im, sizes[rel][1:], "the project's image", rep)
        elif not checked and (im.embedded is not None or on_disk):
            problem = check_image_file(im, rep)
            if problem:
                rep.skip(im.ref or str(im.path), problem)
                continue
        selected[-1] = True
        images.append((im, rel, iid))
    return images, selected


HEADER_BYTES = 4096  # enough for most headers; the reader fetches more from the file if needed


def check_image_file(im: PlanImage, rep: ImportReport) -> str | None:
    """For a still image the project does not hold yet: None when its file (or embedded bytes)
    is missing or a readable image of the declared size; the reason to skip it when it is not
    an image; a FormatError when the declared size is not the image's (its masks would not
    fit it: a poisoned project)."""
    from segstudio.core.image_header import HeaderError, read_header

    if im.kind != "image":
        return None
    try:
        try:
            with open(im.path, "rb") as f:
                head = read_header(im.path, f.read(HEADER_BYTES))
        except (FileNotFoundError, NotADirectoryError):
            if im.embedded is None:
                return None
            head = read_header(None, im.embedded)
    except IsADirectoryError:
        return "is a folder, not an image"
    except (OSError, HeaderError, OverflowError) as e:
        return f"not a readable image ({e})"
    _check_size(im, (head.width, head.height), "the image file", rep)
    return None


def _check_size(im: PlanImage, actual: tuple[int, int], what: str, rep: ImportReport) -> None:
    from segstudio.io.errors import FormatError

    if (im.width, im.height) != tuple(actual):
        raise FormatError(im.source or rep.source or None,
                          f"declares {im.path.name} as {im.width}x{im.height}, but {what} "
                          f"is {actual[0]}x{actual[1]}", im.where)


class _Listing:
    """Whether files exist, from one listing per folder (os.scandir) instead of a stat per file:
    an import of 10,000 images asks about each several times.  Links are followed as
    `os.path.exists` follows them; an unlistable folder falls back to asking per file."""

    def __init__(self) -> None:
        self.dirs: dict[str, dict[str, bool] | None] = {}  # folder -> {name: is a link}

    def _entries(self, folder: str) -> dict[str, bool] | None:
        if folder not in self.dirs:
            try:
                with os.scandir(folder) as it:
                    self.dirs[folder] = {e.name: e.is_symlink() for e in it}
            except (FileNotFoundError, NotADirectoryError):
                self.dirs[folder] = {}  # no such folder: nothing in it exists (no stat per file)
            except OSError:
                self.dirs[folder] = None
        return self.dirs[folder]

    def is_link(self, path: str) -> bool:
        folder, name = os.path.split(path)
        entries = self._entries(folder)
        return os.path.islink(path) if entries is None else entries.get(name, False)

    def exists(self, path: Path | str) -> bool:
        full = os.path.abspath(path)
        folder, name = os.path.split(full)
        entries = self._entries(folder)
        if entries is None or entries.get(name, False):  # unlistable, or a link: follow it
            return os.path.exists(full)
        return name in entries


class _RelPaths:
    """`project.relative_path` with each folder resolved once (10,000 images: 10,000 fewer
    realpath walks); same result, symlinked folders included."""

    def __init__(self, project: Project, listing: _Listing | None = None) -> None:
        self.root = os.path.realpath(project.root)
        self.dirs: dict[str, tuple[str, str]] = {}  # folder -> (real folder, its relative path)
        self.listing = listing or _Listing()

    def __call__(self, path: Path) -> str:
        folder, name = os.path.split(os.path.abspath(path))
        got = self.dirs.get(folder)
        if got is None:
            real = os.path.realpath(folder)
            got = self.dirs[folder] = (real, self._rel(real))
        real, rel = got
        full = os.path.join(real, name)
        if self.listing.is_link(full):
            return self._rel(os.path.realpath(full))
        return name if rel == "." else f"{rel}/{name}"  # relpath once per folder, not per file

    def _rel(self, full: str) -> str:
        try:
            return Path(os.path.relpath(full, self.root)).as_posix()
        except ValueError:  # another drive on Windows
            return Path(full).as_posix()


def _materialise(project: Project, im: PlanImage, written: list[Path]) -> Path:
    """Write an embedded image into `<project>/imported_images/`, by content: the same bytes
    already there (a re-import) are used again, never copied to `name_2.png`; other bytes under
    a taken name get the name plus a digest of their content.  Written whole or not at all."""
    folder = project.root / IMPORTED_IMAGES
    folder.mkdir(exist_ok=True)
    data = im.embedded or b""
    target = folder / im.path.name
    if _holds(target, data):
        return target
    if target.exists():
        target = folder / f"{im.path.stem}_{hashlib.sha256(data).hexdigest()[:12]}{im.path.suffix}"
        if _holds(target, data):
            return target
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    written.append(target)
    return target


def _holds(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def remove_orphaned_imports(project: Project) -> int:
    """Delete files in `<project>/imported_images/` that no image of the project names: what an
    import killed before its commit left (the import that wrote them holds the write lock, so
    call this under it).  Returns how many files went."""
    folder = project.root / IMPORTED_IMAGES
    if not folder.is_dir():
        return 0
    used = project.image_paths_under(IMPORTED_IMAGES)
    n = 0
    for f in folder.iterdir():
        if f.is_file() and f"{IMPORTED_IMAGES}/{f.name}" not in used:
            with contextlib.suppress(OSError):
                f.unlink()
                n += 1
    return n


def _write(project, plan, images, new_cats, cats, cat_ids, mode, label_set, progress, cancel,
           selected) -> None:
    total = len(images)
    with project.transaction():
        db = ImportWriter(project)
        n = len(cats)
        for k, pc in enumerate(new_cats):
            color = pc.color or default_color(n + k)
            cat_ids[pc.name] = db.add_category(pc.name, color_hex(color), pc.supercategory, n + k, pc.ignore)
        now = time.time()
        ids: list[int] = []
        # new images get the ids SQLite would give them one by one (we hold the write lock),
        # so one executemany inserts them: 10,000 images, 10,000 fewer statements
        next_image = db.next_image_id()
        new_rows, split_rows = [], []
        created: dict[str, int] = {}  # two entries naming one new file (by content) are one image
        for im, rel, iid in images:
            if iid is None:
                iid = created.get(rel)
            if iid is None:
                iid, next_image = next_image, next_image + 1
                created[rel] = iid
                new_rows.append((iid, rel, int(im.width), int(im.height), im.kind, im.frame_count, im.fps,
                                 im.split, now, now))
            elif im.split is not None:
                split_rows.append((im.split, iid))
            ids.append(iid)
        db.add_images(new_rows)
        db.set_splits(split_rows)
        if cancel is not None:
            cancel.check()
        touched = [iid for (im, _, _), iid in zip(images, ids) if im.instances]
        cols = plan.columns
        image_ids: list[int | None] = []  # per plan image: its row id (None: not imported)
        if cols is not None:
            it = iter(ids)
            image_ids = [next(it) if s else None for s in selected]
            if mode == "replace":  # resolved: every instance is known to be non-empty
                touched = list(dict.fromkeys(
                    touched + [image_ids[i] for i in cols.image if image_ids[i] is not None]))
        next_id: dict[int, int] = {}
        next_z: dict[int, int] = {}
        if mode == "replace":
            db.clear(touched, label_set)
        else:
            for iid, (nid, nz) in db.next_ids(label_set).items():
                next_id[iid], next_z[iid] = nid, nz
        db.ensure_label_set(label_set, now)
        rows = []
        for k, ((im, _, _), iid) in enumerate(zip(images, ids)):
            nid, nz = next_id.get(iid, 1), next_z.get(iid, 0)
            for inst in im.instances:
                r = inst.patch_rle()
                attrs = json.dumps(inst.attributes) if inst.attributes else "{}"
                drawn = inst.shape.with_area(r.area).to_json() if inst.shape is not None else None
                rows.append((
                    iid, inst.frame, label_set, nid, cat_ids[inst.category], r.counts,
                    r.y0, r.x0, r.h, r.w, r.x0, r.y0, r.w, r.h, r.area, nz, "import",
                    inst.score, attrs, inst.track_id, int(inst.crowd), drawn,
                ))
                nid += 1
                nz += 1
            next_id[iid], next_z[iid] = nid, nz
            if len(rows) >= 20000:
                db.insert_rows(rows)
                rows.clear()
                report(progress, k + 1, total, "writing")
                if cancel is not None:
                    cancel.check()
        db.insert_rows(rows)
        if cols is not None:  # streamed: inserts overlap the conversion of later blocks
            done: set[int] = set()
            for block in cols.row_blocks(image_ids, cat_ids, label_set, next_id, next_z, plan.report,
                                         done, progress, cancel):
                cols.insert(db, block)
            touched = list(dict.fromkeys(touched + sorted(done)))
        db.mark_edited(touched, now)


def resolve_inside(root: Path, rel: str, file: str | Path, where: str) -> Path:
    """`root / rel`, refusing paths that escape `root` (../ or absolute elsewhere)."""
    from segstudio.io.errors import FormatError

    root_r = Path(os.path.abspath(root))
    p = Path(os.path.abspath(root_r / rel.replace("\\", "/")))
    if os.path.commonpath([root_r, p]) != str(root_r):
        raise FormatError(file, f"image path {rel!r} points outside the dataset folder {root_r}", where)
    return p
