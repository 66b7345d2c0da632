"""Import predictions into a project as a named label set.

Sources (auto-detected, or `fmt`):
- `coco`: a COCO results JSON (a list of {image_id, category_id, segmentation
  (RLE or polygons), score}) or a COCO dataset whose annotations carry scores.
  Image ids map to project images through the file names of `images_json` (the
  COCO file the results refer to) or of the dataset's own `images`; without
  either, ids are taken as project image ids.  Categories map by name when a
  category list is available (missing ones are created), else by project id.
- `labelme`: a folder of LabelMe JSON files (polygon, rectangle, circle and mask
  shapes; shapes sharing a group_id and label form one instance; an optional
  per-shape `score` as written by X-AnyLabeling).
- `masks`: a folder of PNGs named after the images.  `mask_mode="instance"`: each
  non-zero value is one instance of `category`; `"semantic"`: each value v is one
  instance of the project's v-th category; `"binary"`: each file
  (`<image>.png` or `<image>_<k>.png`) is one instance of `category`.

Images are matched by relative path, then path without extension, then file
stem.  Every imported instance has source `import`.  The whole import is one
transaction: a failure leaves the project unchanged.
"""

from __future__ import annotations

import base64
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import cv2
import numpy as np

from segstudio.core.geometry import fill_polygon
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.eval.cocofiles import decode_segmentation
from segstudio.io.errors import FormatError, JsonReader, load_json
from segstudio.store import ImageRecord, Project

FORMATS = ("coco", "labelme", "masks")
MASK_MODES = ("instance", "semantic", "binary")


@dataclass
class ImportSummary:
    label_set: str
    format: str
    images: int = 0
    instances: int = 0
    skipped: list[str] = field(default_factory=list)


class ImageIndex:
    """Finds the project image a prediction file refers to."""

    def __init__(self, project: Project) -> None:
        self.records = project.images()
        self.by_id = {r.id: r for r in self.records}
        self._keys: dict[str, list[ImageRecord]] = defaultdict(list)
        for r in self.records:
            p = PurePosixPath(r.path)
            for key in {r.path, str(p.with_suffix("")), p.name, p.stem}:
                self._keys[key.lower()].append(r)

    def find(self, name: str) -> ImageRecord | None:
        p = PurePosixPath(name.replace("\\", "/"))
        for key in (str(p), str(p.with_suffix("")), p.name, p.stem):
            hits = self._keys.get(key.lower().lstrip("./"), [])
            if len(hits) == 1:
                return hits[0]
        return None


def detect_format(source: Path) -> str:
    if source.is_file():
        if source.suffix.lower() == ".json":
            return "coco"
        raise FormatError(source, "not a prediction file (expected a COCO results .json or a folder)")
    if not source.is_dir():
        raise FormatError(source, "no such file or folder")
    if any(source.glob("*.json")):
        return "labelme"
    if any(source.glob("*.png")):
        return "masks"
    raise FormatError(source, "the folder holds neither LabelMe .json files nor mask .png files")


def import_predictions(
    project: Project,
    source: str | Path,
    name: str,
    *,
    fmt: str | None = None,
    images_json: str | Path | None = None,
    category: str | None = None,
    mask_mode: str = "instance",
    min_score: float | None = None,
    overwrite: bool = False,
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
) -> ImportSummary:
    """Read `source` and store it as label set `name`; returns what was imported and skipped."""
    source = Path(source)
    name = name.strip()
    if not name or name == "gt":
        raise ValueError("choose a label set name other than 'gt' for predictions")
    fmt = fmt or detect_format(source)
    if fmt not in FORMATS:
        raise ValueError(f"unknown prediction format {fmt!r}; expected one of {FORMATS}")
    if name in project.label_sets() and not overwrite:
        n = project.count_instances(name)
        if n:
            raise ValueError(f"label set {name!r} already holds {n} instances (use overwrite)")
    index = ImageIndex(project)
    summary = ImportSummary(name, fmt)
    cats = _Categories(project)
    if fmt == "coco":
        per_image = _read_coco(source, images_json, index, cats, summary, cancel)
    elif fmt == "labelme":
        per_image = _read_labelme(source, index, cats, summary, cancel, progress)
    else:
        if mask_mode not in MASK_MODES:
            raise ValueError(f"unknown mask mode {mask_mode!r}; expected one of {MASK_MODES}")
        per_image = _read_masks(source, index, cats, mask_mode, category, summary, cancel, progress)
    with project.transaction():
        cats.commit()
        project.add_label_set(name, "prediction", str(source), {
            "format": fmt, "imported_at": time.time(), "min_score": min_score,
        })
        if overwrite:
            project.clear_label_set(name)
        for done, (image_id, items) in enumerate(sorted(per_image.items())):
            rec = index.by_id[image_id]
            insts: list[Instance] = []
            for cat_name_or_id, mask, score in items:
                if min_score is not None and score is not None and score < min_score:
                    continue
                cid = cats.resolve(cat_name_or_id)
                insts.append(Instance(len(insts) + 1, cid, mask, "import", score))
            project.replace_instances(rec.id, insts, label_set=name)
            summary.images += 1
            summary.instances += len(insts)
            report(progress, done + 1, len(per_image), "storing")
    return summary


