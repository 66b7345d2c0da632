"""CVAT for images 1.1 (XML): import and export.

Import: `<image>` elements with boxes (rotation kept), polygons, ellipses, masks (CVAT's RLE
over the mask's box), polylines and points (kept as drawn; their masks are drawn 10 px wide and
as 5 px discs, and reported), attributes typed as the label declares them, `occluded`,
`z_order` (the instances' order), `group_id`, `source`; image-level tags are reported, not
kept; skeletons and cuboids are skipped (reported).  Polygons are rasterised as pycocotools
does (what Datumaro and CVAT's own mask export use), all of an image in one call; boxes and
ellipses take the pixels whose centres lie inside.  Every vector shape is kept as drawn, so a
CVAT -> SegStudio -> CVAT round trip writes the same shapes back.

Export: `annotations.xml` (or the .xml file named): instances with a kept shape are written as
drawn; the others as the simplest polygon that rasterises to the exact mask, or as a `<mask>`
where no polygon does (holes, thin parts) -- lossless (see `_vector`).  `tolerance=N` allows
simpler polygons within N pixels (changes reported).  The images are linked (`images=link`,
default) or copied into `images/` beside the XML and named relative to that folder: CVAT's own
export layout, which Datumaro requires and our importer accepts without `trust_paths`;
`images=reference` names them where they lie, relative to the XML.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np

from segstudio.core import rle as core_rle
from segstudio.core.drawn import DrawnShape
from segstudio.core.masks import MaskPatch
from segstudio.core.shape_raster import box_patch, ellipse_patch
from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.io import rle_batch as rb
from segstudio.io.atomic import StagedOutput
from segstudio.io.confine import Confined, dataset_root_of, exists
from segstudio.io.coords import (
    OUTSIDE_TOLERANCE,
    REACHES_OUTSIDE,
    check_image_size,
    far_window,
    tame_polygon,
    within,
)
from segstudio.io.errors import FormatError
from segstudio.io.exporting import IMAGE_PLACEMENTS, export_file, export_images, image_refs
from segstudio.io.formats import _cvat_xml as cx
from segstudio.io.formats._cvat_polygons import PolygonColumns, big_file, warm_up
from segstudio.io.formats._cvat_scan import Irregular, Scanned, scan
from segstudio.io.formats._vector import VectorShape, vector_shape
from segstudio.io.plan import ImportPlan, PatchRle, PlanImage, PlanInstance
from segstudio.io.registry import FormatSpec, Option
from segstudio.io.reports import ExportReport, ImportReport
from segstudio.store.bulk import stored_rows

CVAT_KINDS = frozenset({"polygon", "rectangle", "ellipse", "polyline", "points", "rotation"})
SPLITS = {"train": "train", "training": "train", "val": "val", "valid": "val", "validation": "val",
          "test": "test", "testing": "test"}
BUILTIN = ("occluded", "group_id", "source")  # instance attributes written as XML attributes


def annotation_file(src: Path) -> Path:
    if src.is_dir():
        for name in ("annotations.xml", "annotation.xml"):
            if (src / name).is_file():
                return src / name
        files = sorted(src.glob("*.xml"))
        if len(files) != 1:
            raise FormatError(src, f"expected annotations.xml or one .xml file in this folder, found {len(files)}")
        return files[0]
    return src


def label_specs(doc: cx.Document) -> dict[str, dict[str, str]]:
    """label name -> attribute name -> input type, from `<meta>`."""
    out: dict[str, dict[str, str]] = {}
    if doc.meta is None:
        return out
    for labels in doc.meta.iter("labels"):
        for lab in labels.children:
            if lab.tag != "label":
                continue
            name = lab.text_of("name")
            spec = out.setdefault(name, {})
            for attrs in lab.iter("attributes"):
                for a in attrs.children:
                    if a.tag == "attribute":
                        spec[a.text_of("name")] = a.text_of("input_type", "text")
    return out


def label_colors(doc: cx.Document) -> dict[str, tuple[int, int, int]]:
    out: dict[str, tuple[int, int, int]] = {}
    if doc.meta is None:
        return out
    for lab in doc.meta.iter("label"):
        c = lab.text_of("color")
        if len(c) == 7 and c.startswith("#"):
            try:
                out[lab.text_of("name")] = (int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16))
            except ValueError:
                continue
    return out


def _images_root(xml: Path, names: list[str], given: str | None) -> Path:
    if given:
        return Path(given)
    candidates = [xml.parent / "images", xml.parent]
    for c in candidates:
        if any(exists(c / n) for n in names[:20]):
            return c
    return xml.parent


class ShapeReader:
    """Turns CVAT shape records into plan instances (shared with CVAT for video)."""

    def __init__(self, path: Path, plan: ImportPlan, specs: dict[str, dict[str, str]]) -> None:
        self.path = path
        self.plan = plan
        self.specs = specs
        self.polygons: list[tuple[PlanInstance, tuple[float, ...], int, int]] = []

    def instance(self, s: cx.Shape, label: str, shape_hw: tuple[int, int], where: str) -> PlanInstance | None:
        rep = self.plan.report
        path = self.path
        if not label:
            raise FormatError(path, f"<{s.tag}> without a label", f"line {s.line}")
        if s.tag in ("skeleton", "cuboid"):
            rep.skip(f"{where} line {s.line}", f"{s.tag}s are not segmentation shapes")
            return None
        attrs, crowd = self.attributes(s, label)
        inst = PlanInstance(self.plan.category(label), attributes=attrs, crowd=crowd)
        H, W = shape_hw
        if s.tag == "polygon":
            flat = _plain_points(s.attrs.get("points"), W, H)
            if flat is None:  # malformed, non-finite or far: the checked (slower) path
                pts = cx.points(s, path)
                if len(pts) < 3:
                    raise FormatError(path, f"a polygon needs at least 3 points, found {len(pts)}",
                                      f"line {s.line}")
                rep.lose(REACHES_OUTSIDE, f"{where} line {s.line}")
                pts = tame_polygon(pts, shape_hw)  # far vertices clipped: pycocotools takes C ints
                if len(pts) < 3:
                    return inst  # nothing near the image: an empty mask, skipped as such
                flat = tuple(pts.ravel().tolist())
            inst.shape = DrawnShape("polygon", (flat,), "coco")  # as drawn (tamed if far)
            self.polygons.append((inst, flat, H, W))
            return inst
        if s.tag == "box":
            x0, y0 = cx.number(s, "xtl", path), cx.number(s, "ytl", path)
            x1, y1 = cx.number(s, "xbr", path), cx.number(s, "ybr", path)
            rot = cx.number(s, "rotation", path, default=0.0)
            inst.shape = DrawnShape.rectangle(x0, y0, x1, y1, rot)
            inst.mask = box_patch(x0, y0, x1, y1, rot, shape_hw)
        elif s.tag == "ellipse":
            ecx, ecy, erx, ery = (cx.number(s, k, path) for k in ("cx", "cy", "rx", "ry"))
            rot = cx.number(s, "rotation", path, default=0.0)
            inst.shape = DrawnShape.ellipse(ecx, ecy, erx, ery, rot)
            inst.mask = ellipse_patch(ecx, ecy, erx, ery, rot, shape_hw)
        elif s.tag == "mask":
            top, left, box = cx.mask_from_rle(s, path, shape_hw)
            inst.mask = MaskPatch.from_window(box, top, left, shape_hw)
        elif s.tag in ("polyline", "points"):
            pts = cx.points(s, path)
            if not within(pts, far_window(shape_hw)):  # PIL takes C ints; clipping bends a line
                raise FormatError(path, f"<{s.tag}> reaches far beyond the {W}x{H} image", f"line {s.line}")
            kind = "polyline" if s.tag == "polyline" else "points"
            inst.shape = DrawnShape(kind, (tuple(pts.ravel().tolist()),), "line" if kind == "polyline" else "point")
            inst.mask = inst.shape.rasterise(shape_hw)
            rep.lose("polylines drawn 10 px wide" if kind == "polyline" else "points drawn as discs of radius 5 px",
                     f"{where} line {s.line}")
        else:
            rep.skip(f"{where} line {s.line}", f"unsupported shape <{s.tag}>")
            return None
        return inst

    def attributes(self, s: cx.Shape, label: str) -> tuple[dict, bool]:
        """The instance attributes of a shape (typed as its label declares them) and whether it
        is a crowd region."""
        spec = self.specs.get(label, {})
        attrs: dict = {}
        for name, value in s.attributes:
            attrs[name] = cx.typed(value, spec.get(name))
        crowd = bool(attrs.pop("is_crowd", False) is True or attrs.pop("iscrowd", False) is True)
        if s.attrs.get("occluded") == "1":
            attrs["occluded"] = True
        if s.attrs.get("group_id") not in (None, "", "0"):
            attrs["group_id"] = cx.integer(s.attrs, "group_id", self.path, s.line)
        if s.attrs.get("source") not in (None, "", "manual"):
            attrs["source"] = s.attrs["source"]
        return attrs, crowd

    def finish(self) -> None:
        """Rasterise every polygon read, as pycocotools does, image by image in one call."""
        if not self.polygons:
            return
        from pycocotools import mask as cmask

        strings: list[bytes] = []
        H = np.array([h for _, _, h, _ in self.polygons], np.int64)
        W = np.array([w for _, _, _, w in self.polygons], np.int64)
        k = 0
        while k < len(self.polygons):  # runs of polygons of the same image size: one call each
            h, w = int(H[k]), int(W[k])
            j = k
            while j < len(self.polygons) and H[j] == h and W[j] == w:
                j += 1
            rles = cmask.frPyObjects([list(p[1]) for p in self.polygons[k:j]], h, w)
            strings.extend(r["counts"] for r in rles)
            k = j
        boxes, patches = rb.image_strings_to_patches(strings, H, W)
        y0, x0, hh, ww, area = (b.tolist() for b in (boxes.y0, boxes.x0, boxes.h, boxes.w, boxes.area))
        for j, (inst, _, _, _) in enumerate(self.polygons):
            inst.rle = PatchRle(y0[j], x0[j], hh[j], ww[j], patches[j], area[j])
        self.polygons.clear()


def _plain_points(text: str | None, W: int, H: int) -> tuple[float, ...] | None:
    """`points` of an ordinary polygon (>= 3 finite points, none more than 1 px outside the
    image) as a flat tuple, parsed without numpy (most of a polygon file's reading time);
    None for anything else, which the checked path then reports or refuses."""
    if not text:
        return None
    try:
        flat = tuple(map(float, text.replace(";", ",").split(",")))
    except ValueError:
        return None
    if len(flat) < 6 or len(flat) % 2 or not math.isfinite(sum(flat)):
        return None
    xs, ys = flat[0::2], flat[1::2]
    t = OUTSIDE_TOLERANCE
    if min(xs) < -t or min(ys) < -t or max(xs) > W + t or max(ys) > H + t:
        return None
    return flat


def _empty(inst: PlanInstance) -> bool:
    if inst.rle is not None:
        return inst.rle.area == 0
    return inst.mask is None or inst.mask.is_empty


def read(src: Path, options: dict, progress: ProgressFn | None, cancel: CancelToken | None) -> ImportPlan:
    xml = annotation_file(src)
    warm_up(xml)
    scanned = scan(xml)  # the common polygon-only file, read fast (`_cvat_scan`); else None
    if scanned is not None:
        try:
            return _read(xml, scanned.doc, scanned, options, progress, cancel)
        except Irregular:
            pass  # some image holds more than plain polygons: the full parser reads it all
        except FormatError:
            if scanned.regular():  # else the full parser's error comes first, as it always did
                raise
    return _read(xml, cx.parse(xml), None, options, progress, cancel)


def _read(xml: Path, doc: cx.Document, scanned: Scanned | None, options: dict,
          progress: ProgressFn | None, cancel: CancelToken | None) -> ImportPlan:
    if doc.tracks and not doc.images:
        raise FormatError(xml, "this is a CVAT for video file (<track> elements); import it as cvat-video")
    plan = ImportPlan(ImportReport("cvat"))
    specs = label_specs(doc)
    colors = label_colors(doc)
    for name in specs:
        if name:
            plan.category(name, colors.get(name))
    names = [im.attrs.get("name", "") for im in doc.images]
    root = _images_root(xml, names, options.get("images_root"))
    confine = Confined(dataset_root_of(xml), xml, bool(options.get("trust_paths")),
                       also=(options.get("images_root"),))
    reader = ShapeReader(xml, plan, specs)
    polygons = PolygonColumns(xml, plan, reader.attributes)
    ordered: list[tuple[PlanImage, list[tuple[int, int, PlanInstance]]]] = []
    images = iter(enumerate(doc.images))

    def advance() -> bool:
        """Read the next image into the plan; False when none is left."""
        k, im = next(images, (-1, None))
        if im is None:
            return False
        name = im.attrs.get("name") or ""
        if not name:
            raise FormatError(xml, "<image> without a name", f"line {im.line}")
        w = cx.integer(im.attrs, "width", xml, im.line, default=0)
        h = cx.integer(im.attrs, "height", xml, im.line, default=0)
        path = confine(name, f"line {im.line}", base=root)
        if w <= 0 or h <= 0:
            w, h = _size_from_image(xml, im, path)
        check_image_size(w, h, xml, f"line {im.line}")
        subset = im.attrs.get("subset", "")
        split = options.get("split") or SPLITS.get(subset.strip().lower())
        pim = PlanImage(path, w, h, split=split, ref=name, source=xml, where=f"line {im.line}")
        if im.tags:
            plan.report.lose("image-level tags not kept", f"{name} ({', '.join(t.attrs.get('label', '') for t in im.tags)})",
                             len(im.tags))
        if scanned is not None:  # polygons only (or none), read now
            a, b = scanned.polygons(k)
            if b > a:
                polygons.add_scanned(len(plan.images), pim, scanned, a, b)
        elif im.shapes and all(s.tag == "polygon" for s in im.shapes):
            polygons.add(len(plan.images), pim, im.shapes)  # the common case: as columns
        else:
            insts = []
            for order, s in enumerate(im.shapes):
                inst = reader.instance(s, s.attrs.get("label", ""), (h, w), name)
                if inst is not None:
                    z = cx.integer(s.attrs, "z_order", xml, s.line, default=0)
                    insts.append((z, order, inst))
            ordered.append((pim, insts))
        plan.images.append(pim)
        if cancel is not None and k % 500 == 0:
            cancel.check()
        if k % 500 == 0:
            report(progress, k, len(doc.images), "reading")
        return True

    if scanned is not None and big_file(xml):  # drawing starts while the rest is read
        polygons.stream(advance)
    try:
        while advance():
            pass
    except BaseException:
        polygons.stop()
        raise
    reader.finish()
    for pim, insts in ordered:
        for _z, _order, inst in sorted(insts, key=lambda t: (t[0], t[1])):
            if _empty(inst):
                plan.report.skip(f"{pim.ref} ({inst.category})", "shape covers no pixel")
                continue
            pim.instances.append(inst)
    plan.columns = polygons.columns()
    return plan


def _size_from_image(xml: Path, im: cx.Image, path: Path) -> tuple[int, int]:
    from segstudio.core.image_header import HeaderError, read_header

    try:
        hdr = read_header(path)
    except (OSError, HeaderError) as e:
        raise FormatError(xml, f"<image> without width/height and the image cannot be read ({e})",
                          f"line {im.line}") from None
    return hdr.width, hdr.height


# --------------------------------------------------------------------------- export
def export(project, dst: Path, options: dict, progress: ProgressFn | None,
           cancel: CancelToken | None) -> ExportReport:
    rep = ExportReport("cvat")
    xml = export_file(dst, ".xml", "annotations.xml")
    out_dir = xml.parent
    records = export_images(project, options)
    cats = list(project.categories())
    names = {c.id: c.name for c in cats}
    rows: dict[int, list] = {}
    wanted = {r.id for r in records}
    for row in stored_rows(project, options.get("label_set", "gt")):
        if row[0] in wanted:
            rows.setdefault(row[0], []).append(row)
    writer = ShapeWriter(names, rep, float(options.get("tolerance") or 0.0))
    # a named .xml shares its folder with other files: its manifest is its own
    with StagedOutput(out_dir, f"cvat.{xml.name}") as stage:
        how = options.get("images", "link")
        refs = image_refs(project, records, out_dir, how, rep, stage)
        if how != "reference":  # CVAT's layout: names relative to images/ (Datumaro needs it)
            refs = {k: v[len("images/"):] if v.startswith("images/") else v for k, v in refs.items()}
        body: list[str] = []
        for k, rec in enumerate(records):
            if cancel is not None and k % 100 == 0:
                cancel.check()
            sub = f' subset={cx.attr(rec.split)}' if rec.split else ""
            body.append(f'  <image id="{k}" name={cx.attr(refs[rec.id])} width="{rec.width}" '
                        f'height="{rec.height}"{sub}>\n')
            for z, row in enumerate(rows.get(rec.id, ())):
                body.append(writer.element(row, (rec.height, rec.width), z, f"{rec.name} #{row[1]}", "    "))
            body.append("  </image>\n")
            rep.images += 1
            report(progress, k + 1, len(records), rec.name)
        head = _head(project, cats, writer.attribute_values, len(records))
        with open(stage.path(xml.name), "w", encoding="utf-8") as f:
            f.write(head)
            f.writelines(body)
            f.write("</annotations>\n")
        if cancel is not None:
            cancel.check()
    rep.files.append(str(xml))
    return rep


class ShapeWriter:
    """One store row -> one CVAT shape element (shared with CVAT for video)."""

    def __init__(self, names: dict[int, str], rep: ExportReport, tolerance: float) -> None:
        self.names = names
        self.rep = rep
        self.tolerance = tolerance
        self.attribute_values: dict[str, dict[str, list]] = {}  # label -> attribute -> values
        self._quoted: dict[str, str] = {}

    def element(self, row, hw: tuple[int, int], z: int, item: str, indent: str,
                extra: str = "", label: bool = True, count: bool = True) -> str:
        """The XML of one instance row (image_id, id, category_id, rle, y0, x0, h, w, area,
        crowd, attributes, shape); `extra`: more XML attributes (frame, keyframe, outside);
        `count`: an instance of the report (not a track's closing `outside` copy)."""
        _, _, cid, enc, y0, x0, h, w, area, crowd, attrs_json, shape_json = row[:12]
        name = self.names.get(cid, str(cid))
        if count:
            self.rep.count(name)
        attrs = json.loads(attrs_json) if attrs_json and attrs_json != "{}" else {}
        if crowd:
            attrs["is_crowd"] = True
        points = _trusted_points(shape_json, area)
        if points is not None:  # the common case of polygon files: no parsing, no numpy
            tag, geo = "polygon", f' points="{points}"'
        else:
            tag, geo = self.geometry(enc, y0, x0, h, w, area, shape_json, hw, item, count)
        occluded = "1" if attrs.pop("occluded", False) is True else "0"
        group = attrs.pop("group_id", None)
        source = attrs.pop("source", "manual")
        lab = f" label={self.quoted(name)}" if label else ""
        head = f"source={self.quoted(source)} occluded=\"{occluded}\"{extra}"
        tail = f' z_order="{z}"' + (f' group_id="{int(group)}"' if isinstance(group, int) else "")
        spec = self.attribute_values.setdefault(name, {})
        children = ""
        for key, value in attrs.items():
            spec.setdefault(key, []).append(value)
            children += f"{indent}  <attribute name={cx.attr(key)}>{cx.text(cx.attribute_value(value))}</attribute>\n"
        if not children:
            return f"{indent}<{tag}{lab} {head}{geo}{tail}></{tag}>\n"
        return f"{indent}<{tag}{lab} {head}{geo}{tail}>\n{children}{indent}</{tag}>\n"

    def quoted(self, value: str) -> str:
        """`cx.attr(value)`, remembered: labels and sources repeat on every shape."""
        q = self._quoted.get(value)
        if q is None:
            q = self._quoted[value] = cx.attr(value)
        return q

    def geometry(self, enc, y0, x0, h, w, area, shape_json, hw, item: str, count: bool) -> tuple[str, str]:
        """(element tag, its geometry attributes) of a row that is not a kept plain polygon."""
        vs, patch = self.vector(enc, y0, x0, h, w, area, shape_json, hw)
        if vs.changed and count:
            self.rep.lose("instances whose outline moved within the tolerance", item)
            self.rep.lose("pixels changed by simplification within the tolerance (total)", item, vs.changed)
        if vs.kind == "mask":
            t = (patch if patch is not None else _decode(enc, y0, x0, h, w, hw)).tight()
            return "mask", (f' rle="{cx.rle_of(t.data)}" left="{t.x0}" top="{t.y0}"'
                            f' width="{t.width}" height="{t.height}"')
        if vs.kind in ("rectangle", "ellipse"):
            keys = ("xtl", "ytl", "xbr", "ybr") if vs.kind == "rectangle" else ("cx", "cy", "rx", "ry")
            geo = "".join(f' {k}="{cx.fmt(v)}"' for k, v in zip(keys, vs.box))
            if vs.rotation:
                geo += f' rotation="{cx.fmt(vs.rotation)}"'
            return "box" if vs.kind == "rectangle" else "ellipse", geo
        return vs.kind, f' points="{cx.points_text(vs.rings[0])}"'

    def vector(self, enc, y0, x0, h, w, area, shape_json, hw):
        """(what to write, the decoded mask or None).  A kept shape whose area still matches
        is written without rasterising again (a mask change drops the shape; the area check
        guards against stale rows), unless it is a polygon drawn by another rule (LabelMe's):
        `vector_shape` checks those.  Polygons of several parts become one `<mask>` (a CVAT
        polygon has one ring; grouped shapes would read back as separate objects)."""
        drawn = DrawnShape.from_json(shape_json)
        if drawn is not None and drawn.area != area:
            drawn = None
        if drawn is not None and drawn.kind in CVAT_KINDS and len(drawn.coords) == 1 and \
                (drawn.kind != "polygon" or drawn.rule == "coco"):
            return VectorShape(drawn.kind, drawn.rings() if drawn.kind not in ("rectangle", "ellipse") else [],
                               drawn.coords[0] if drawn.kind in ("rectangle", "ellipse") else (),
                               drawn.rotation, as_drawn=True), None
        patch = _decode(enc, y0, x0, h, w, hw)
        if drawn is not None and len(drawn.coords) > 1:
            drawn = None
        vs = vector_shape(patch, drawn, "coco", CVAT_KINDS, tolerance=self.tolerance, bitmap=True)
        if vs.kind == "polygon" and len(vs.rings) != 1:
            vs = VectorShape("mask")
        return vs, patch


_KEPT_POLYGON = '{"kind":"polygon","rule":"coco","coords":[['  # DrawnShape.to_json's layout


class _PointTexts(dict):
    """A coordinate's JSON text -> its `points` text (`cx.fmt` of its value), or None when it
    is not a finite JSON number.  Files repeat coordinates (a 1/5-pixel grid on a 1024-pixel
    image has ~5,000), and formatting a float costs ~0.4 us."""

    LIMIT = 1 << 20

    def __missing__(self, token: str) -> str | None:
        if len(self) > self.LIMIT:
            self.clear()
        text = None
        if _JSON_NUMBER.fullmatch(token):
            v = float(token)
            if math.isfinite(v):
                text = cx.fmt(v)
        self[token] = text
        return text


_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_POINT_TEXTS = _PointTexts()


def _trusted_points(shape_json, area: int) -> str | None:
    """The `points` text of a kept one-ring pycocotools polygon whose area still matches, made
    from the stored JSON's text (each number formatted once per file, `_PointTexts`); None for
    any other row, which `ShapeWriter.geometry` writes."""
    if not shape_json or not shape_json.startswith(_KEPT_POLYGON):
        return None
    start = len(_KEPT_POLYGON)
    end = shape_json.find("]", start)
    if end < 0 or shape_json[end:] != f']],"area":{area}}}':
        return None
    tokens = shape_json[start:end].split(",")
    if len(tokens) < 6 or len(tokens) % 2:
        return None
    texts = tuple(map(_POINT_TEXTS.__getitem__, tokens))
    if None in texts:
        return None
    return ";".join(("%s,%s",) * (len(texts) // 2)) % texts  # noqa: UP031 - one C call


def _decode(enc, y0, x0, h, w, hw) -> MaskPatch:
    return MaskPatch(y0, x0, core_rle.decode({"size": [h, w], "counts": enc}), hw)


def _head(project, cats, attribute_values: dict[str, dict[str, list]], size: int) -> str:
    labels = cx.labels_xml(cats, attribute_values, tracks=False)
    return cx.header(0, project.name, size, "annotation", labels)


FORMAT = FormatSpec(
    name="cvat",
    description="CVAT for images 1.1 XML (polygons, boxes, ellipses, masks, polylines, points, attributes)",
    read_fn=read,
    export_fn=export,
    import_options=(
        Option("images_root", None, "folder the image names are relative to (default: found)"),
        Option("split", None, "split for the imported images (default: each image's subset)"),
    ),
    export_options=(
        Option("images", "link", "link (default) or copy the images into images/ beside the XML "
               "(CVAT's export layout, which Datumaro reads and imports accept as it is); reference: "
               "name them where they are, relative to the XML (import with trust_paths=true)",
               IMAGE_PLACEMENTS),
        Option("tolerance", 0.0, "polygons may move outline pixels up to this many pixels "
               "(0: exact; changes are reported)", type=float),
    ),
    source="file",
)
