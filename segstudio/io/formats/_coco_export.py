"""COCO export: one JSON per split, written atomically; the RLE path is fully vectorised."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

import numpy as np

from segstudio import __version__
from segstudio.core import rle as core_rle
from segstudio.core.masks import MaskPatch
from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.io import rle_batch as rb
from segstudio.io.atomic import StagedOutput, atomic_file
from segstudio.io.exporting import export_images
from segstudio.io.formats._polygons import coco_raster, fill_holes, outline_polygons
from segstudio.io.reports import ExportReport
from segstudio.store.project import ImageRecord, Project

_ROWS_SQL = (
    "SELECT i.image_id, i.category_id, i.rle, i.y0, i.x0, i.h, i.w, i.area, i.crowd, i.score,"
    " i.attributes, m.height, m.width FROM instances i JOIN images m ON m.id = i.image_id"
    " WHERE i.label_set = ? AND i.frame = 0 AND m.kind = 'image' AND i.area > 0{split}"
    " ORDER BY i.image_id, i.z"
)


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
    images_root = os.path.realpath(options.get("images_root") or project.root)
    cats = list(project.categories())
    cat_json = [
        {"id": c.id, "name": c.name, "supercategory": c.supercategory or ""} for c in cats
    ]
    cat_name = {c.id: c.name for c in cats}
    mode = options.get("segmentation", "auto")
    total = len(records)
    done = 0
    texts: dict[str, str] = {}
    for split, recs in groups.items():
        if cancel is not None:
            cancel.check()
        where = " AND m.split = ?" if split else (" AND m.split IS NULL" if len(groups) > 1 else "")
        args: tuple = (options.get("label_set", "gt"),) + ((split,) if split else ())
        rows = project.conn.execute(_ROWS_SQL.format(split=where), args).fetchall()
        wanted = {r.id for r in recs}
        if len(wanted) != len(records) or options.get("split"):
            rows = [r for r in rows if r[0] in wanted]
        seg_json = _segmentations(rows, mode, rep, project, cancel)
        images_json = []
        root = os.path.realpath(project.root)
        for r in recs:  # no per-image realpath: 10,000 images would cost seconds
            full = os.path.normpath(os.path.join(root, r.path))
            rel = Path(os.path.relpath(full, images_root)).as_posix()
            images_json.append({"id": r.id, "file_name": rel, "width": r.width, "height": r.height})
        parts = []
        per_cat: Counter = Counter()
        for k, (row, seg) in enumerate(zip(rows, seg_json)):
            iid, cid, _, y0, x0, h, w, area, crowd, score, attrs = row[:11]
            extra = ""
            if score is not None:
                extra += f',"score":{float(score)!r}'
            if attrs and attrs != "{}":
                extra += f',"attributes":{attrs}'
            parts.append(
                f'{{"id":{k + 1},"image_id":{iid},"category_id":{cid},"segmentation":{seg},'
                f'"area":{area},"bbox":[{x0},{y0},{w},{h}],"iscrowd":{int(crowd)}{extra}}}'
            )
            per_cat[cid] += 1
        for cid, n in per_cat.items():
            rep.per_category[cat_name.get(cid, str(cid))] += n
        rep.instances += len(rows)
        rep.images += len(recs)
        head = json.dumps({
            "info": {"description": f"SegStudio export of {project.root.name}",
                     "version": __version__, "date_created": time.strftime("%Y-%m-%d %H:%M:%S"),
                     "split": split},
            "licenses": [],
            "images": images_json,
            "categories": cat_json,
        }, ensure_ascii=False)
        texts[_file_name(split, groups)] = head[:-1] + ',"annotations":[' + ",\n".join(parts) + "]}\n"
        done += len(recs)
        report(progress, done, total, f"COCO {split or ''}")
    if cancel is not None:
        cancel.check()
    if single:
        with atomic_file(dst, "w") as f:
            f.write(next(iter(texts.values())))
        rep.files.append(str(dst))
    else:
        with StagedOutput(dst) as out:
            for name, text in texts.items():
                out.write_text(name, text)
                rep.files.append(str(dst / name))
    return rep


def _segmentations(rows: list, mode: str, rep: ExportReport, project, cancel) -> list[str]:
    """JSON text of each row's segmentation."""
    n = len(rows)
    out: list[str | None] = [None] * n
    need_rle = list(range(n))
    if mode != "rle":
        need_rle = []
        for k, row in enumerate(rows):
            if cancel is not None and k % 2000 == 0:
                cancel.check()
            iid, _, enc, y0, x0, h, w, area, _, _, _, H, W = row
            patch = MaskPatch(y0, x0, core_rle.decode({"size": [h, w], "counts": enc}), (H, W))
            polys, holes = outline_polygons(patch)
            if mode == "auto" and holes:
                need_rle.append(k)
                continue
            wy0, wx0 = max(0, y0 - 1), max(0, x0 - 1)
            wh, ww = min(H, y0 + h + 1) - wy0, min(W, x0 + w + 1) - wx0
            drawn = coco_raster(polys, wy0, wx0, wh, ww)
            target = fill_holes(patch) if holes else patch
            diff = int(np.count_nonzero(drawn != target.window(wy0, wx0, wh, ww)))
            if diff and mode == "auto":
                need_rle.append(k)
                continue
            item = f"image {iid} annotation {k + 1}"
            if holes:
                rep.lose("instances whose holes were filled (COCO polygons cannot have holes)", item)
                rep.lose("hole pixels filled (total)", item, target.area - patch.area)
            if diff:
                rep.lose("instances whose outline changed under COCO polygon rasterisation", item)
                rep.lose("outline pixels changed by polygon rasterisation (total)", item, diff)
            out[k] = json.dumps(polys, separators=(",", ":"))
    if need_rle:
        sel = [rows[k] for k in need_rle]
        arr = np.array([(r[3], r[4], r[5], r[11], r[12]) for r in sel], np.int64).reshape(-1, 5)
        strings = rb.patch_strings_to_image([r[2] for r in sel], arr[:, 0], arr[:, 1], arr[:, 2],
                                            arr[:, 3], arr[:, 4])
        for k, s, (_, _, _, H, W) in zip(need_rle, strings, arr.tolist()):
            s = s.replace("\\", "\\\\")
            out[k] = f'{{"size":[{H},{W}],"counts":"{s}"}}'
    return out  # type: ignore[return-value]
