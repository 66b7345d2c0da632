"""Ultralytics YOLO segmentation: `data.yaml` + `labels/<split>/<stem>.txt` polygon lines.

Each line is `class x1 y1 x2 y2 ...` in coordinates normalised to [0, 1]; one line = one
instance, so holes cannot be represented and an instance in several parts is written as one
line per part (option parts=split) or as its largest part (parts=largest).  Export writes
shapes as drawn (polygons, boxes) and otherwise the simplest polygons that rasterise back to
the mask (`_vector`), checks every written line by rasterising it again, and reports exactly
what changed (holes, parts, boundary pixels).
Import rasterises polygons like COCO's reference (pycocotools); 5-value lines (detection boxes)
become rectangles, reported.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from segstudio.core.drawn import DrawnShape
from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.io.atomic import StagedOutput
from segstudio.io.confine import TRUST_HINT, Confined, exists
from segstudio.io.errors import FormatError, read_text
from segstudio.io.exporting import (
    category_names,
    export_images,
    iter_images,
    place_record_image,
    stem_names,
)
from segstudio.io.formats._polygons import fill_holes, polygon_rles, polygons_to_patch
from segstudio.io.formats._vector import vector_shape
from segstudio.io.plan import ImportPlan, PlanImage, PlanInstance
from segstudio.io.registry import FormatSpec, Option
from segstudio.io.reports import ExportReport, ImportReport
from segstudio.store.scan import natural_key

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}
DIGITS = 8  # decimals of normalised coordinates: sub-1e-4 px for images up to 10,000 px


def _load_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(read_text(path))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        raise FormatError(path, f"invalid YAML: {getattr(e, 'problem', e)}", where) from None
    except RecursionError:
        raise FormatError(path, "invalid YAML: nested too deeply") from None
    if not isinstance(data, dict):
        raise FormatError(path, "expected a mapping (train/val/names)")
    return data


MAX_CLASSES = 65536  # label maps hold 16-bit class indices
MAX_NAME = 1000  # characters in a class name


def _names(yml: Path, data: dict) -> list[str]:
    names = data.get("names")
    if isinstance(names, list):
        if len(names) > MAX_CLASSES:
            raise FormatError(yml, f"{len(names):,} names: more than {MAX_CLASSES:,} classes", "names")
        return [_name(yml, n, f"names[{k}]") for k, n in enumerate(names)]
    if isinstance(names, dict):
        idx = {}
        for k, v in names.items():
            try:
                i = int(k)
            except (TypeError, ValueError):
                raise FormatError(yml, "names keys must be class indices", "names") from None
            if not 0 <= i < MAX_CLASSES:
                raise FormatError(yml, f"class index {i} is not in 0..{MAX_CLASSES - 1}", f"names.{k}")
            idx[i] = _name(yml, v, f"names.{k}")
        return [idx.get(i, f"class{i}") for i in range(max(idx, default=-1) + 1)]
    raise FormatError(yml, "missing 'names' (list or {index: name})", "names")


def _name(yml: Path, value, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise FormatError(yml, f"a class name must be text, found {type(value).__name__}", where)
    name = str(value)
    if len(name) > MAX_NAME:
        raise FormatError(yml, f"a class name of {len(name):,} characters (at most {MAX_NAME})", where)
    return name


def _split_images(yml: Path, data: dict, rep, options: dict) -> dict[str, list[Path]]:
    """Image paths per split, each confined to the dataset folder (the YAML's folder, or the
    `dataset_root` option) unless `trust_paths`: a `path: /` used to walk the whole disk."""
    root = options.get("dataset_root") or yml.parent
    confine = Confined(root, yml, bool(options.get("trust_paths")),
                       f"widen it with the option dataset_root=FOLDER, or {TRUST_HINT}")
    base = confine(_text(yml, data.get("path") or ".", "path"), "path", base=yml.parent)
    out: dict[str, list[Path]] = {}
    seen: set[Path] = set()
    for split in ("train", "val", "test"):
        entries = data.get(split)
        if not entries:
            continue
        for k, e in enumerate(entries if isinstance(entries, list) else [entries]):
            where = f"{split}[{k}]" if isinstance(entries, list) else split
            e = _text(yml, e, where).replace("\\", "/")
            if not exists(base / e) and e.startswith("../") and exists(base / e[3:]):
                e = e[3:]  # Roboflow's "../train/images" beside data.yaml (as Ultralytics reads it)
            p = confine(e, where, base=base)
            if not confine.allows(p):  # let through by `validate` (a warning): never walked
                continue
            if p.is_dir():
                imgs = [confine(q, where) for q in p.rglob("*") if q.suffix.lower() in IMAGE_EXTS]
            elif p.suffix == ".txt" and p.is_file():
                lines = read_text(p).splitlines()
                imgs = [confine(ln.strip(), f"{p.name} line {n}", base=base, file=p)
                        for n, ln in enumerate(lines, 1) if ln.strip()]
            elif not p.exists():
                rep.warn(f"{yml.name}: {split} folder {p} does not exist")
                imgs = []
            else:
                raise FormatError(yml, f"{p} is neither a folder nor a .txt list", where)
            fresh = sorted({q for q in imgs if q not in seen}, key=lambda q: natural_key(q.as_posix()))
            seen.update(fresh)
            out.setdefault(split, []).extend(fresh)
    return out


def _text(yml: Path, value, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise FormatError(yml, f"expected a path, found {type(value).__name__}", where)
    return str(value)


def label_path(image: Path) -> Path:
    """Ultralytics' rule: the last /images/ of the path becomes /labels/, suffix .txt."""
    parts = list(image.parts)
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            return Path(*parts).with_suffix(".txt")
    return image.with_suffix(".txt")


