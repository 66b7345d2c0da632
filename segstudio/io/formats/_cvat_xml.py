"""CVAT XML 1.1 (images and video): a streaming parser with line numbers, and writing helpers.

The file is read with expat (a C parser) in one pass; every element keeps the line it starts on,
so errors say `annotations.xml at line 812: ...`.  The small `<meta>` section becomes a tree of
`Node`s; images, tracks and their shapes become plain records.  Nothing here knows about
projects: `cvat.py` and `cvat_video.py` turn the records into an import plan and write files.

CVAT's mask RLE (`<mask rle="..." left top width height>`): run lengths over the mask's box,
row by row, starting with a run of background (possibly 0).
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from segstudio import __version__
from segstudio.core.categories import color_hex
from segstudio.io.errors import FormatError

SHAPE_TAGS = ("box", "polygon", "polyline", "points", "ellipse", "mask", "skeleton", "cuboid")


@dataclass
class Node:
    """An element of the `<meta>` section."""

    tag: str
    attrs: dict[str, str]
    line: int
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def find(self, tag: str) -> Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def text_of(self, tag: str, default: str = "") -> str:
        c = self.find(tag)
        return c.text.strip() if c is not None else default

    def iter(self, tag: str):
        for c in self.children:
            if c.tag == tag:
                yield c
            yield from c.iter(tag)


@dataclass
class Shape:
    tag: str
    attrs: dict[str, str]  # the element's XML attributes
    line: int
    attributes: list[tuple[str, str]] = field(default_factory=list)  # <attribute name=..>text


@dataclass
class Image:
    attrs: dict[str, str]
    line: int
    shapes: list[Shape] = field(default_factory=list)
    tags: list[Shape] = field(default_factory=list)


@dataclass
class Track:
    attrs: dict[str, str]
    line: int
    shapes: list[Shape] = field(default_factory=list)


@dataclass
class Document:
    version: str = ""
    meta: Node | None = None
    images: list[Image] = field(default_factory=list)
    tracks: list[Track] = field(default_factory=list)


class _Handler:
    """expat callbacks: the meta tree, then images/tracks and their shapes."""

    def __init__(self, parser) -> None:
        self.p = parser
        self.doc = Document()
        self.stack: list[str] = []
        self.meta: list[Node] = []  # open meta nodes
        self.image: Image | None = None
        self.track: Track | None = None
        self.shape: Shape | None = None
        self.attr_name: str | None = None
        self.text: list[str] = []

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        line = self.p.CurrentLineNumber
        if self.meta or tag == "meta" and self.stack == ["annotations"]:
            node = Node(tag, attrs, line)
            if self.meta:
                self.meta[-1].children.append(node)
            else:
                self.doc.meta = node
            self.meta.append(node)
            self.text = []
        elif tag in SHAPE_TAGS or tag == "tag":
            if self.shape is None:  # skeleton sub-points are part of their skeleton
                owner = self.track or self.image
                if owner is None:
                    raise FormatError(None, f"<{tag}> outside an <image> or <track>", f"line {line}")
                self.shape = Shape(tag, attrs, line)
        elif tag == "attribute" and self.shape is not None:
            self.attr_name = attrs.get("name")
            if self.attr_name is None:
                raise FormatError(None, "<attribute> without a name", f"line {line}")
            self.text = []
        elif tag == "image":
            self.image = Image(attrs, line)
        elif tag == "track":
            self.track = Track(attrs, line)
        elif tag == "version":
            self.text = []
        elif not self.stack and tag != "annotations":
            raise FormatError(None, f"the root element is <{tag}>, expected <annotations> (CVAT XML)",
                              f"line {line}")
        self.stack.append(tag)

    def end(self, tag: str) -> None:
        self.stack.pop()
        if self.meta:
            node = self.meta.pop()
            node.text = "".join(self.text) if not node.children else ""
            self.text = []
            return
        if self.shape is not None:
            if tag == "attribute" and self.attr_name is not None:
                self.shape.attributes.append((self.attr_name, "".join(self.text)))
                self.attr_name = None
                return
            if tag != self.shape.tag or self.stack and self.stack[-1] in ("skeleton",):
                return
            owner = self.track or self.image
            assert owner is not None
            if tag == "tag" and self.image is not None:
                self.image.tags.append(self.shape)
            elif tag != "tag":
                owner.shapes.append(self.shape)
            self.shape = None
        elif tag == "image" and self.image is not None:
            self.doc.images.append(self.image)
            self.image = None
        elif tag == "track" and self.track is not None:
            self.doc.tracks.append(self.track)
            self.track = None
        elif tag == "version" and self.stack == ["annotations"]:
            self.doc.version = "".join(self.text).strip()

    def chars(self, data: str) -> None:
        self.text.append(data)


def parse(path: Path, data: bytes | None = None) -> Document:
    """Parse a CVAT XML file (or `data`, named `path` in messages); FormatError (file, line)
    on malformed input."""
    f: BinaryIO
    if data is not None:
        f = io.BytesIO(data)
    else:
        try:
            f = open(path, "rb")  # noqa: SIM115 - closed below, also on errors
        except IsADirectoryError:
            raise FormatError(path, "is a folder, expected a CVAT XML file") from None
        except OSError as e:
            raise FormatError(path, f"cannot read ({e.strerror})") from None
    parser = expat.ParserCreate()
    parser.buffer_text = True
    h = _Handler(parser)
    parser.StartElementHandler = h.start
    parser.EndElementHandler = h.end
    parser.CharacterDataHandler = h.chars
    try:
        with f:
            parser.ParseFile(f)
    except expat.ExpatError as e:
        raise FormatError(path, f"malformed XML: {expat.errors.messages[e.code]}",
                          f"line {e.lineno} column {e.offset + 1}") from None
    except FormatError as e:
        raise FormatError(path, e.problem, e.where) from None
    if not h.stack and h.doc.meta is None and not h.doc.images and not h.doc.tracks:
        pass
    return h.doc


# --------------------------------------------------------------------------- values
def number(shape: Shape, key: str, path: Path, *, default: float | None = None) -> float:
    text = shape.attrs.get(key)
    if text is None:
        if default is not None:
            return default
        raise FormatError(path, f"<{shape.tag}> without {key}=", f"line {shape.line}")
    try:
        v = float(text)
    except ValueError:
        raise FormatError(path, f"{key}={text!r} is not a number", f"line {shape.line}") from None
    if v != v or v in (float("inf"), float("-inf")):
        raise FormatError(path, f"{key}={text!r} is not a finite number", f"line {shape.line}")
    return v


def integer(attrs: dict[str, str], key: str, path: Path, line: int, default: int | None = None) -> int:
    text = attrs.get(key)
    if text is None or text == "":
        if default is not None:
            return default
        raise FormatError(path, f"missing {key}=", f"line {line}")
    try:
        return int(text)
    except ValueError:
        try:
            f = float(text)
        except ValueError:
            f = float("nan")
        if f == int(f) if f == f else False:
            return int(f)
        raise FormatError(path, f"{key}={text!r} is not an integer", f"line {line}") from None


def points(shape: Shape, path: Path) -> np.ndarray:
    """`points="x0,y0;x1,y1;..."` as an (N, 2) array."""
    text = shape.attrs.get("points")
    if text is None:
        raise FormatError(path, f"<{shape.tag}> without points=", f"line {shape.line}")
    try:
        a = np.array(text.replace(";", ",").split(","), dtype=np.float64)
    except ValueError:
        raise FormatError(path, f"points={_short(text)} must be 'x,y;x,y;...' numbers",
                          f"line {shape.line}") from None
    if a.size % 2 or not a.size:
        raise FormatError(path, f"points={_short(text)} must be 'x,y;x,y;...' pairs", f"line {shape.line}")
    if not np.isfinite(a).all():
        raise FormatError(path, "points must be finite numbers", f"line {shape.line}")
    return a.reshape(-1, 2)


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def mask_from_rle(shape: Shape, path: Path, image_hw: tuple[int, int]) -> tuple[int, int, np.ndarray]:
    """(top, left, box mask) of a `<mask>`; its box must lie inside the image."""
    where = f"line {shape.line}"
    left = integer(shape.attrs, "left", path, shape.line)
    top = integer(shape.attrs, "top", path, shape.line)
    w = integer(shape.attrs, "width", path, shape.line)
    h = integer(shape.attrs, "height", path, shape.line)
    if w <= 0 or h <= 0:
        raise FormatError(path, f"mask box {w}x{h} is empty", where)
    H, W = image_hw
    if left < 0 or top < 0 or left + w > W or top + h > H:
        raise FormatError(path, f"mask box {w}x{h} at ({left}, {top}) is not inside the {W}x{H} image", where)
    text = shape.attrs.get("rle", "")
    try:
        runs = np.array([int(v) for v in text.split(",")], np.int64) if text.strip() else np.zeros(0, np.int64)
    except ValueError:
        raise FormatError(path, f"rle={_short(text)} must be comma-separated integers", where) from None
    if (runs < 0).any():
        raise FormatError(path, "rle run lengths must not be negative", where)
    total = int(runs.sum())
    if total != w * h:
        raise FormatError(path, f"rle runs sum to {total}, expected width x height = {w}x{h} = {w * h}", where)
    values = np.zeros(len(runs), bool)
    values[1::2] = True
    flat = np.repeat(values, runs)
    return top, left, flat.reshape(h, w)


def rle_of(box: np.ndarray) -> str:
    """CVAT's RLE of a box mask: row by row, starting with the background run."""
    flat = np.ascontiguousarray(box, dtype=bool).ravel()
    if not flat.size:
        return "0"
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds)
    if flat[0]:
        runs = np.concatenate([[0], runs])
    return ", ".join(map(str, runs.tolist()))


