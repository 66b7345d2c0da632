"""LabelMe JSON (the LabelMe desktop tool, 5.x; 4.x files read too): one JSON per image.

Import: polygon, rectangle, circle, point, line, linestrip and `mask` shapes; shapes sharing a
`group_id` (and label) are the parts of one instance; shape flags and description are kept as
instance attributes; `imagePath` is resolved relative to the JSON and refused when it leaves the
dataset folder; embedded `imageData` is used when the image file is missing.  Points and lines
have no area: they are drawn as LabelMe's converters do (radius 5, width 10) and reported.
Export: one JSON per image into DST (or beside each image), `mask` shapes (lossless) or
polygons (holes dropped, reported), `imageData` omitted unless asked.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import numpy as np

from segstudio.core.drawn import DrawnShape
from segstudio.core.masks import MaskPatch
from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.io.atomic import StagedOutput, write_files_atomically
from segstudio.io.confine import TRUST_HINT, Confined, exists
from segstudio.io.coords import (
    REACHES_OUTSIDE,
    check_image_size,
    far_window,
    finite,
    reaches_outside,
    tame_polygon,
    within,
)
from segstudio.io.errors import FormatError, JsonReader, load_json
from segstudio.io.exporting import (
    IMAGE_PLACEMENTS,
    category_names,
    iter_images,
    not_an_image,
    place_image,
)
from segstudio.io.formats import _raster
from segstudio.io.formats._vector import vector_shape
from segstudio.io.plan import ImportPlan, PlanImage, PlanInstance
from segstudio.io.registry import FormatSpec, Option
from segstudio.io.reports import ExportReport, ImportReport

LABELME_VERSION = "5.5.0"
IGNORE_LABEL = "__ignore__"
SHAPE_TYPES = ("polygon", "rectangle", "circle", "point", "line", "linestrip", "mask")


def _json_files(src: Path) -> tuple[Path, list[Path]]:
    if src.is_file():
        return src.parent, [src]
    # hidden files and folders *inside* the dataset are skipped; the dataset may itself sit
    # under a hidden folder (~/.cache/...)
    files = sorted(p for p in src.rglob("*.json")
                   if not any(part.startswith(".") for part in p.relative_to(src).parts))
    if not files:
        raise FormatError(src, "no LabelMe .json files found")
    return src, files


def read(src: Path, options: dict, progress: ProgressFn | None, cancel: CancelToken | None) -> ImportPlan:
    root, files = _json_files(src)
    if options.get("dataset_root"):
        root = Path(options["dataset_root"])
    plan = ImportPlan(ImportReport("labelme"))
    confine = Confined(root, src, bool(options.get("trust_paths")),
                       f"widen it with the option dataset_root=FOLDER, or {TRUST_HINT}")
    for k, f in enumerate(files):
        if cancel is not None:
            cancel.check()
        data = load_json(f)
        if isinstance(data, dict) and "shapes" not in data and len(files) > 1:
            plan.report.skip(str(f), "not a LabelMe file (no 'shapes')")
            continue
        _read_one(f, data, confine, plan)
        report(progress, k + 1, len(files), f.name)
    return plan


def _read_one(f: Path, data, confine: Confined, plan: ImportPlan) -> None:
    r = JsonReader(f, data)
    r.expect(dict)
    rep = plan.report
    image_path = r.get("imagePath", str)
    p = Path(image_path.replace("\\", "/"))
    if not p.is_absolute() and not exists(f.parent / p) and exists(f.parent / p.name):
        p = Path(p.name)  # saved elsewhere, copied here with its image: LabelMe's own fallback
    path = confine(p, "imagePath", base=f.parent, file=f)
    h = r.get("imageHeight", int, default=None)
    w = r.get("imageWidth", int, default=None)
    embedded = None
    image_data = r.get("imageData", str, default=None)
    if not path.exists() and image_data:
        embedded = _embedded_image(f, image_data)
    if h is None or w is None:
        h, w = _size_from_image(f, path, embedded)
    check_image_size(w, h, f, "imageWidth")
    shape = (h, w)
    im = PlanImage(path, w, h, ref=f.name, embedded=embedded, source=f, where="imageHeight/imageWidth")
    if r.get("flags", dict, default={}):
        rep.lose("image-level flags not kept (the project has no place for them)", f.name)
    groups: dict[tuple, PlanInstance] = {}
    canvas = _raster.Canvas(shape)
    for s in r.items("shapes"):
        label = s.get("label", str).strip()
        if not label:
            raise FormatError(f, "empty label", s.child_path("label"))
        stype = s.get("shape_type", str, default="polygon")
        if stype not in SHAPE_TYPES:
            rep.skip(f"{f.name} {s.path}", f"unsupported shape_type {stype!r}")
            continue
        pts = _tamed(f, s, stype, finite(s.get("points", list), f, s.child_path("points"), columns=2),
                     shape, rep)
        patch = MaskPatch.empty(shape) if pts is None else _shape_patch(f, s, stype, pts, canvas, rep)
        if pts is None or patch.is_empty:
            rep.skip(f"{f.name} {s.path} ({label})", "shape covers no pixel")
            continue
        drawn = _drawn(stype, pts, patch)
        attrs = {}
        if s.get("flags", dict, default={}):
            attrs["flags"] = s.get("flags", dict)
        if s.get("description", str, default=""):
            attrs["description"] = s.get("description", str)
        gid = s.get("group_id", int, default=None)
        key = (label, gid) if gid is not None else (label, None, id(s.value))
        inst = groups.get(key)
        if inst is None:
            inst = PlanInstance(plan.category(label), mask=patch, attributes=attrs, shape=drawn)
            inst.attributes = attrs
            groups[key] = inst
            im.instances.append(inst)
        else:  # another part of the same instance
            inst.mask = inst.mask.union(patch) if inst.mask is not None else patch
            inst.shape = _merged(inst.shape, drawn)
            for k2, v in attrs.items():
                inst.attributes.setdefault(k2, v)
        if gid is not None:
            inst.attributes.setdefault("group_id", gid)
    plan.images.append(im)


def _embedded_image(f: Path, text: str) -> bytes:
    """The bytes of `imageData`: strict base64 of a supported image (a shell script or an empty
    decode would otherwise become a project image)."""
    from segstudio.core.image_header import HeaderError, read_header

    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except ValueError:
        raise FormatError(f, "imageData is not valid base64", "imageData") from None
    try:
        read_header(None, raw)
    except HeaderError as e:
        raise FormatError(f, f"imageData is not an image ({e})", "imageData") from None
    return raw


def _drawn(stype: str, pts: np.ndarray, patch: MaskPatch) -> DrawnShape | None:
    """The LabelMe shape kept as drawn (polygons by LabelMe's own rule, rectangles as the pixel
    box PIL fills, lines and points as drawn); circles and masks keep none."""
    if stype == "polygon":
        return DrawnShape.polygon([pts], "labelme")
    if stype == "rectangle":
        t = patch.tight()
        return DrawnShape.rectangle(t.x0, t.y0, t.x1, t.y1) if t.area == t.height * t.width else None
    if stype in ("line", "linestrip"):
        return DrawnShape("polyline", (tuple(pts.ravel().tolist()),), "line")
    if stype == "point":
        return DrawnShape("points", (tuple(pts[:1].ravel().tolist()),), "point")
    return None


def _merged(a: DrawnShape | None, b: DrawnShape | None) -> DrawnShape | None:
    """Parts of one instance (same group_id): polygons of one rule stay one shape."""
    if a is None or b is None or a.kind != b.kind or a.rule != b.rule or a.kind not in ("polygon", "points"):
        return None
    return DrawnShape(a.kind, a.coords + b.coords, a.rule)


_NEED = {"polygon": 3, "rectangle": 2, "circle": 2, "point": 1, "line": 2, "linestrip": 2, "mask": 2}


def _tamed(f, s: JsonReader, stype: str, pts: np.ndarray, shape: tuple[int, int], rep) -> np.ndarray | None:
    """The shape's points, safe to draw and keep: far polygons clipped, rectangles clamped
    (PIL takes C ints), circles and lines reaching far out refused; None when a polygon lies
    wholly outside.  Shapes reaching outside the image are reported."""
    n = len(pts)
    where = s.child_path("points")
    if n < _NEED[stype]:
        raise FormatError(f, f"a {stype} needs at least {_NEED[stype]} points, found {n}", where)
    if stype == "polygon":
        pts = tame_polygon(pts, shape)
        if len(pts) < 3:
            return None
    elif stype == "rectangle":
        x0, y0, x1, y1 = far_window(shape)
        pts = np.clip(pts[:2], (x0, y0), (x1, y1))  # the part inside the image is unchanged
    elif stype in ("circle", "line", "linestrip"):
        reach = pts if stype != "circle" else _circle_box(pts)
        if not within(reach, far_window(shape)):
            raise FormatError(f, f"a {stype} reaching more than one image size beyond the "
                              f"{shape[1]}x{shape[0]} image", where)
    elif not within(pts[:1], far_window(shape)):  # a point, or a mask's corner
        return None
    if stype != "mask" and reaches_outside(pts if stype != "circle" else _circle_box(pts), shape):
        rep.lose(REACHES_OUTSIDE, f"{f.name} {s.path}")
    return pts


def _shape_patch(f, s: JsonReader, stype: str, pts: np.ndarray, canvas: _raster.Canvas,
                 rep) -> MaskPatch:
    shape = canvas.shape
    if stype == "polygon":
        return _raster.polygon(pts, canvas)
    if stype == "rectangle":
        return _raster.rectangle(pts, canvas)
    if stype == "circle":
        return _raster.circle(pts, canvas)
    if stype == "point":
        rep.lose("points drawn as discs of radius 5 px", f"{f.name} {s.path}")
        return _raster.point(pts, canvas)
    if stype in ("line", "linestrip"):
        rep.lose("lines drawn 10 px wide", f"{f.name} {s.path}")
        return _raster.line(pts, canvas)
    # mask: a PNG of the box from points[0] to points[1] inclusive
    b64 = s.get("mask", str, default="")
    if not b64:
        raise FormatError(f, "a mask shape without mask data", s.child_path("mask"))
    try:
        crop = _raster.png_b64_to_mask(b64, max_pixels=shape[0] * shape[1])
    except ValueError as e:
        raise FormatError(f, f"mask data: {e}", s.child_path("mask")) from None
    x0, y0 = int(pts[0, 0]), int(pts[0, 1])
    return MaskPatch.from_window(crop, y0, x0, shape)


def _circle_box(pts: np.ndarray) -> np.ndarray:
    (cx, cy), (px, py) = pts[:2]
    r = float(np.hypot(cx - px, cy - py))
    return np.array([[cx - r, cy - r], [cx + r, cy + r]])


def _size_from_image(f: Path, path: Path, embedded: bytes | None) -> tuple[int, int]:
    from segstudio.core.image_header import HeaderError, read_header

    try:
        hdr = read_header(path, embedded) if embedded else read_header(path)
    except (OSError, HeaderError) as e:
        raise FormatError(f, f"no imageHeight/imageWidth and the image cannot be read ({e})") from None
    return hdr.height, hdr.width


def export(project, dst: Path, options: dict, progress: ProgressFn | None,
           cancel: CancelToken | None) -> ExportReport:
    rep = ExportReport("labelme")
    names = category_names(project)
    ignore = frozenset(c.id for c in project.categories() if c.ignore)
    beside = options.get("beside_images", False)
    files: dict[Path, bytes] = {}
    staged = None if beside else StagedOutput(dst, "labelme")
    how = "copy" if options.get("copy_images") else options.get("images", "link")
    try:
        for rec, instances in iter_images(project, options, rep, progress, cancel):
            img = project.image_path(rec)
            target = img.with_suffix(".json") if beside else dst / Path(rec.path).with_suffix(".json").name
            rel = target.name
            if not beside and any(Path(p).name == rel for p in (staged.written if staged else ())):
                rel = f"{Path(rec.path).parent.as_posix().replace('/', '__')}__{rel}"  # same name twice
            ref_img = img
            if how != "reference" and not beside and staged is not None:
                if img.is_file():  # beside its JSON, same stem: the folder is self-contained
                    name = Path(rel).with_suffix(img.suffix).name
                    if place_image(img, staged.path(name), how, rep):
                        ref_img = dst / name
                else:
                    rep.warn(f"{rec.path}: image file not found; not {how}ed (referenced where it should be)")
            doc = _document(rec, img, ref_img, target, instances, names, options, rep, ignore)
            text = json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8")
            if beside:
                files[target] = text
            else:
                assert staged is not None
                staged.write_bytes(rel, text)
            rep.files.append(str(target))
        if cancel is not None:
            cancel.check()
        if beside:
            write_files_atomically(files)
        else:
            assert staged is not None
            staged.commit()
    except BaseException:
        if staged is not None:
            staged.abort()
        raise
    return rep


LABELME_KINDS = frozenset({"polygon", "rectangle", "polyline", "points"})


def _document(rec, img: Path, ref_img: Path, target: Path, instances, names, options, rep,
              ignore: frozenset[int] = frozenset()) -> dict:
    shapes = []
    mode = options.get("shapes", "auto")
    tolerance = float(options.get("tolerance") or 0.0)
    for inst in instances:
        label = names.get(inst.category_id, str(inst.category_id))
        rep.count(label)
        if inst.category_id in ignore:
            label = IGNORE_LABEL  # LabelMe's (and labelme2voc's) ignore region
        attrs = dict(inst.attributes)
        flags = attrs.pop("flags", {}) if isinstance(attrs.get("flags"), dict) else {}
        if inst.crowd:
            flags = {**flags, "crowd": True}
        description = str(attrs.pop("description", "") or "")
        attrs.pop("group_id", None)
        if attrs:
            rep.lose("instance attributes other than flags/description dropped", f"{rec.name} #{inst.id}")
        base = {"label": label, "group_id": None, "description": description, "flags": flags}
        shapes.extend(_shapes(inst, base, mode, tolerance, rep, f"{rec.name} #{inst.id}"))
    image_rel = Path(os.path.relpath(ref_img, target.parent)).as_posix()
    image_data = None
    if options.get("embed_images") and img.exists():
        problem = not_an_image(img)
        if problem:
            rep.warn(f"{img}: {problem}; not embedded")
        else:
            image_data = base64.b64encode(img.read_bytes()).decode("ascii")
    return {"version": LABELME_VERSION, "flags": {}, "shapes": shapes, "imagePath": image_rel,
            "imageData": image_data, "imageHeight": rec.height, "imageWidth": rec.width}


def _shapes(inst, base: dict, mode: str, tolerance: float, rep, item: str) -> list[dict]:
    """LabelMe shapes of one instance.  auto: as drawn or the simplest polygon PIL draws as
    exactly the mask (a full box as a rectangle), a mask shape where none does; polygon:
    polygons always (holes and changed pixels reported); mask: mask shapes always."""
    m = inst.mask.tight()
    mask_shape = {**base, "points": [[float(m.x0), float(m.y0)], [float(m.x1 - 1), float(m.y1 - 1)]],
                  "shape_type": "mask", "mask": _raster.png_b64(m.data)}
    if mode == "mask":
        return [mask_shape]
    vs = vector_shape(m, inst.shape, "labelme", LABELME_KINDS, tolerance=tolerance, bitmap=mode == "auto")
    if vs.kind == "mask":
        return [mask_shape]
    if vs.holes_filled:
        rep.lose("holes dropped (LabelMe polygons cannot have holes)", item)
    if vs.changed:
        rep.lose("boundary pixels changed by polygon conversion", item)
        rep.lose("boundary pixels changed by polygon conversion (total)", item, vs.changed)
    if vs.kind == "rectangle":
        x0, y0, x1, y1 = vs.box  # pixel-box corners; PIL draws the outline: inclusive indices
        return [{**base, "points": [[float(x0), float(y0)], [float(x1 - 1), float(y1 - 1)]],
                 "shape_type": "rectangle", "mask": None}]
    kind = {"polygon": "polygon", "polyline": "linestrip", "points": "point"}[vs.kind]
    pieces = [r for r in vs.rings] if kind != "point" else [p[None] for r in vs.rings for p in r]
    gid = inst.id if len(pieces) > 1 else None
    return [{**base, "group_id": gid, "points": np.asarray(r, np.float64).tolist(), "shape_type": kind,
             "mask": None} for r in pieces]


FORMAT = FormatSpec(
    name="labelme",
    description="LabelMe JSON, one file per image (mask, polygon, rectangle, circle, point, line shapes)",
    read_fn=read,
    export_fn=export,
    import_options=(
        Option("dataset_root", None, "images may live anywhere under this folder (default: SRC)"),
    ),
    export_options=(
        Option("shapes", "auto", "auto: shapes as drawn or the simplest exact polygons, mask shapes "
               "where no polygon is exact; polygon: outlines always (holes lost); mask: bitmaps always",
               ("auto", "polygon", "mask")),
        Option("tolerance", 0.0, "polygons may move outline pixels up to this many pixels (0: exact; "
               "changes are reported)", type=float),
        Option("beside_images", False, "write each JSON next to its image instead of into DST", type=bool),
        Option("embed_images", False, "embed the image bytes as imageData", type=bool),
        Option("images", "link", "link or copy each image next to its JSON in DST (a self-contained "
               "folder LabelMe and `segstudio validate` read as it is); reference: imagePath points "
               "at the image where it is (import it with dataset_root=)", IMAGE_PLACEMENTS),
        Option("copy_images", False, "copy the images (as images=copy)", type=bool),
    ),
    source="folder",
)
