"""A fast reader for the common CVAT file: images whose shapes are all plain polygons.

expat calls two Python handlers per element and `_cvat_xml` builds a record per shape: for a
50,000-polygon file that was ~0.4 s of the parent's serial work (~2.5x under a profiler),
before the workers could start drawing.  Files CVAT and SegStudio export have one regular form:

    <image id=".." name=".." width=".." height=".." ...>
      <polygon label=".." source=".." occluded=".." points=".." z_order="N"[ group_id=".."]></polygon>
    </image>

Here the part before the first `<image` (declaration, `<version>`, `<meta>`) is parsed by
expat as usual; `scan` then finds the `<image>` elements (their attributes, lines, and the
text between `<image>` and `</image>`), and `Scanned.polygons(i)` reads image i's polygons
with one regular expression, when the importer reaches it -- so the drawing of the first
blocks in worker processes overlaps the reading of the next (`_cvat_polygons.stream`).  Only
that form is accepted: attribute values without entities, tabs, line breaks or characters XML
forbids; image attributes named once; only whitespace between elements; every character of an
image's content inside a matched polygon; `</annotations>` at the end.  Such a file is well
formed and the records are those `_cvat_xml.parse` would make (tested against it).  Anything
else -- other shapes, `<attribute>` children, comments, a DTD, another encoding, a malformed
byte -- makes `scan` return None or `polygons` raise `Irregular`, and the importer reads the
whole file again with the full parser, which reports errors with their line as before.
Lines are counted only where a record or a message needs one.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from segstudio.io.errors import FormatError
from segstudio.io.formats import _cvat_xml as cx

_CHARS = '[^"<&\x00-\x1f\ufffe\uffff]*'  # no entity, no whitespace expat would normalise
_NAME = "[A-Za-z_][A-Za-z0-9_.:-]*"
_WS = "[ \t\r\n]*"  # XML's whitespace (Python's \s also takes characters XML forbids)


def _polygon(group: str) -> str:
    v = f'"({group}{_CHARS})"'
    return (f"<polygon label={v} source={v} occluded={v} points={v}"
            f' z_order="({group}-?[0-9]{{1,18}})"(?: group_id={v})?{_WS}(?:/>|>{_WS}</polygon>)')


# one polygon: (the whole element with the whitespace before it, label, source, occluded,
# points, z_order, group_id)
_POLYGON = re.compile(f"({_WS}{_polygon('')})")
_IMAGE = re.compile(f'{_WS}<image((?:[ \t\r\n]+{_NAME}="{_CHARS}")*){_WS}(/?)>')


class Irregular(Exception):
    """An image's content is not of the regular form: the file is read by the full parser."""


