"""Label Studio JSON (the "JSON" tasks export): polygons, rectangles, ellipses and brushes.

Import: a list of tasks (or one task); each task's image is `data.image` (or the only string
in `data`), resolved relative to the JSON or `images_root`: the path as written, Label Studio's
local-files URL (`/data/local-files/?d=path`), the file name, and the file name without the
8-character prefix uploads get.  The first annotation that was not cancelled is imported (the
others are reported); predictions are not.  Results: `polygonlabels` (points in percent of
`original_width/height`, rasterised with pycocotools as the converter's COCO output is),
`rectanglelabels` (percent; rotated about the top-left corner, as Label Studio does),
`ellipselabels` (centre and radii in percent), `brushlabels` (the brush RLE, `_ls_rle`).
Vector shapes are kept as drawn.  Other result types (keypoints, choices, text) are reported.

Export: one task per image, one annotation holding every instance: shapes as drawn, else the
simplest polygon pycocotools draws as exactly the mask, else (holes, several parts) a brush;
`labeling_config.xml` beside the JSON declares the four control tags and the labels.
"""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse
from xml.sax.saxutils import quoteattr

import numpy as np

from segstudio.core.drawn import DrawnShape
from segstudio.core.masks import MaskPatch
from segstudio.core.shape_raster import box_patch, ellipse_patch
from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.io.atomic import StagedOutput
from segstudio.io.confine import Confined, dataset_root_of, exists
from segstudio.io.coords import REACHES_OUTSIDE, check_image_size, reaches_outside, tame_polygon
from segstudio.io.errors import FormatError, JsonReader, load_json
from segstudio.io.exporting import (
    IMAGE_PLACEMENTS,
    category_names,
    export_file,
    export_images,
    image_refs,
)
from segstudio.io.formats import _ls_rle
from segstudio.io.formats._polygons import polygon_rles
from segstudio.io.formats._vector import vector_shape
from segstudio.io.plan import ImportPlan, PlanImage, PlanInstance
from segstudio.io.registry import FormatSpec, Option
from segstudio.io.reports import ExportReport, ImportReport

FROM_NAMES = {"polygonlabels": "polygon", "rectanglelabels": "rectangle", "ellipselabels": "ellipse",
              "brushlabels": "brush"}
LS_KINDS = frozenset({"polygon", "rectangle", "ellipse", "rotation"})
_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-")


def _tasks(src: Path) -> tuple[Path, list[JsonReader]]:
    if src.is_dir():
        files = sorted(p for p in src.glob("*.json"))
        if len(files) != 1:
            raise FormatError(src, f"expected one Label Studio .json file in this folder, found {len(files)}")
        src = files[0]
    top = JsonReader(src, load_json(src))
    if isinstance(top.value, dict):
        if "tasks" in top.value:
            return src, top.items("tasks")
        return src, [top]
    return src, top.items()


def _image_ref(task: JsonReader) -> str:
    data = task.child("data", dict)
    if data.has("image") and isinstance(data.value["image"], str):
        return data.value["image"]
    strings = [v for v in data.value.values() if isinstance(v, str)]
    if len(strings) != 1:
        raise data.error("no image: expected data.image (or a single string in data)")
    return strings[0]


def _resolve(ref: str, roots: list[Path]) -> Path:
    url = urlparse(ref)
    candidates: list[str] = []
    if url.scheme in ("", "file") and not url.query:
        candidates.append(unquote(url.path))
    q = parse_qs(url.query).get("d")
    if q:
        candidates.append(unquote(q[0]))
    name = unquote(Path(url.path).name)
    candidates += [name, _UPLOAD_PREFIX.sub("", name)]
    for c in candidates:
        for root in roots:
            p = Path(c) if Path(c).is_absolute() else root / c
            if exists(p, "file"):
                return p
    return roots[-2] / candidates[0]  # not found: where the JSON says (reported as missing)


