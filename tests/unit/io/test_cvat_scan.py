"""The fast reader of regular polygon-only CVAT files (`_cvat_scan`) stores exactly what the
full expat parser stores -- same rows, same report, same errors with the same lines -- and
hands every other file (other shapes, children, comments, entities, another encoding,
anything malformed) to the full parser, which names the file and the line of the problem."""

from __future__ import annotations

import numpy as np
import pytest

from segstudio.io import parallel, registry
from segstudio.io.errors import FormatError
from segstudio.io.formats import _cvat_polygons, cvat
from segstudio.io.formats import _cvat_xml as cx
from segstudio.io.formats._cvat_scan import scan
from segstudio.store.project import Project

H, W = 30, 40
HEAD = ('<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n  <version>1.1</version>\n'
        "  <meta><task><labels><label><name>cat</name><color>#ff0000</color></label></labels></task></meta>\n")


def shape(label: str, points: str, z: int = 0, occluded: str = "0", source: str = "manual",
          group: str | None = None, close: str = "></polygon>") -> str:
    g = f' group_id="{group}"' if group is not None else ""
    return (f'    <polygon label="{label}" source="{source}" occluded="{occluded}" points="{points}" '
            f'z_order="{z}"{g}{close}')


def points(rng: np.random.Generator) -> str:
    n = int(rng.integers(3, 10))
    if rng.random() < 0.5:
        xs, ys = rng.uniform(-0.9, W + 0.9, n), rng.uniform(-0.9, H + 0.9, n)
        return ";".join(f"{x:.2f},{y:.2f}" for x, y in zip(xs, ys))
    xs, ys = rng.integers(0, 10 * W, n) / 10, rng.integers(0, 10 * H, n) / 10
    return ";".join(f"{x!r},{y!r}" for x, y in zip(xs.tolist(), ys.tolist()))


def regular(seed: int, n_images: int = 8, newline: str = "\n") -> str:
    """A polygon-only file in CVAT's own form, with every variation the fast reader takes."""
    rng = np.random.default_rng(seed)
    out = [HEAD]
    for k in range(n_images):
        attrs = f'id="{k}" name="im{k}.png" width="{W}" height="{H}"' + (' subset="Train"' if k % 3 == 0 else "")
        if k % 4 == 3:
            out.append(f"  <image {attrs}/>\n" if k % 8 == 3 else f"  <image {attrs}>\n  </image>\n")
            continue
        out.append(f"  <image {attrs}>\n")
        for j in range(int(rng.integers(1, 7))):
            label = ["cat", "big dog", "ünïcode"][int(rng.integers(0, 3))]
            z = int(rng.integers(-2, 3)) if k % 2 else j
            kind = rng.integers(0, 7)
            extra = {}
            if kind == 1:
                extra = {"occluded": "1"}
            elif kind == 2:
                extra = {"group": str(int(rng.integers(0, 3)))}
            elif kind == 3:
                extra = {"source": "auto"}
            elif kind == 4:
                extra = {"close": "/>"}
            elif kind == 5:
                extra = {"close": ">\n    </polygon>"}
            pts = "5,5;5.1,5;5.1,5.1" if kind == 6 else points(rng)  # 6: covers no pixel
            out.append(shape(label, pts, z, **extra) + "\n")
        if k == 0:
            out.append(shape("cat", "3,3;1e12,3;20,20", 1) + "\n")  # far: clipped and reported
        out.append("  </image>\n")
    out.append("</annotations>\n")
    return "".join(out).replace("\n", newline)


def last(text: str, old: str, new: str) -> str:
    """`text` with the last `old` replaced: far into the file, after blocks were drawn."""
    i = text.rindex(old)
    return text[:i] + new + text[i + len(old):]


def fast_form(xml) -> bool:
    """Whether the fast reader takes the whole file."""
    sc = scan(xml)
    return sc is not None and sc.regular()


def stored(project: Project) -> list[tuple]:
    return project.conn.execute(
        "SELECT m.path, m.split, i.id, i.z, c.name, i.rle, i.y0, i.x0, i.h, i.w, i.area, i.attributes,"
        " i.crowd, i.shape FROM instances i JOIN images m ON m.id = i.image_id"
        " JOIN categories c ON c.id = i.category_id ORDER BY m.path, i.z").fetchall()