def read(src: Path, options: dict, progress: ProgressFn | None, cancel: CancelToken | None) -> ImportPlan:
    yml = src if src.is_file() else next((src / n for n in ("data.yaml", "dataset.yaml") if (src / n).is_file()), None)
    if yml is None:
        raise FormatError(src, "no data.yaml found")
    data = _load_yaml(yml)
    names = _names(yml, data)
    plan = ImportPlan(ImportReport("yolo"))
    for n in names:
        plan.category(n)
    splits = _split_images(yml, data, plan.report, options)
    total = sum(len(v) for v in splits.values())
    done = 0
    from segstudio.core.image_header import HeaderError, read_header
    from segstudio.io.images import DEFAULT_MAX_PIXELS

    for split, images in splits.items():
        for img in images:
            if cancel is not None:
                cancel.check()
            done += 1
            report(progress, done, total, img.name)
            try:
                hdr = read_header(img)
            except FileNotFoundError:
                plan.report.skip(str(img), "image file not found")
                continue
            except (OSError, HeaderError) as e:
                plan.report.skip(str(img), f"unreadable image ({e})")
                continue
            if hdr.pixels > DEFAULT_MAX_PIXELS:
                plan.report.skip(str(img), f"{hdr.width}x{hdr.height} is more than the "
                                 f"{DEFAULT_MAX_PIXELS:,} pixels SegStudio opens")
                continue
            lbl = label_path(img)
            im = PlanImage(img, hdr.width, hdr.height, split=split, ref=img.name, source=lbl)
            if lbl.is_file():
                _read_label(lbl, im, names, plan)
            plan.images.append(im)
    return plan