def read(src: Path, options: dict, progress: ProgressFn | None, cancel: CancelToken | None) -> ImportPlan:
    path, tasks = _tasks(src)
    plan = ImportPlan(ImportReport("label-studio"))
    rep = plan.report
    roots = [Path(options["images_root"])] if options.get("images_root") else []
    roots += [path.parent, path.parent / "images"]
    confine = Confined(dataset_root_of(path), path, bool(options.get("trust_paths")),
                       also=(options.get("images_root"),))
    by_path: dict[Path, PlanImage] = {}  # tasks of one image (two uploads) make one image
    polygons: list[tuple] = []  # (instance, flat points, image shape, where), drawn at the end
    for k, task in enumerate(tasks):
        if cancel is not None and k % 200 == 0:
            cancel.check()
        task.expect(dict)
        ref = _image_ref(task)
        annotations = [a for a in task.items("annotations", default_empty=True)
                       if not a.get("was_cancelled", bool, default=False)]
        if len(annotations) > 1:
            rep.lose("more annotations of a task not imported (the first is)", f"{task.path} ({ref})",
                     len(annotations) - 1)
        if task.get("predictions", list, default=[]):
            rep.lose("predictions not imported", f"{task.path} ({ref})")
        results = annotations[0].items("result", default_empty=True) if annotations else []
        size = _size(results)
        image = confine(_resolve(ref, roots), f"{task.path}.data")
        if size is None:
            size = _size_from_image(path, task, image)
        H, W = size
        check_image_size(W, H, path, task.path)
        im = by_path.get(image)
        if im is None:
            im = by_path[image] = PlanImage(image, W, H, ref=ref, source=path, where=task.path)
            plan.images.append(im)
        elif (im.height, im.width) != (H, W):
            raise task.error(f"image {ref} is {W}x{H} here but {im.width}x{im.height} in an earlier task")
        for r in results:
            before = len(polygons)
            inst = _instance(path, r, (H, W), plan, ref, polygons)
            if inst is not None and len(polygons) > before:  # a polygon: drawn with the others below
                polygons[-1] = (*polygons[-1], f"{ref} {r.path}")
                im.instances.append(inst)
            elif inst is not None:
                if (inst.rle is None and (inst.mask is None or inst.mask.is_empty)):
                    rep.skip(f"{ref} {r.path}", "shape covers no pixel")
                    continue
                im.instances.append(inst)
        report(progress, k + 1, len(tasks), ref)
    _draw_polygons(polygons, plan)
    return plan


def _draw_polygons(polygons: list[tuple], plan: ImportPlan) -> None:
    """Every polygon read, drawn as pycocotools draws it on the whole image, in one batch
    straight into the store's form (`polygon_rles`); those covering no pixel are skipped as such."""
    rles = polygon_rles([[flat] for _, flat, _, _ in polygons], [hw for _, _, hw, _ in polygons])
    empty = set()
    for (inst, _, _, where), rle in zip(polygons, rles):
        inst.rle = rle
        if not rle.area:
            plan.report.skip(where, "shape covers no pixel")
            empty.add(id(inst))
    if empty:
        for im in plan.images:
            im.instances = [i for i in im.instances if id(i) not in empty]


def _size(results: list[JsonReader]) -> tuple[int, int] | None:
    for r in results:
        if r.has("original_width") and r.has("original_height"):
            w, h = r.get("original_width", int), r.get("original_height", int)
            check_image_size(w, h, r.file, r.child_path("original_width"))
            return h, w
    return None


def _size_from_image(path: Path, task: JsonReader, image: Path) -> tuple[int, int]:
    from segstudio.core.image_header import HeaderError, read_header

    try:
        hdr = read_header(image)
    except (OSError, HeaderError) as e:
        raise FormatError(path, f"no original_width/height and the image cannot be read ({e})",
                          task.path) from None
    return hdr.height, hdr.width


def _pct(r: JsonReader, key: str) -> float:
    v = r.get(key, int, float)
    if not math.isfinite(v):
        raise FormatError(r.file, "expected a finite number", r.child_path(key))
    return float(v)