def drawing(monkeypatch, pool: bool) -> None:
    """Inline, or in worker processes started while the file is still read (tiny blocks)."""
    monkeypatch.setenv(parallel.WORKERS_ENV, "2" if pool else "0")
    monkeypatch.setattr(_cvat_polygons, "POOL_THRESHOLD", 0)
    monkeypatch.setattr(_cvat_polygons, "WARM_UP_BYTES", 0)
    monkeypatch.setattr(_cvat_polygons, "BLOCK", 5)
    monkeypatch.setattr(_cvat_polygons, "AHEAD", 2)


def both_ways(tmp_path, monkeypatch, xml, pool: bool = False) -> list:
    """(rows, report) or the error, read with and without the fast reader."""
    out = []
    for fast in (True, False):
        drawing(monkeypatch, pool)
        if not fast:
            monkeypatch.setattr(cvat, "scan", lambda path: None)
        with Project.create(tmp_path / f"q{fast}") as q:
            try:
                rep = registry.import_into("cvat", xml, q, {"require_images": False})
                out.append((stored(q), rep.to_dict(), [c.name for c in q.categories()]))
            except FormatError as e:
                out.append(str(e))
    monkeypatch.undo()
    return out


@pytest.mark.parametrize("pool, seed, newline", [(False, 1, "\n"), (True, 1, "\n"), (False, 2, "\r\n"),
                                                 (True, 3, "\n")])
def test_a_regular_file_is_read_fast_and_stored_as_the_parser_would(tmp_path, monkeypatch, pool, seed, newline):
    xml = tmp_path / "a.xml"
    xml.write_bytes(regular(seed, newline=newline).encode("utf-8"))
    assert fast_form(xml)
    cpu = parallel.worker_cpu_seconds()
    fast, slow = both_ways(tmp_path, monkeypatch, xml, pool)
    assert (parallel.worker_cpu_seconds() > cpu) == pool
    assert fast == slow
    assert len(fast[0]) > 10 and fast[1]["losses"]  # something stored, the far polygon reported


@pytest.mark.parametrize("seed", [4, 5])
def test_records_and_lines_equal_the_parsers(tmp_path, seed):
    xml = tmp_path / "a.xml"
    xml.write_text(regular(seed, 12), encoding="utf-8")
    sc, doc = scan(xml), cx.parse(xml)
    assert sc is not None and sc.regular()
    assert sc.doc.version == doc.version and sc.doc.meta == doc.meta
    assert [(i.attrs, i.line) for i in sc.doc.images] == [(i.attrs, i.line) for i in doc.images]
    shapes = [s for im in doc.images for s in im.shapes]
    assert [sc.shape(k) for k in range(len(sc.points))] == shapes
    assert [sc.bounds[k + 1] - sc.bounds[k] for k in range(len(doc.images))] == [len(i.shapes) for i in doc.images]


@pytest.mark.parametrize("points, message", [
    ("1,1;9,1", "a polygon needs at least 3 points, found 2"),
    ("1,1;9,x;9,9", "must be 'x,y;x,y;...' numbers"),
    ("1,1;9,nan;9,9", "points must be finite"),
])
@pytest.mark.parametrize("pool", [False, True], ids=["inline", "workers"])
def test_a_bad_polygon_is_refused_with_the_same_line(tmp_path, monkeypatch, points, message, pool):
    xml = tmp_path / "a.xml"
    text = last(regular(6, 30), "</image>", shape("cat", points) + "\n  </image>")
    xml.write_text(text, encoding="utf-8")
    assert fast_form(xml)
    fast, slow = both_ways(tmp_path, monkeypatch, xml, pool)
    assert fast == slow and message in fast and "a.xml at line " in fast