_ATTR = re.compile(r"(" + _NAME + r')="([^"]*)"')
_FIRST_IMAGE = re.compile(r"<image[\s/>]")
_ENCODING = re.compile(r"""^\ufeff?<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_END = re.compile("</annotations>" + _WS)


@dataclass
class Scanned:
    """The document (meta, version, every image without shape records) and, once `polygons(i)`
    has read them, the polygons of images 0..i as columns in file order: polygons of image i
    are `bounds[i]:bounds[i + 1]`."""

    doc: cx.Document
    spans: list[tuple[int, int]]  # each image's content (-1, -1: <image .../>)
    text: str
    bounds: list[int] = field(default_factory=lambda: [0])
    label: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    occluded: list[str] = field(default_factory=list)
    points: list[str] = field(default_factory=list)
    z: list[int] = field(default_factory=list)
    group: list[str] = field(default_factory=list)  # "" where absent (read as such)
    _newlines: np.ndarray | None = None

    def polygons(self, i: int) -> tuple[int, int]:
        """Read the polygons of image i (images are read in order): their range in the columns;
        Irregular when its content is anything but polygons of the regular form."""
        assert i == len(self.bounds) - 1, "images are read in order"
        a, b = self.spans[i]
        if b > a:
            found = _POLYGON.findall(self.text, a, b)
            # matches do not overlap: covering all but trailing whitespace, they leave no gap
            covered = sum(len(f[0]) for f in found)
            if self.text[a + covered:b].strip(" \t\r\n"):
                raise Irregular(i)
            if found:
                _, label, source, occluded, points, z, group = zip(*found)
                self.label.extend(label)
                self.source.extend(source)
                self.occluded.extend(occluded)
                self.points.extend(points)
                self.z.extend(map(int, z))
                self.group.extend(group)
        self.bounds.append(len(self.label))
        return self.bounds[-2], self.bounds[-1]

    def regular(self) -> bool:
        """Whether every image not read yet is of the regular form (reads them)."""
        try:
            for i in range(len(self.bounds) - 1, len(self.spans)):
                self.polygons(i)
        except Irregular:
            return False
        return True

    def line(self, offset: int) -> int:
        """The line of a character offset of the text (1-based)."""
        if self._newlines is None:
            t = self.text
            codes = np.frombuffer(t.encode("ascii") if t.isascii() else t.encode("utf-32-le"),
                                  np.uint8 if t.isascii() else np.uint32)
            self._newlines = np.flatnonzero(codes == 10)
        return int(np.searchsorted(self._newlines, offset, side="left")) + 1

    def attrs(self, k: int) -> dict[str, str]:
        """Polygon k's XML attributes as read (z_order as a number's text; an empty group_id
        as absent: readers treat both alike); `shape` has them exactly, with the line."""
        out = {"label": self.label[k], "source": self.source[k], "occluded": self.occluded[k],
               "points": self.points[k], "z_order": str(self.z[k])}
        if self.group[k]:
            out["group_id"] = self.group[k]
        return out

    def shape(self, k: int) -> cx.Shape:
        """The record `_cvat_xml.parse` makes of polygon k (found again in its image's text)."""
        i = bisect_right(self.bounds, k) - 1
        a, b = self.spans[i]
        for j, m in enumerate(_POLYGON.finditer(self.text, a, b)):
            if j == k - self.bounds[i]:
                names = ("label", "source", "occluded", "points", "z_order", "group_id")
                attrs = {n: v for n, v in zip(names, m.groups()[1:]) if v is not None}
                return cx.Shape("polygon", attrs, self.line(self.text.index("<polygon", m.start())))
        raise AssertionError("polygon not found again")  # cannot happen: the same expression


def scan(path: Path) -> Scanned | None:
    """The file read the fast way, or None when it is not of the regular polygon form (or
    cannot be read: the full parser then says why)."""
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return None  # lone CRs: expat counts them as line breaks, `line` would not
    enc = _ENCODING.match(text)
    if enc is not None and enc.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
        return None
    first = _FIRST_IMAGE.search(text)
    if first is None:
        return None
    body_at = first.start()
    end = text.rfind("</annotations>")
    if end < body_at or not _END.fullmatch(text, end):
        return None
    if "<!DOCTYPE" in text[:body_at]:
        return None  # a DTD may declare default attributes: only expat knows them
    try:  # the head, closed where the images would begin: meta, version, the root's name
        doc = cx.parse(path, data=(text[:body_at] + "</annotations>").encode("utf-8"))
    except FormatError:
        return None
    if doc.images or doc.tracks:
        return None
    out = Scanned(doc, [], text)
    pos = body_at
    while (m := _IMAGE.match(text, pos, end)) is not None:
        pairs = _ATTR.findall(m.group(1))
        attrs = dict(pairs)
        if len(attrs) != len(pairs):
            return None  # an attribute named twice: malformed, the full parser says so
        doc.images.append(cx.Image(attrs, out.line(text.index("<image", m.start()))))
        if m.group(2):  # <image .../>
            out.spans.append((-1, -1))
            pos = m.end()
        else:  # its content is checked when it is read (`polygons`)
            close = text.find("</image>", m.end(), end)
            if close < 0:
                return None
            out.spans.append((m.end(), close))
            pos = close + len("</image>")
    if text[pos:end].strip(" \t\r\n"):
        return None
    return out