def _instance(path: Path, r: JsonReader, hw: tuple[int, int], plan: ImportPlan, ref: str,
              polygons: list[tuple]) -> PlanInstance | None:
    """The instance of one result; a polygon's mask is drawn later with the others: it is
    appended to `polygons` as (instance, flat points, image shape)."""
    rep = plan.report
    kind = r.get("type", str, default="")
    if kind not in FROM_NAMES:
        rep.skip(f"{ref} {r.path}", f"result type {kind!r} is not a region shape")
        return None
    value = r.child("value", dict)
    labels = value.get(kind, list, default=None)
    if labels is None and kind == "brushlabels":
        labels = value.get("labels", list, default=None)
    if not labels or not all(isinstance(x, str) and x.strip() for x in labels):
        raise value.error(f"expected a non-empty list of label names in {kind!r}")
    if len(labels) > 1:
        rep.lose("results with several labels (the first is kept)", f"{ref} {r.path}")
    inst = PlanInstance(plan.category(labels[0].strip()))
    H, W = hw
    if kind == "polygonlabels":
        pts_r = value.child("points", list)
        try:
            pts = np.asarray(pts_r.value, np.float64).reshape(-1, 2)
        except (TypeError, ValueError):
            raise pts_r.error("points must be [[x, y], ...] percentages") from None
        if len(pts) < 3 or not np.isfinite(pts).all():
            raise pts_r.error(f"a polygon needs at least 3 finite points, found {len(pts)}")
        px = pts * (W / 100.0, H / 100.0)
        if reaches_outside(px, hw):
            rep.lose(REACHES_OUTSIDE, f"{ref} {r.path}")
            px = tame_polygon(px, hw)  # far vertices clipped: pycocotools takes C ints
            if len(px) < 3:
                return inst
        inst.shape = DrawnShape.polygon([px], "coco")
        polygons.append((inst, px.ravel().tolist(), hw))
    elif kind == "rectanglelabels":
        x, y = _pct(value, "x") * W / 100, _pct(value, "y") * H / 100
        w, h = _pct(value, "width") * W / 100, _pct(value, "height") * H / 100
        rot = float(value.get("rotation", int, float, default=0.0))
        t = math.radians(rot)  # Label Studio turns a box about its top-left corner
        cx = x + (w / 2) * math.cos(t) - (h / 2) * math.sin(t)
        cy = y + (w / 2) * math.sin(t) + (h / 2) * math.cos(t)
        inst.shape = DrawnShape.rectangle(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, rot)
        inst.mask = box_patch(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, rot, hw)
    elif kind == "ellipselabels":
        cx, cy = _pct(value, "x") * W / 100, _pct(value, "y") * H / 100
        rx, ry = _pct(value, "radiusX") * W / 100, _pct(value, "radiusY") * H / 100
        rot = float(value.get("rotation", int, float, default=0.0))
        inst.shape = DrawnShape.ellipse(cx, cy, rx, ry, rot)
        inst.mask = ellipse_patch(cx, cy, rx, ry, rot, hw)
    else:
        fmt = value.get("format", str, default="rle")
        if fmt != "rle":
            raise value.error(f"brush format {fmt!r} is not supported (expected 'rle')")
        try:
            mask = _ls_rle.decode(value.get("rle", list), H, W)
        except _ls_rle.BrushRleError as e:
            raise FormatError(path, str(e), value.child_path("rle")) from None
        inst.mask = MaskPatch.from_full(mask).tight()
    score = r.get("score", int, float, default=None)
    if score is not None:
        inst.score = float(score)
    return inst


# --------------------------------------------------------------------------- export
def export(project, dst: Path, options: dict, progress: ProgressFn | None,
           cancel: CancelToken | None) -> ExportReport:
    rep = ExportReport("label-studio")
    path = export_file(dst, ".json", "tasks.json")
    out_dir = path.parent
    records = export_images(project, options)
    names = category_names(project)
    label_set = options.get("label_set", "gt")
    tolerance = float(options.get("tolerance") or 0.0)
    prefix = options.get("url_prefix") or ""
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
    tasks = []
    with StagedOutput(out_dir, f"label-studio.{path.name}") as stage:  # its own manifest
        refs = image_refs(project, records, out_dir, options.get("images", "link"), rep, stage)
        for k, rec in enumerate(records):
            if cancel is not None and k % 100 == 0:
                cancel.check()
            results = []
            for inst in project.load_instances(rec.id, 0, label_set):
                if inst.mask.is_empty:
                    continue
                name = names.get(inst.category_id, str(inst.category_id))
                rep.count(name)
                item = f"{rec.name} #{inst.id}"
                if inst.crowd:
                    rep.lose("crowd flags dropped (Label Studio has none)", item)
                if {a for a in inst.attributes if a != "source"}:
                    rep.lose("instance attributes dropped", item)
                results.append(_result(inst, name, rec, tolerance, rep, item))
            tasks.append({
                "id": k + 1, "data": {"image": prefix + refs[rec.id]},
                "annotations": [{"id": k + 1, "result": results, "was_cancelled": False,
                                 "ground_truth": False, "created_at": now, "updated_at": now,
                                 "lead_time": 0}],
                "predictions": [], "meta": {}, "created_at": now, "updated_at": now})
            rep.images += 1
            report(progress, k + 1, len(records), rec.name)
        stage.write_text(path.name, json.dumps(tasks, ensure_ascii=False, indent=1))
        stage.write_text("labeling_config.xml", _config(names.values()))
    rep.files += [str(path), str(out_dir / "labeling_config.xml")]
    return rep


