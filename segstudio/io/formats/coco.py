"""COCO instances JSON: import and export (polygons, compressed/uncompressed RLE, crowd).

Export modes: "auto" (default) writes polygons where the COCO reference rasteriser reproduces
the mask exactly and compressed RLE otherwise (holes, thin diagonal parts) -- lossless;
"rle" always RLE (lossless, fastest); "polygons" always polygons (holes filled and boundary
changes reported exactly).  Import rasterises polygons with pycocotools, as every COCO
consumer does, so what you see is what training sees.  Large RLE files take a vectorised path
(`segstudio.io.rle_batch`): no per-instance mask is ever materialised.  Files of only compressed
RLE (what exporters write) become plan columns (`segstudio.io.plan_columns`); large ones are
converted by worker processes while the import already inserts the first blocks.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from segstudio.core.drawn import DrawnShape
from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.io import parallel
from segstudio.io import rle_batch as rb
from segstudio.io.coco_blocks import PatchBlock, import_block
from segstudio.io.confine import TRUST_HINT, Confined, dataset_root_of, exists
from segstudio.io.coords import check_image_size
from segstudio.io.errors import (
    FormatError,
    JsonReader,
    check_depth,
    gc_paused,
    load_json,
    type_name,
)
from segstudio.io.formats._coco_export import export
from segstudio.io.formats._polygons import checked_polygons, polygon_rles
from segstudio.io.plan import ImportPlan, PatchRle, PlanImage, PlanInstance
from segstudio.io.plan_columns import InstanceColumns
from segstudio.io.registry import FormatSpec, Option
from segstudio.io.reports import ImportReport

BLOCK = 4096  # annotations per conversion task
# below this many annotations a worker pool costs more than it saves (start-up ~0.03-0.25 s)
POOL_THRESHOLD = 30000
# an import is bound by this process (JSON parse, SQLite inserts); converting takes about as
# long, so more than two workers would only wait (on 2 cores two beat one by ~5% wall time,
# for ~10% more CPU)
IMPORT_WORKERS = 2
# blocks converted ahead of the inserts: the workers keep converting while this process
# reads the rest of the file and matches the images (~100,000 annotations, ~60 MB of results)
AHEAD = 24
WARM_UP_BYTES = 8_000_000  # ~POOL_THRESHOLD annotations of compressed RLE

HINT = f"widen it with the option dataset_root=FOLDER, or {TRUST_HINT}"
_SPLIT_RE = re.compile(r"(?:^|[_\-.])(train|val|test)(?:\d*|ation|ing)?(?:[_\-.]|$)", re.I)


def import_workers() -> int:
    """At most this many conversion workers for an import (see IMPORT_WORKERS)."""
    return IMPORT_WORKERS


def guess_split(name: str) -> str | None:
    m = _SPLIT_RE.search(name)
    if not m:
        return None
    return {"train": "train", "val": "val", "test": "test"}[m.group(1).lower()]


def _images_root(json_path: Path, file_names: list[str], given: str | None) -> Path:
    if given:
        return Path(given)
    d = json_path.parent
    candidates = [d, d / "images", d.parent, d.parent / "images"]
    stem = json_path.stem.replace("instances_", "")
    candidates += [d / stem, d.parent / stem, d.parent / "images" / stem]
    sample = file_names[:20]
    best, best_hits = d, 0
    for c in candidates:
        hits = sum(1 for f in sample if exists(c / f))
        if hits > best_hits:
            best, best_hits = c, hits
    return best


def read(src: Path, options: dict, progress: ProgressFn | None, cancel: CancelToken | None) -> ImportPlan:
    with gc_paused():  # the parsed file is a million containers: no collector walks over it
        return _read(src, options, progress, cancel)


def _read(src: Path, options: dict, progress: ProgressFn | None, cancel: CancelToken | None) -> ImportPlan:
    if src.is_dir():
        files = sorted(p for p in src.glob("*.json") if not p.name.startswith("."))  # not manifests
        if len(files) != 1:
            raise FormatError(src, "a COCO source must be a .json file (this folder holds "
                              f"{len(files)} .json files; name one)")
        src = files[0]
    with contextlib.suppress(OSError):
        if src.stat().st_size >= WARM_UP_BYTES and parallel.workers_for(POOL_THRESHOLD, POOL_THRESHOLD):
            parallel.warm_up()  # likely a pool: the fork server starts while the JSON is parsed
    data = load_json(src)
    top = JsonReader(src, data)
    top.expect(dict)
    images_r = top.items("images")
    anns = top.get("annotations", list, default=[])
    cats_r = top.items("categories", default_empty=True)
    plan = ImportPlan(ImportReport("coco"))
    cat_name: dict[int, str] = {}
    for c in cats_r:
        cid = c.get("id", int)
        if cid in cat_name:
            raise FormatError(src, f"duplicate category id {cid}", c.child_path("id"))
        name = str(c.get("name", str)).strip()
        if not name:
            raise FormatError(src, "empty category name", c.child_path("name"))
        cat_name[cid] = plan.category(name, None, c.get("supercategory", str, default=None) or None)
    file_names = []
    for r in images_r:
        file_names.append(r.get("file_name", str))
    root = _images_root(src, file_names, options.get("images_root"))
    confine = Confined(options.get("dataset_root") or dataset_root_of(src), src,
                       bool(options.get("trust_paths")), HINT, also=(options.get("images_root"),))
    info = data.get("info") if isinstance(data.get("info"), dict) else {}
    info_split = info.get("split") if info.get("split") in ("train", "val", "test") else None
    split = options.get("split") or info_split or guess_split(src.stem)
    by_id: dict[int, PlanImage] = {}
    for r, fname in zip(images_r, file_names):
        iid = r.get("id", int)
        w, h = r.get("width", int), r.get("height", int)
        check_image_size(w, h, src, r.path)
        if iid in by_id:
            raise FormatError(src, f"duplicate image id {iid}", r.child_path("id"))
        path = confine(fname, r.child_path("file_name"), base=root)
        im = PlanImage(path, w, h, split=split, ref=fname, source=src, where=r.path)
        by_id[iid] = im
        plan.images.append(im)
    report(progress, 0, len(anns), "reading annotations")
    _read_annotations(src, anns, by_id, cat_name, plan, cancel)
    return plan


def _read_fast(src, anns, by_id, cat_name, plan) -> bool:
    """All annotations compressed RLE (what exporters write): plan columns, no per-item objects.

    Returns False (nothing done) when anything is unusual; the general reader then handles the
    file and reports the first problem precisely.  Large files are converted by worker
    processes, started here; the plan's instance masks then arrive while it is applied.
    """
    index = {id(im): k for k, im in enumerate(plan.images)}
    hw = [[im.height, im.width] for im in plan.images]
    try:
        image = [index[id(by_id[a["image_id"]])] for a in anns]
        segs = [a["segmentation"] for a in anns]
        counts = [g["counts"] for g in segs]
        # every RLE has its image's size (list equality: no array of 200,000 small lists)
        same_size = all(g["size"] == hw[i] for g, i in zip(segs, image))
    except (KeyError, TypeError):
        return False
    if not same_size or not all(type(c) is str for c in counts):
        return False
    sel = np.asarray(image, np.int64)
    H = np.array([h for h, _ in hw], np.int64)[sel]
    W = np.array([w for _, w in hw], np.int64)[sel]
    images = plan.images
    workers = parallel.workers_for(len(anns), POOL_THRESHOLD, import_workers())
    blocks, close = _patch_blocks(src, counts, H, W, workers)  # the workers start now
    try:
        names = [cat_name[a["category_id"]] for a in anns]
        score = [a.get("score") for a in anns]
        if not all(v is None or type(v) is float or type(v) is int for v in score):
            raise TypeError("a score that is not a number")
        attributes = [_attributes_json(x) if x else "{}" for x in (a.get("attributes") for a in anns)]
    except (KeyError, TypeError, RecursionError):
        close()
        return False  # the general reader names the place
    cols = InstanceColumns(
        image=image, category=names,
        crowd=[1 if a.get("iscrowd", 0) else 0 for a in anns],
        score=score, attributes=attributes,
        blocks=blocks, close=close,
        where=lambda k: f"annotations[{k}] (image {images[image[k]].ref})",
    )
    if not workers:
        cols.resolve(plan.report)  # small: done now, errors raised by the reader as usual
    plan.columns = cols
    return True


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _attributes_json(attrs) -> str:
    return json.dumps(attrs) if type(attrs) is dict and attrs else "{}"


def _patch_blocks(src: Path, counts: list[str], H: np.ndarray, W: np.ndarray,
                  workers: int) -> tuple[Iterator[PatchBlock], Callable[[], None]]:
    """The store form of every annotation, block by block, and a function stopping early.

    With workers the first blocks are submitted right here, so the conversion runs while the
    caller goes on (the rest of reading, then apply_plan's image and category rows).
    """
    tasks = ((None, (a, counts[a:a + BLOCK], H[a:a + BLOCK], W[a:a + BLOCK]))
             for a in range(0, len(counts), BLOCK))
    pooled, stop = parallel.pooled_blocks(import_block, tasks, workers, AHEAD, lambda _, block: block)

    def blocks() -> Generator[PatchBlock, None, None]:
        try:
            yield from pooled  # closing these blocks closes the pooled ones, and so the pool
        except rb.RleStringError as e:
            raise FormatError(src, str(e), f"annotations[{e.index}].segmentation.counts") from None

    return blocks(), stop


def _read_annotations(src, anns, by_id, cat_name, plan, cancel) -> None:
    if anns and type(anns[0]) is dict and type(anns[0].get("segmentation")) is dict \
            and _read_fast(src, anns, by_id, cat_name, plan):
        return
    rep = plan.report
    comp_idx: list[int] = []
    comp_str: list[str] = []
    list_idx: list[int] = []
    list_counts: list[list[int]] = []
    slow: list[tuple[int, PlanImage, PlanInstance, object]] = []
    owners: list[tuple[PlanImage, PlanInstance]] = []
    pos: list[int] = []  # annotation index of each owner, for error messages
    for k, a in enumerate(anns):
        where = f"annotations[{k}]"
        if type(a) is not dict:
            raise FormatError(src, f"expected an object, found {type_name(a)}", where)
        try:
            image_id, cat_id, seg = a["image_id"], a["category_id"], a.get("segmentation")
        except KeyError as e:
            raise FormatError(src, f"missing required key {e.args[0]!r}", where) from None
        im = by_id.get(image_id) if type(image_id) is int else None
        if im is None:
            raise FormatError(src, f"image_id {_short(image_id)} is not in 'images'", f"{where}.image_id")
        name = cat_name.get(cat_id) if type(cat_id) is int else None
        if name is None:
            raise FormatError(src, f"category_id {_short(cat_id)} is not in 'categories'",
                              f"{where}.category_id")
        score = a.get("score")
        if score is not None and type(score) is not float and type(score) is not int:
            raise FormatError(src, f"score must be a number, found {type_name(score)}", f"{where}.score")
        inst = PlanInstance(name, crowd=bool(a.get("iscrowd", 0)), score=score)
        attrs = a.get("attributes")
        if type(attrs) is dict and attrs:
            inst.attributes = check_depth(attrs, src, f"{where}.attributes")
        if type(seg) is dict:
            counts, size = seg.get("counts"), seg.get("size")
            if type(size) is not list or size != [im.height, im.width]:
                raise FormatError(src, f"RLE size {size} differs from the image size "
                                  f"[{im.height}, {im.width}]", f"{where}.segmentation.size")
            if type(counts) is str:
                comp_idx.append(len(owners))
                comp_str.append(counts)
            elif type(counts) is list:
                n = im.height * im.width
                if not all(type(v) is int and 0 <= v <= n for v in counts):
                    raise FormatError(src, f"uncompressed RLE counts must be integers in 0..{n}",
                                      f"{where}.segmentation.counts")
                list_idx.append(len(owners))
                list_counts.append(counts)
            else:
                raise FormatError(src, "RLE counts must be a string or an array, found "
                                  f"{type_name(counts)}", f"{where}.segmentation.counts")
        elif type(seg) is list and seg:
            slow.append((k, im, inst, seg))
        else:
            rep.skip(f"{where} (image {im.ref})", "no segmentation (empty or missing)")
            continue
        owners.append((im, inst))
        pos.append(k)
        if cancel is not None and k % 10000 == 0:
            cancel.check()
    sizes = np.array([(im.height, im.width) for im, _ in owners], np.int64).reshape(-1, 2)
    groups: list[tuple[list[int], Any]] = [(comp_idx, comp_str), (list_idx, list_counts)]
    for idx, values in groups:
        if not idx:
            continue
        sel = np.asarray(idx)
        H, W = sizes[sel, 0], sizes[sel, 1]
        try:
            if values is list_counts:  # uncompressed: check the sums, then the same path
                runs = rb.from_lists(values)
                sums = runs.sums()
                bad = np.flatnonzero(sums != H * W)
                if bad.size:
                    j = int(bad[0])
                    raise rb.RleStringError(j, f"RLE counts sum to {int(sums[j])}, expected "
                                            f"{int(H[j])}x{int(W[j])}={int(H[j] * W[j])}")
                values = rb.encode_strings(runs)
            boxes, strings = rb.image_strings_to_patches(values, H, W)
        except rb.RleStringError as e:
            raise FormatError(src, str(e), f"annotations[{pos[idx[e.index]]}].segmentation.counts") from None
        y0, x0, h, w, ar = (b.tolist() for b in (boxes.y0, boxes.x0, boxes.h, boxes.w, boxes.area))
        for j, oi in enumerate(idx):
            owners[oi][1].rle = PatchRle(y0[j], x0[j], h[j], w[j], strings[j], ar[j])
    polygon_sets = []
    for k, im, inst, seg in slow:
        where = f"annotations[{k}].segmentation"
        polys = checked_polygons(seg, src, where, (im.height, im.width), rep, f"{where} (image {im.ref})")
        polygon_sets.append(polys)  # none left: empty, skipped
        inst.shape = DrawnShape("polygon", tuple(tuple(p) for p in polys), "coco")  # kept as drawn
    # drawn together, straight into the store's box RLE: one kernel call a block
    rles = polygon_rles(polygon_sets, [(im.height, im.width) for _, im, _, _ in slow])
    for (_, _, inst, _), rle in zip(slow, rles):
        inst.rle = rle
    for (im, inst), k in zip(owners, pos):
        if (inst.rle is not None and inst.rle.area == 0) or (inst.mask is not None and inst.mask.is_empty):
            rep.skip(f"annotations[{k}] (image {im.ref})", "empty mask")
            continue
        im.instances.append(inst)


FORMAT = FormatSpec(
    name="coco",
    description="COCO instances JSON (polygons, RLE, crowd); one file per split on export",
    read_fn=read,
    export_fn=export,
    import_options=(
        Option("images_root", None, "folder that file_name is relative to (default: found)"),
        Option("split", None, "split for the imported images (default: from the file name)"),
        Option("dataset_root", None, "file_name may point anywhere under this folder (default: the "
               "JSON's folder, or the one above an annotations/ folder)"),
    ),
    export_options=(
        Option("segmentation", "auto", "auto: polygons where exact (shapes as drawn, else the simplest "
               "exact polygon), else RLE", ("auto", "rle", "polygons")),
        Option("tolerance", 0.0, "polygons may move outline pixels up to this many pixels (0: exact; "
               "changes are reported)", type=float),
        Option("images_root", None, "file_name is relative to this folder (default: the JSON's folder, "
               "where readers and `segstudio validate` look)"),
        Option("copy_images", False, "copy the images into images/ beside the JSON (self-contained)",
               type=bool),
        Option("link_images", False, "link the images into images/ beside the JSON (hard links, else "
               "symbolic ones: self-contained without copies)", type=bool),
    ),
    source="file",
)