OTHER_FORMS = dict(zip(["box", "attribute", "comment", "entity", "tab", "order", "latin1", "dtd", "cr", "stray"], [
    lambda t: last(t, "</image>", '<box label="cat" xtl="1" ytl="1" xbr="3" ybr="3" z_order="0"></box></image>'),
    lambda t: last(t, "></polygon>", '><attribute name="a">1</attribute></polygon>'),
    lambda t: last(t, "</image>", "</image><!-- a comment -->"),
    lambda t: last(t, 'label="cat"', 'label="cat &amp; co"'),
    lambda t: last(t, 'points="', 'points="\t'),
    lambda t: last(t, 'source="manual" occluded="0"', 'occluded="0" source="manual"'),
    lambda t: t.replace('encoding="utf-8"', 'encoding="ISO-8859-1"').replace("ü", "u").replace("ï", "i"),
    lambda t: t.replace("\n<annotations>", '\n<!DOCTYPE annotations [<!ATTLIST polygon x CDATA "1">]>\n<annotations>'),
    lambda t: t.replace("\n", "\r", 3),
    lambda t: t.replace("</annotations>", "  <tag label='cat'/>\n</annotations>"),
]))
# with worker processes (they cost start-up) two cases are enough
OTHER_CASES = [(k, False) for k in OTHER_FORMS] + [("box", True), ("attribute", True)]


@pytest.mark.parametrize("case, pool", OTHER_CASES)
def test_other_forms_take_the_full_parser(tmp_path, monkeypatch, case, pool):
    xml = tmp_path / "a.xml"
    text = OTHER_FORMS[case](regular(7, 30))  # the irregular part comes after blocks were drawn
    xml.write_bytes(text.encode("latin-1" if "ISO-8859-1" in text else "utf-8"))
    assert not fast_form(xml)
    fast, slow = both_ways(tmp_path, monkeypatch, xml, pool)
    assert fast == slow


MALFORMED = dict(zip(["duplicate", "unclosed", "junk", "control", "truncated", "orphan", "bytes"], [
    (lambda t: last(t, 'width="40"', 'width="40" width="41"'), "malformed XML: duplicate attribute"),
    (lambda t: last(t, "  </image>\n", ""), "malformed XML"),
    (lambda t: t + "<annotations/>", "malformed XML: junk after document element"),
    (lambda t: last(t, 'points="', 'points="\x01'), "malformed XML: not well-formed"),
    (lambda t: last(t, "</annotations>", ""), "malformed XML: no element found"),
    (lambda t: last(t, "<annotations>", "<annotations>\n" + shape("cat", "1,1;9,1;9,9")),
     "<polygon> outside an <image> or <track>"),
    (lambda t: t.encode("utf-8")[:-30] + b"\xff\xfe" + t.encode("utf-8")[-30:], "malformed XML"),
]))
MALFORMED_CASES = [(k, False) for k in MALFORMED] + [("duplicate", True), ("control", True)]


@pytest.mark.parametrize("case, pool", MALFORMED_CASES)
def test_malformed_files_are_refused_naming_file_and_line(tmp_path, monkeypatch, case, pool):
    edit, problem = MALFORMED[case]
    xml = tmp_path / "bad.xml"
    data = edit(regular(8, 30))
    xml.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    assert not fast_form(xml)
    fast, slow = both_ways(tmp_path, monkeypatch, xml, pool)
    assert fast == slow
    assert isinstance(fast, str) and "bad.xml at line " in fast and problem in fast, fast


@pytest.mark.parametrize("pool", [False, True])
def test_the_first_error_is_the_full_parsers(tmp_path, monkeypatch, pool):
    """An image without a name is refused as before; when the file is also malformed further
    on, the malformed XML is what is reported, as the full parser always did."""
    xml = tmp_path / "a.xml"
    nameless = regular(9, 30).replace(' name="im2.png"', ' title="im2.png"')
    for text, problem in ((nameless, "<image> without a name"),
                          (last(nameless, 'width="40"', 'width="40" width="41"'), "duplicate attribute")):
        xml.write_text(text, encoding="utf-8")
        fast, slow = both_ways(tmp_path / problem[:3], monkeypatch, xml, pool)
        assert fast == slow and problem in fast, fast


def test_a_bad_group_id_is_refused_with_the_same_line(tmp_path, monkeypatch):
    xml = tmp_path / "a.xml"
    xml.write_text(last(regular(10, 12), "</image>", shape("cat", "1,1;9,1;9,9", group="x") + "\n  </image>"),
                   encoding="utf-8")
    assert fast_form(xml)
    fast, slow = both_ways(tmp_path, monkeypatch, xml)
    assert fast == slow and "group_id='x' is not an integer" in fast and "a.xml at line " in fast