class _Categories:
    """Project categories by id or name; unknown names are created at commit."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.set = project.categories()
        self.pending: list[str] = []

    def check(self, key: int | str, where: str) -> None:
        if isinstance(key, int) and key not in self.set:
            raise ValueError(f"{where}: category id {key} is not a project category (give the COCO file with its categories)")
        if isinstance(key, str) and self.set.by_name(key) is None and key not in self.pending:
            self.pending.append(key)

    def commit(self) -> None:
        for n in self.pending:
            self.project.add_category(n)
        self.set = self.project.categories()

    def resolve(self, key: int | str) -> int:
        if isinstance(key, int):
            return key
        cat = self.set.by_name(key)
        assert cat is not None
        return cat.id

    def by_position(self, value: int) -> int | str:
        cats = list(self.set)
        return cats[value - 1].id if 0 < value <= len(cats) else f"class{value}"


Item = tuple[int | str, MaskPatch, float | None]


def _read_coco(source, images_json, index, cats, summary, cancel) -> dict[int, list[Item]]:
    data = JsonReader(source, load_json(source))
    ref = JsonReader(Path(images_json), load_json(images_json)) if images_json else None
    if isinstance(data.value, dict):
        dets = data.items("annotations")
        ref = ref or data
    else:
        dets = data.items()
    id_to_image: dict[int, ImageRecord | None] = {}
    cat_names: dict[int, str] = {}
    if ref is not None:
        for r in ref.items("images"):
            id_to_image[r.get("id", int)] = index.find(r.get("file_name", str))
        for r in ref.items("categories", default_empty=True):
            cat_names[r.get("id", int)] = r.get("name", str)
    out: dict[int, list[Item]] = defaultdict(list)
    for k, r in enumerate(dets):
        if cancel is not None and k % 256 == 0:
            cancel.check()
        r.expect(dict)
        iid = r.get("image_id", int)
        rec = id_to_image.get(iid) if ref is not None else index.by_id.get(iid)
        if rec is None:
            summary.skipped.append(f"{source}: {r.path}: image {iid} not found in the project")
            continue
        cid = r.get("category_id", int)
        key: int | str = cat_names.get(cid, cid) if cat_names else cid
        cats.check(key, f"{source} at {r.path}")
        mask = decode_segmentation(r.child("segmentation"), rec.shape)
        score = r.get("score", int, float, default=None)
        out[rec.id].append((key, mask, None if score is None else float(score)))
    return out


def _shape_mask(r: JsonReader, shape: tuple[int, int]) -> MaskPatch | None:
    kind = r.get("shape_type", str, default="polygon")
    raw = r.get("points", list, default=[])
    try:
        pts = np.asarray(raw, dtype=np.float64).reshape(-1, 2) if raw else np.zeros((0, 2))
    except (ValueError, TypeError):
        raise r.error("points must be [x, y] pairs of numbers") from None
    h, w = shape
    if kind == "polygon":
        if len(pts) < 3:
            raise r.error("a polygon needs at least 3 points")
        return MaskPatch.from_full(fill_polygon(pts, shape))
    if kind == "rectangle":
        if len(pts) < 2:
            raise r.error("a rectangle needs 2 points")
        x0, y0 = np.floor(pts.min(axis=0)).astype(int)
        x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
        m = np.zeros(shape, bool)
        m[max(0, y0) : min(h, y1 + 1), max(0, x0) : min(w, x1 + 1)] = True
        return MaskPatch.from_full(m)
    if kind == "circle":
        if len(pts) < 2:
            raise r.error("a circle needs a centre and a point on it")
        m = np.zeros(shape, np.uint8)
        radius = int(round(float(np.hypot(*(pts[1] - pts[0])))))
        cv2.circle(m, (int(round(pts[0][0])), int(round(pts[0][1]))), radius, 1, -1)
        return MaskPatch.from_full(m)
    if kind == "mask":
        raw = r.get("mask", str)
        try:
            buf = np.frombuffer(base64.b64decode(raw), np.uint8)
            data = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
        except (ValueError, cv2.error):
            data = None
        if data is None:
            raise r.error("the mask is not a base64 PNG")
        if data.ndim == 3:
            data = data[..., 0]
        x0, y0 = (int(round(v)) for v in pts[0]) if len(pts) else (0, 0)
        return MaskPatch.from_window(data > 0, y0, x0, shape)
    return None  # points, lines: no area


def _read_labelme(source, index, cats, summary, cancel, progress) -> dict[int, list[Item]]:
    files = sorted(source.glob("*.json"))
    out: dict[int, list[Item]] = defaultdict(list)
    for n, f in enumerate(files):
        if cancel is not None:
            cancel.check()
        report(progress, n, len(files), "reading LabelMe files")
        doc = JsonReader(f, load_json(f))
        doc.expect(dict)
        rec = index.find(doc.get("imagePath", str, default=f.stem)) or index.find(f.stem)
        if rec is None:
            summary.skipped.append(f"{f}: no project image named like {doc.get('imagePath', str, default=f.stem)!r}")
            continue
        groups: dict[tuple, list] = {}
        for k, s in enumerate(doc.items("shapes")):
            label = s.get("label", str)
            mask = _shape_mask(s, rec.shape)
            if mask is None:
                summary.skipped.append(f"{f}: {s.path}: {s.get('shape_type', str)} shapes have no area")
                continue
            gid = s.get("group_id", int, default=None)
            key = (label, gid) if gid is not None else (label, "shape", k)
            score = s.get("score", int, float, default=None)
            entry = groups.setdefault(key, [label, MaskPatch.empty(rec.shape), score])
            entry[1] = entry[1].union(mask)
            if score is not None:
                entry[2] = score if entry[2] is None else max(entry[2], score)
        for label, mask, score in groups.values():
            if mask.is_empty:
                continue
            cats.check(label, str(f))
            out[rec.id].append((label, mask, None if score is None else float(score)))
    return out


_SUFFIX = re.compile(r"^(.*?)[_-](\d+)$")


def _read_masks(source, index, cats, mode, category, summary, cancel, progress) -> dict[int, list[Item]]:
    files = sorted(p for p in source.iterdir() if p.suffix.lower() == ".png")
    out: dict[int, list[Item]] = defaultdict(list)
    if mode != "semantic":
        category = category or "object"
        cats.check(category, str(source))
    for n, f in enumerate(files):
        if cancel is not None:
            cancel.check()
        report(progress, n, len(files), "reading masks")
        rec = index.find(f.name)
        if rec is None and mode == "binary" and (m := _SUFFIX.match(f.stem)):
            rec = index.find(m.group(1))
        if rec is None:
            summary.skipped.append(f"{f}: no project image with this name")
            continue
        data = cv2.imread(str(f), cv2.IMREAD_UNCHANGED)
        if data is None:
            raise FormatError(f, "cannot decode the PNG")
        if data.ndim == 3:
            data = data[..., 0] if mode == "binary" else cv2.cvtColor(data[..., :3], cv2.COLOR_BGR2GRAY)
        if data.shape != rec.shape:
            raise FormatError(f, f"mask is {data.shape[1]}x{data.shape[0]} but image {rec.path} is {rec.width}x{rec.height}")
        if mode == "binary":
            if data.any():
                out[rec.id].append((category, MaskPatch.from_full(data > 0), None))
            continue
        for v in np.unique(data).tolist():
            if v == 0:
                continue
            key = category if mode == "instance" else cats.by_position(int(v))
            if isinstance(key, str):
                cats.check(key, str(f))
            out[rec.id].append((key, MaskPatch.from_full(data == v), None))
    return out