def _result(inst, name: str, rec, tolerance: float, rep: ExportReport, item: str) -> dict:
    W, H = rec.width, rec.height
    vs = vector_shape(inst.mask, inst.shape, "coco", LS_KINDS, tolerance=tolerance, bitmap=True)
    if vs.kind == "polygon" and len(vs.rings) != 1:
        vs = vs.__class__("mask")  # one ring per Label Studio polygon: several parts as a brush
    if vs.changed:
        rep.lose("instances whose outline moved within the tolerance", item)
        rep.lose("pixels changed by simplification within the tolerance (total)", item, vs.changed)
    if vs.kind == "polygon":
        kind = "polygonlabels"
        pts = np.asarray(vs.rings[0], np.float64) * (100.0 / W, 100.0 / H)
        value = {"points": pts.tolist(), "closed": True}
    elif vs.kind == "rectangle":
        kind = "rectanglelabels"
        x0, y0, x1, y1 = vs.box
        w, h, t = x1 - x0, y1 - y0, math.radians(vs.rotation)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2  # back to the top-left corner it turns about
        x = cx - (w / 2) * math.cos(t) + (h / 2) * math.sin(t)
        y = cy - (w / 2) * math.sin(t) - (h / 2) * math.cos(t)
        value = {"x": x * 100 / W, "y": y * 100 / H, "width": w * 100 / W, "height": h * 100 / H,
                 "rotation": vs.rotation}
    elif vs.kind == "ellipse":
        kind = "ellipselabels"
        cx, cy, rx, ry = vs.box
        value = {"x": cx * 100 / W, "y": cy * 100 / H, "radiusX": rx * 100 / W, "radiusY": ry * 100 / H,
                 "rotation": vs.rotation}
    else:
        kind = "brushlabels"
        value = {"format": "rle", "rle": _ls_rle.encode(inst.mask.window(0, 0, H, W))}
    value[kind] = [name]
    out = {"id": uuid.uuid4().hex[:10], "type": kind, "from_name": FROM_NAMES[kind], "to_name": "image",
           "original_width": W, "original_height": H, "image_rotation": 0, "value": value}
    if inst.score is not None:
        out["score"] = inst.score
    return out


def _config(names) -> str:
    labels = "".join(f"    <Label value={quoteattr(n)}/>\n" for n in names)
    tags = "".join(f'  <{tag} name="{fn}" toName="image">\n{labels}  </{tag}>\n' for tag, fn in (
        ("PolygonLabels", "polygon"), ("RectangleLabels", "rectangle"), ("EllipseLabels", "ellipse"),
        ("BrushLabels", "brush")))
    return f'<View>\n  <Image name="image" value="$image"/>\n{tags}</View>\n'


FORMAT = FormatSpec(
    name="label-studio",
    description="Label Studio JSON tasks (polygonlabels, rectanglelabels, ellipselabels, brushlabels)",
    read_fn=read,
    export_fn=export,
    import_options=(
        Option("images_root", None, "folder to look for the images in first (default: beside the JSON)"),
    ),
    export_options=(
        Option("images", "link", "link (default) or copy the images into images/ beside the JSON "
               "(a folder imports accept as it is); reference: data.image is the image's path "
               "relative to the JSON (import with trust_paths=true)", IMAGE_PLACEMENTS),
        Option("url_prefix", "", "put this before every image path, e.g. /data/local-files/?d= "
               "for Label Studio's local file storage"),
        Option("tolerance", 0.0, "polygons may move outline pixels up to this many pixels "
               "(0: exact; changes are reported)", type=float),
    ),
    source="file",
)