# --------------------------------------------------------------------------- writing
def attr(value) -> str:
    """An XML attribute value, quoted."""
    return quoteattr(str(value))


def text(value) -> str:
    return escape(str(value))


def fmt(v: float) -> str:
    """A coordinate: up to 15 significant digits, no trailing zeros (drawn vertices on the
    1/5 grid, traced ones on 1/8, read back exactly)."""
    return f"{v:.15g}"


def points_text(ring) -> str:
    """`x0,y0;x1,y1;...`: up to 15 significant digits (drawn vertices read back exactly),
    no trailing zeros; one C-level formatting call for the whole ring."""
    flat = ring if type(ring) is tuple else tuple(np.asarray(ring, np.float64).ravel().tolist())
    return ";".join(("%.15g,%.15g",) * (len(flat) // 2)) % flat  # noqa: UP031 - one C call


def attribute_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value == int(value):
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


def input_type(values: list) -> str:
    """CVAT's input type for the values an attribute takes in the project."""
    if values and all(isinstance(v, bool) for v in values):
        return "checkbox"
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "number"
    return "text"


def typed(value: str, kind: str | None):
    """An attribute's text as the type its label declares (checkbox, number; else text)."""
    if kind == "checkbox":
        low = value.strip().lower()
        if low in ("true", "false"):
            return low == "true"
    elif kind == "number":
        try:
            f = float(value)
        except ValueError:
            return value
        return int(f) if f == int(f) and "." not in value and "e" not in value.lower() else f
    return value


# --------------------------------------------------------------------------- export header
def header(task_id: int, name: str, size: int, mode: str, labels: str, *,
           before_labels: str = "", after_labels: str = "", after_task: str = "") -> str:
    """The XML declaration, <annotations> and <meta> of a CVAT 1.1 export, up to the first
    <image> or <track>; the video form adds its frame range, frame size and source."""
    now = time.strftime("%Y-%m-%d %H:%M:%S+00:00", time.gmtime())
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n  <version>1.1</version>\n'
        f"  <meta>\n    <task>\n      <id>{task_id}</id>\n      <name>{text(name)}</name>\n"
        f"      <size>{size}</size>\n      <mode>{mode}</mode>\n      <overlap>0</overlap>\n"
        f"      <created>{now}</created>\n      <updated>{now}</updated>\n"
        f"{before_labels}      <labels>\n{labels}      </labels>\n{after_labels}    </task>\n"
        f"    <dumped>{now}</dumped>\n{after_task}"
        f"    <exported_by>SegStudio {text(__version__)}</exported_by>\n  </meta>\n"
    )


def labels_xml(cats, attribute_values: dict[str, dict[str, list]], *, tracks: bool) -> str:
    """The <label> elements of the export header, with the attributes each category's shapes
    carry.  `tracks` (CVAT for video): attributes are mutable along a track, with no default
    or value list; for images they are fixed, with the first value seen as default and, for a
    checkbox, its two values."""
    labels = []
    for c in cats:
        attrs = ""
        for key, values in attribute_values.get(c.name, {}).items():
            kind = input_type(values)
            if tracks:
                mutable, default, vals = "True", "", ""
            else:
                distinct = list(dict.fromkeys(attribute_value(v) for v in values))
                mutable = "False"
                default = "false" if kind == "checkbox" else (distinct[0] if distinct else "")
                vals = "true\nfalse" if kind == "checkbox" else ""
            attrs += (f"          <attribute>\n            <name>{text(key)}</name>\n"
                      f"            <mutable>{mutable}</mutable>\n            <input_type>{kind}</input_type>\n"
                      f"            <default_value>{text(default)}</default_value>\n"
                      f"            <values>{text(vals)}</values>\n          </attribute>\n")
        labels.append(
            f"        <label>\n          <name>{text(c.name)}</name>\n"
            f"          <color>{color_hex(c.color)}</color>\n          <type>any</type>\n"
            f"          <attributes>\n{attrs}          </attributes>\n        </label>\n")
    return "".join(labels)
