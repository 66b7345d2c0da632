"""COCO export: one JSON per split, written atomically; the RLE path is fully vectorised.

Annotations are converted in blocks of rows.  Large exports hand the blocks to worker
processes (`segstudio.io.parallel`) while this process keeps reading rows from SQLite and
streaming finished blocks into the staged file: SQLite reads, conversion and writing overlap.
Every block is formatted by the same function inline or in a worker, so the bytes are the
same either way.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

from segstudio import __version__
from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.io import parallel
from segstudio.io.atomic import StagedOutput, atomic_file
from segstudio.io.coco_blocks import export_block
from segstudio.io.exporting import export_images, not_an_image, place_image, stem_names
from segstudio.io.reports import ExportReport
from segstudio.store.bulk import coco_row_blocks, instance_count_bound
from segstudio.store.project import ImageRecord, Project

# rows per block: RLE blocks are cheap per row, polygon blocks ~100x dearer (balance the workers)
BLOCK = {"rle": 4096, "auto": 256, "polygons": 256}
# below this many instances a worker pool costs more than it saves (start-up ~0.03-0.25 s)
POOL_THRESHOLD = {"rle": 30000, "auto": 2000, "polygons": 2000}


def _groups(records: list[ImageRecord], options: dict) -> dict[str | None, list[ImageRecord]]:
    if options.get("split"):
        return {options["split"]: records}
    groups: dict[str | None, list[ImageRecord]] = {}
    for r in records:
        groups.setdefault(r.split, []).append(r)
    return groups or {None: []}


def _file_name(split: str | None, groups: dict) -> str:
    if split is None:
        return "instances.json" if len(groups) == 1 else "instances_unassigned.json"
    return f"instances_{split}.json"


def export(project: Project, dst: Path, options: dict, progress: ProgressFn | None,
           cancel: CancelToken | None) -> ExportReport:
    rep = ExportReport("coco")
    records = export_images(project, options)
    groups = _groups(records, options)
    single = dst.suffix.lower() == ".json"
    if single and len(groups) > 1:
        names = ", ".join(sorted(str(s) if s else "unassigned" for s in groups))
        raise ValueError(f"{dst}: the project has several splits ({names}); give a folder as the "
                         "destination (one file per split) or choose one with --split")
    cats = list(project.categories())
    cat_name = {c.id: c.name for c in cats}
    mode = options.get("segmentation", "auto")
    estimate = instance_count_bound(project)
    workers = parallel.workers_for(estimate, POOL_THRESHOLD[mode])
    if workers:
        parallel.warm_up()  # the fork server starts while the file heads are built
    how = "copy" if options.get("copy_images") else ("link" if options.get("link_images") else None)
    copies = _copies(project, records, rep) if how else {}
    if not options.get("images_root"):  # file_name relative to the JSON, where readers look
        options = {**options, "images_root": str(dst.parent if single else dst)}
    heads = _heads(project, groups, cats, options, {i: rel for i, (_, rel) in copies.items()})
    tasks = _tasks(project, groups, records, options, mode)
    done = 0
    with contextlib.ExitStack() as stack:
        if single and not copies:
            files = [stack.enter_context(atomic_file(dst, "w"))]
            rep.files.append(str(dst))
        elif single:  # the file and its images/ folder are published together
            out = stack.enter_context(StagedOutput(dst.parent, f"coco.{dst.name}"))
            files = [stack.enter_context(open(out.path(dst.name), "w", encoding="utf-8"))]
            rep.files.append(str(dst))
        else:
            out = stack.enter_context(StagedOutput(dst, "coco"))
            files = []
            for split in groups:
                name = _file_name(split, groups)
                files.append(stack.enter_context(open(out.path(name), "w", encoding="utf-8")))
                rep.files.append(str(dst / name))
        for f, head in zip(files, heads):
            f.write(head)
        for src, rel in copies.values():
            place_image(src, out.path(rel), how or "copy")  # `copies` is empty without `how`
        pool = stack.enter_context(parallel.ChunkPool(workers))
        for (g, first), (text, per_cat, losses) in pool.imap(export_block, tasks):
            if not first:
                files[g].write(",\n")
            files[g].write(text)
            for cid, n in per_cat.items():
                rep.per_category[cat_name.get(cid, str(cid))] += n
                rep.instances += n
            for kind, item, n in losses:
                rep.lose(kind, item, n)
            done += sum(per_cat.values())
            report(progress, done, max(estimate, done), "COCO")
            if cancel is not None:
                cancel.check()
        for f in files:
            f.write("]}\n")
        if cancel is not None:
            cancel.check()
        for recs in groups.values():
            rep.images += len(recs)
    return rep


def _copies(project: Project, records: list[ImageRecord], rep: ExportReport) -> dict[int, tuple]:
    """copy_images: image id -> (its file, `images/<unique name>` in the output)."""
    stems = stem_names(records)
    out: dict[int, tuple] = {}
    for r in records:
        src = project.image_path(r)
        if not src.is_file():
            rep.warn(f"{r.path}: image file not found; not copied (file_name left as it was)")
            continue
        problem = not_an_image(src)
        if problem:
            rep.warn(f"{r.path}: {problem}; not copied (file_name left as it was)")
            continue
        out[r.id] = (src, f"images/{stems[r.id]}{src.suffix}")
    return out


def _heads(project: Project, groups: dict, cats: list, options: dict,
           copied: dict[int, str]) -> list[str]:
    """Each split file's text up to the opening of its annotations array; `copied` images are
    named by their place in the output."""
    images_root = os.path.realpath(options.get("images_root") or project.root)
    root = os.path.realpath(project.root)
    cat_json = [{"id": c.id, "name": c.name, "supercategory": c.supercategory or ""} for c in cats]
    heads = []
    for split, recs in groups.items():
        images_json = []
        for r in recs:  # no per-image realpath: 10,000 images would cost seconds
            rel = copied.get(r.id)
            if rel is None:
                full = os.path.normpath(os.path.join(root, r.path))
                rel = Path(os.path.relpath(full, images_root)).as_posix()
            images_json.append({"id": r.id, "file_name": rel, "width": r.width, "height": r.height})
        head = json.dumps({
            "info": {"description": f"SegStudio export of {project.name}",
                     "version": __version__, "date_created": time.strftime("%Y-%m-%d %H:%M:%S"),
                     "split": split},
            "licenses": [],
            "images": images_json,
            "categories": cat_json,
        }, ensure_ascii=False)
        heads.append(head[:-1] + ',"annotations":[')
    return heads


def _tasks(project: Project, groups: dict, records: list, options: dict, mode: str) -> Iterator:
    """((split index, first block of its file?), (rows, mode, index of the first row)) per block,
    read from SQLite lazily: the pool pulls the next block while workers convert earlier ones."""
    block = BLOCK[mode]
    for g, (split, recs) in enumerate(groups.items()):
        blocks = coco_row_blocks(project, options.get("label_set", "gt"), block,
                                 by_split=bool(split) or len(groups) > 1, split=split or None)
        wanted = {r.id for r in recs}
        check = len(wanted) != len(records) or bool(options.get("split"))
        k = 0
        for rows in blocks:
            if check:
                rows = [r for r in rows if r[0] in wanted]
                if not rows:
                    continue
            yield (g, k == 0), (rows, mode, k, float(options.get("tolerance") or 0.0))
            k += len(rows)