def _read_label(lbl: Path, im: PlanImage, names: list[str], plan: ImportPlan) -> None:
    W, H = im.width, im.height
    polygons: list[tuple[int, int, np.ndarray]] = []  # (line, class, points): drawn together
    for n, line in enumerate(read_text(lbl).splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        try:
            cls = int(fields[0])
            vals = [float(v) for v in fields[1:]]
        except ValueError:
            raise FormatError(lbl, "expected 'class x1 y1 x2 y2 ...' numbers", f"line {n}") from None
        if not all(math.isfinite(v) for v in vals):
            raise FormatError(lbl, "coordinates must be finite numbers (found nan or inf)", f"line {n}")
        if not 0 <= cls < len(names):
            raise FormatError(lbl, f"class {cls} is not in data.yaml names (0..{len(names) - 1})", f"line {n}")
        if len(vals) == 4:
            cx, cy, bw, bh = vals
            vals = [cx - bw / 2, cy - bh / 2, cx + bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2, cx - bw / 2, cy + bh / 2]
            plan.report.lose("detection boxes imported as rectangles", f"{lbl.name} line {n}")
        if len(vals) < 6 or len(vals) % 2:
            raise FormatError(lbl, f"a polygon needs an even number (>= 6) of coordinates, found {len(vals)}", f"line {n}")
        pts = np.asarray(vals, np.float64).reshape(-1, 2)
        if (pts < -0.01).any() or (pts > 1.01).any():
            raise FormatError(lbl, "coordinates must be normalised to [0, 1]", f"line {n}")
        pts *= (W, H)
        polygons.append((n, cls, pts))
    rles = polygon_rles([[pts.ravel().tolist()] for _, _, pts in polygons], [(H, W)] * len(polygons))
    for (n, cls, pts), rle in zip(polygons, rles):  # one exact kernel call per file
        if not rle.area:
            plan.report.skip(f"{lbl.name} line {n}", "polygon covers no pixel")
            continue
        im.instances.append(PlanInstance(names[cls], rle=rle, shape=DrawnShape.polygon([pts], "coco")))


def _line(cls: int, poly: list[float], W: int, H: int) -> tuple[str, list[float]]:
    pts = np.asarray(poly, np.float64).reshape(-1, 2) / (W, H)
    pts = np.clip(np.round(pts, DIGITS), 0.0, 1.0)
    text = f"{cls} " + " ".join(f"{v:.{DIGITS}f}".rstrip("0").rstrip(".") for v in pts.ravel())
    return text, (pts * (W, H)).ravel().tolist()


def export(project, dst: Path, options: dict, progress: ProgressFn | None,
           cancel: CancelToken | None) -> ExportReport:
    rep = ExportReport("yolo")
    cats = list(project.categories())
    index = {c.id: k for k, c in enumerate(cats)}
    names = category_names(project)
    records = export_images(project, options)
    stems = stem_names(records)
    how = options.get("images", "copy")
    parts_mode = options.get("parts", "split")
    used_splits: set[str] = set()
    with StagedOutput(dst, "yolo") as out:
        for rec, instances in iter_images(project, options, rep, progress, cancel):
            split = rec.split or "train"
            used_splits.add(split)
            stem = stems[rec.id]
            lines = []
            for inst in instances:
                rep.count(names.get(inst.category_id, "?"))
                lines.extend(_instance_lines(inst, index[inst.category_id], rec, rep, parts_mode,
                                             float(options.get("tolerance") or 0.0)))
            out.write_text(f"labels/{split}/{stem}.txt", "\n".join(lines) + ("\n" if lines else ""))
            place_record_image(project, rec, out, f"images/{split}/{stem}", how, rep)
        doc: dict[str, Any] = {"path": ".", "train": "images/train"}
        if "val" in used_splits:
            doc["val"] = "images/val"
        else:
            doc["val"] = "images/train"
            rep.warn("no 'val' split: data.yaml uses the train images for validation (set splits first)")
        if "test" in used_splits:
            doc["test"] = "images/test"
        doc["names"] = {k: c.name for k, c in enumerate(cats)}
        out.write_text("data.yaml", yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
        rep.files = [str(dst / p) for p in out.written]
    _ = records
    return rep


def _instance_lines(inst, cls: int, rec, rep: ExportReport, parts_mode: str,
                    tolerance: float = 0.0) -> list[str]:
    """One line per part: the shape as drawn when pycocotools draws it as exactly the mask,
    else the simplest polygon that does (`_vector`), holes filled; every written line is drawn
    again and what changed is reported."""
    from segstudio.core.geometry import connected_parts

    item = f"{rec.name} #{inst.id}"
    W, H = rec.width, rec.height
    kinds = frozenset({"polygon"})
    as_drawn = None
    if inst.shape is not None:
        vs = vector_shape(inst.mask, inst.shape, "coco", kinds, tolerance=tolerance, bitmap=False)
        if vs.as_drawn and vs.kind == "polygon":
            as_drawn = vs.rings
    parts = connected_parts(inst.mask, connectivity=8)
    if as_drawn is None and len(parts) > 1:
        if parts_mode == "largest":
            rep.lose("parts dropped (kept the largest part)", item, len(parts) - 1)
            parts = parts[:1]
        else:
            rep.lose("instances split into one line per part", item)
    rings = as_drawn or []
    any_holes = False
    if as_drawn is None:
        for part in parts:
            vs = vector_shape(part, None, "coco", kinds, tolerance=tolerance, bitmap=False)
            any_holes |= vs.holes_filled > 0
            rings.extend(vs.rings[:1])  # one outer ring per 8-connected part
    lines, drawn = [], None
    for ring in rings:
        text, back = _line(cls, np.asarray(ring).ravel().tolist(), W, H)
        lines.append(text)
        p = polygons_to_patch([back], (H, W))
        drawn = p if drawn is None else drawn.union(p)
    kept = parts[0] if parts_mode == "largest" and as_drawn is None else inst.mask
    if any_holes:
        filled = fill_holes(kept)
        rep.lose("instances whose holes could not be represented (filled)", item)
        rep.lose("hole pixels filled (total)", item, filled.area - kept.area)
        kept = filled
    if drawn is not None:
        diff = int(np.count_nonzero(drawn.window(0, 0, H, W) != kept.window(0, 0, H, W)))
        if diff:
            rep.lose("instances whose outline changed in the polygon conversion", item)
            rep.lose("outline pixels changed by the polygon conversion (total)", item, diff)
    return lines


FORMAT = FormatSpec(
    name="yolo",
    description="Ultralytics YOLO segmentation (data.yaml + normalised polygon .txt labels)",
    read_fn=read,
    export_fn=export,
    import_options=(
        Option("dataset_root", None, "images may live anywhere under this folder (default: the "
               "data.yaml's folder)"),
    ),
    export_options=(
        Option("images", "copy", "put the images into images/<split>/", ("copy", "link", "none")),
        Option("parts", "split", "instances in several parts: one line per part, or the largest only",
               ("split", "largest")),
        Option("tolerance", 0.0, "polygons may move outline pixels up to this many pixels (0: exact "
               "where a polygon can be; changes are reported)", type=float),
    ),
    source="folder",
)
