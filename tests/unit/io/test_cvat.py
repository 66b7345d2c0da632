"""CVAT for images 1.1: a hand-written fixture of every documented shape, round trips, shapes
written as drawn, errors naming file and line, and Datumaro's CVAT reader on our files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as cmask

from segstudio.core.drawn import DrawnShape
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.core.shape_raster import coco_window
from segstudio.io import registry
from segstudio.io.errors import FormatError
from segstudio.io.formats._cvat_xml import rle_of
from segstudio.store.project import Project
from tests.unit.io.helpers import make_project, masks_by_image
from tests.unit.io.reference import reference_python, run_script

FIXTURE = Path(__file__).parents[2] / "data" / "formats" / "cvat"


@pytest.fixture
def dataset(tmp_path):
    d = tmp_path / "cvat"
    (d / "images" / "sub").mkdir(parents=True)
    shutil.copy(FIXTURE / "annotations.xml", d)
    cv2.imwrite(str(d / "images" / "a.png"), np.zeros((30, 40, 3), np.uint8))
    cv2.imwrite(str(d / "images" / "sub" / "b.jpg"), np.zeros((20, 20, 3), np.uint8))
    return d


def full(shape, y0, y1, x0, x1):
    m = np.zeros(shape, bool)
    m[y0:y1, x0:x1] = True
    return m


def test_fixture_every_shape_attribute_and_order(dataset, tmp_path):
    with Project.create(tmp_path / "q") as q:
        rep = registry.import_into("cvat", dataset, q)
        cats = {c.name: c for c in q.categories()}
        assert set(cats) == {"car", "person", "ignore"} and cats["ignore"].ignore
        assert not cats["car"].ignore and cats["car"].color == (255, 0, 0)
        a, b = q.images()
        assert (a.path, a.split, b.path, b.split) == ("../cvat/images/a.png", "train",
                                                       "../cvat/images/sub/b.jpg", "val")
        insts = q.load_instances(a.id)
        names = {c.id: n for n, c in cats.items()}
        # z_order decides the order: polygon 0, box 1, ellipse 2, mask 3, polyline 4, points 5
        assert [(names[i.category_id], i.shape.kind if i.shape else "mask") for i in insts] == [
            ("person", "polygon"), ("car", "rectangle"), ("person", "ellipse"), ("car", "mask"),
            ("person", "polyline"), ("person", "points")]
        poly, box, ell, mask, line, pts = insts
        ref = coco_window([[20, 2, 30, 2, 30, 12]], 0, 0, 30, 40)  # what pycocotools draws
        assert np.array_equal(poly.mask.to_full(), ref) and poly.attributes == {"group_id": 3, "source": "auto"}
        assert np.array_equal(box.mask.to_full(), full((30, 40), 3, 9, 2, 12))
        assert box.attributes == {"parked": True, "doors": 2, "colour": "blue", "occluded": True}
        yy, xx = np.mgrid[0:30, 0:40]
        assert np.array_equal(ell.mask.to_full(), ((xx + 0.5 - 10) / 4) ** 2 + ((yy + 0.5 - 20) / 3) ** 2 <= 1)
        want = np.zeros((30, 40), bool)
        want[20, 34] = want[20, 35] = want[21, 35] = True  # rle 1,2,2,1 over the 3x2 box at (33, 20)
        assert np.array_equal(mask.mask.to_full(), want) and mask.attributes == {"source": "semi-auto"}
        assert line.mask.to_full()[28, 1:39].all() and pts.mask.to_full()[5, 35]
        b_insts = q.load_instances(b.id)
        assert [names[i.category_id] for i in b_insts] == ["ignore", "car"]
        # a 8x4 box about (14, 12) turned a quarter: 4 wide, 8 high
        assert np.array_equal(b_insts[1].mask.to_full(), full((20, 20), 8, 16, 12, 16))
    assert rep.losses == {"image-level tags not kept": 1, "polylines drawn 10 px wide": 1,
                          "points drawn as discs of radius 5 px": 1}
    assert [why for _, why in rep.skipped] == ["skeletons are not segmentation shapes"]


def test_fixture_round_trip_writes_the_shapes_back(dataset, tmp_path):
    with Project.create(tmp_path / "q") as q:
        registry.import_into("cvat", dataset, q)
        rep = registry.export("cvat", q, tmp_path / "out")
        assert rep.lossless, rep.text()
        xml = (tmp_path / "out" / "annotations.xml").read_text()
        for piece in (
            '<box label="car" source="manual" occluded="1" xtl="2" ytl="3" xbr="12" ybr="9" z_order="1">',
            '<polygon label="person" source="auto" occluded="0" points="20,2;30,2;30,12" z_order="0" group_id="3">',
            '<ellipse label="person" source="manual" occluded="0" cx="10" cy="20" rx="4" ry="3" z_order="2">',
            'points="1,28;39,28"', 'points="35,5"', 'rotation="90"',
            '<attribute name="parked">true</attribute>', '<attribute name="doors">2</attribute>',
            '<input_type>checkbox</input_type>', 'name="a.png"',  # linked into images/
            # the 3-pixel mask has an exact polygon: the simplest one is written
        ):
            assert piece in xml, piece
        want = masks_by_image(q)
        with Project.create(tmp_path / "r") as r:
            # the export names the images where they are (../cvat/images/a.png): outside the
            # exported folder, so the re-import trusts it explicitly
            registry.import_into("cvat", tmp_path / "out", r, {"trust_paths": True})
            got = masks_by_image(r)
            assert [(c, m.tobytes()) for c, m in got["a.png"]] == [(c, m.tobytes()) for c, m in want["a.png"]]
            a_q, a_r = q.load_instances(q.images()[0].id), r.load_instances(r.images()[0].id)
            assert [i.attributes for i in a_q] == [i.attributes for i in a_r]
            assert [i.shape for i in a_q if i.shape] == [j.shape for i, j in zip(a_q, a_r) if i.shape]


def test_project_round_trip_is_exact_and_validates(project, tmp_path):
    want = masks_by_image(project)
    rep = registry.export("cvat", project, tmp_path / "x.xml")
    assert rep.lossless and rep.instances == 12
    v = registry.validate("cvat", tmp_path / "x.xml")
    assert v.images == 3 and v.instances == 12 and not v.warnings  # every image found
    with Project.create(tmp_path / "q") as q:
        registry.import_into("cvat", tmp_path / "x.xml", q)
        got = masks_by_image(q)
        assert {k: [(c, m.tobytes()) for c, m in v] for k, v in got.items()} == \
            {k: [(c, m.tobytes()) for c, m in v] for k, v in want.items()}
        assert sorted(r.split for r in q.images()) == sorted(r.split for r in project.images())


def test_copied_images_and_a_mask_for_holes(tmp_path):
    p = make_project(tmp_path, n_images=1, per_image=0)
    m = full((40, 50), 5, 25, 5, 25)
    m[10:15, 10:15] = False  # a hole: no CVAT polygon can hold it
    cat = p.categories().by_name("cat")
    p.replace_instances(p.images()[0].id, [Instance(1, cat.id, MaskPatch.from_full(m))])
    rep = registry.export("cvat", p, tmp_path / "out", {"images": "copy"})
    assert rep.lossless
    xml = (tmp_path / "out" / "annotations.xml").read_text()
    assert 'name="img000.png"' in xml and (tmp_path / "out" / "images" / "img000.png").is_file()
    assert f'rle="{rle_of(m[5:25, 5:25])}" left="5" top="5" width="20" height="20"' in xml


def test_a_rectangle_is_a_box_and_a_drawn_polygon_its_vertices(tmp_path):
    p = make_project(tmp_path, n_images=1, per_image=0)
    cat = p.categories().by_name("cat")
    from segstudio.core.tools.shapes import drawn_polygon

    verts = np.array([[3.2, 4.4], [30.0, 2.6], [44.8, 20.0], [25.4, 36.2], [6.0, 30.0]])
    mask, drawn = drawn_polygon(verts, (40, 50))
    box = full((40, 50), 2, 7, 30, 48)  # a plain mask that happens to be a box
    p.replace_instances(p.images()[0].id, [Instance(1, cat.id, mask, shape=drawn),
                                           Instance(2, cat.id, MaskPatch.from_full(box))])
    registry.export("cvat", p, tmp_path / "o.xml")
    xml = (tmp_path / "o.xml").read_text()
    assert 'points="3.2,4.4;30,2.6;44.8,20;25.4,36.2;6,30"' in xml
    assert 'xtl="30" ytl="2" xbr="48" ybr="7"' in xml


@pytest.mark.parametrize("change, message", [
    (("<polygon label=\"person\"", "<polygon label=\"person\" <"), "line 67 column"),
    (('rle="1, 2, 2, 1"', 'rle="1, 2, 2"'), "line 71: rle runs sum to 5, expected width x height = 3x2 = 6"),
    (('points="20.00,2.00;30.00,2.00;30.00,12.00"', 'points="20,2;30,2"'),
     "line 67: a polygon needs at least 3 points, found 2"),
    (('xtl="2.00"', 'xtl="left"'), "line 62: xtl='left' is not a number"),
    (("<annotations>", "<annots>"), "root element is <annots>"),
    (('name="a.png" width="40"', 'name="a.png" width="x40"'), "line 61: width='x40' is not an integer"),
])
def test_errors_name_the_file_and_line(dataset, tmp_path, change, message):
    xml = dataset / "annotations.xml"
    text = xml.read_text()
    assert change[0] in text
    xml.write_text(text.replace(change[0], change[1], 1))
    with Project.create(tmp_path / "q") as q, pytest.raises(FormatError) as e:
        registry.import_into("cvat", dataset, q)
    assert str(e.value).startswith(str(xml)) and message in str(e.value), str(e.value)
    with Project.open(tmp_path / "q") as q:
        assert q.image_count() == 0  # nothing half-imported


def test_datumaro_reads_our_export(tmp_path):
    py = reference_python("datumaro", "datumaro")
    p = make_project(tmp_path, n_images=2, per_image=4)
    from segstudio.core.tools.shapes import drawn_box, drawn_polygon

    cat = p.categories().by_name("dog")
    rec = p.images()[1]
    poly_mask, poly = drawn_polygon(np.array([[3.2, 4.4], [30.0, 2.6], [25.4, 36.2]]), rec.shape)
    box_mask, box = drawn_box("rect", (30.3, 20.2), (45.7, 31.1), rec.shape)
    insts = p.load_instances(rec.id)
    p.replace_instances(rec.id, [*insts, Instance(9, cat.id, poly_mask, shape=poly),
                                 Instance(10, cat.id, box_mask, shape=box, attributes={"occluded": True})])
    registry.export("cvat", p, tmp_path / "out", {"images": "copy"})
    items = run_script(py, "datumaro_cvat.py", tmp_path / "out" / "annotations.xml")
    want = masks_by_image(p)
    assert len(items) == 2
    for item, (name, insts) in zip(items, sorted(want.items())):
        assert item["id"] == Path(name).stem and Path(item["path"]).is_file()
        h, w = item["size"]
        anns = sorted(item["annotations"], key=lambda a: a["z_order"])
        got = []
        for a in anns:
            if a["type"] == "mask":
                m = cmask.decode({"size": a["rle"]["size"], "counts": a["rle"]["counts"].encode()}).astype(bool)
            elif a["type"] == "polygon":
                m = coco_window([a["points"]], 0, 0, h, w)
            elif a["type"] == "bbox":
                m = DrawnShape.rectangle(*a["points"]).rasterise((h, w)).to_full()
            else:
                raise AssertionError(a["type"])
            got.append((a["label"], m))
        assert [c for c, _ in got] == [c for c, _ in insts]
        for (_, m), (_, ref) in zip(got, insts):
            assert np.array_equal(m, ref)
    assert items[1]["annotations"][-1]["attributes"].get("occluded") is True


def test_datumaro_reads_the_fixture_as_we_do(dataset, tmp_path):
    py = reference_python("datumaro", "datumaro")
    xml = dataset / "annotations.xml"  # Datumaro reads only the subset named like the file
    xml.write_text(xml.read_text().replace(' subset="Train"', "").replace(' subset="Validation"', ""))
    items = run_script(py, "datumaro_cvat.py", dataset / "annotations.xml")
    with Project.create(tmp_path / "q") as q:
        registry.import_into("cvat", dataset, q)
        a = q.load_instances(q.images()[0].id)
    ref = {x["id"]: x for x in items}["a"]["annotations"]
    by_type = {x["type"]: x for x in ref}
    # polygons: Datumaro keeps the points; pycocotools (its rasteriser) draws what we stored
    assert by_type["polygon"]["points"] == [20, 2, 30, 2, 30, 12]
    assert np.array_equal(coco_window([by_type["polygon"]["points"]], 0, 0, 30, 40), a[0].mask.to_full())
    m = by_type["mask"]["rle"]
    assert np.array_equal(cmask.decode({"size": m["size"], "counts": m["counts"].encode()}).astype(bool),
                          a[3].mask.to_full())
    assert by_type["bbox"]["points"] == [2, 3, 12, 9]
    assert by_type["bbox"]["attributes"] == {"parked": True, "doors": 2.0, "colour": "blue", "occluded": True}


@pytest.mark.parametrize("change, outcome", [
    (('points="20.00,2.00;30.00,2.00;30.00,12.00"', 'points="20,2;1e12,2;30,12"'), "clipped"),
    (('xtl="2.00" ytl="3.00" xbr="12.00" ybr="9.00"', 'xtl="2" ytl="3" xbr="1e15" ybr="9"'), "clipped"),
    (('points="20.00,2.00;30.00,2.00;30.00,12.00"', 'points="20,2;nan,2;30,12"'), "line 67: points must be finite"),
    (('left="33" top="20"', 'left="33" top="29"'), "line 71: mask box 3x2 at (33, 29) is not inside the 40x30 image"),
    (('points="1.00,28.00;39.00,28.00"', 'points="1,28;1e9,28"'), "line 73: <polyline> reaches far beyond"),
    (('name="a.png" width="40" height="30"', 'name="a.png" width="100000" height="100000"'), "exceeds the limit"),
])
def test_hostile_coordinates_are_clipped_or_refused(dataset, tmp_path, change, outcome):
    xml = dataset / "annotations.xml"
    text = xml.read_text()
    assert change[0] in text
    xml.write_text(text.replace(change[0], change[1], 1))
    with Project.create(tmp_path / "q") as q:
        if outcome == "clipped":  # the part inside the image is kept, the rest reported
            rep = registry.import_into("cvat", dataset, q)
            assert rep.instances == 8
            if "polygon" in change[1] or "1e12" in change[1]:
                assert rep.losses["shapes reaching outside the image (the part outside dropped)"] == 1
            return
        with pytest.raises(FormatError) as e:
            registry.import_into("cvat", dataset, q)
        assert outcome in str(e.value), str(e.value)


@pytest.mark.parametrize("shape, kept", [
    ('{"kind":"polygon","rule":"coco","coords":[[1.5,2.0,30.0,4.25,5.0,60.125]],"area":7}', True),
    ('{"kind":"polygon","rule":"coco","coords":[[1e+16,2.0,3.0,4.0,-0.0,6.0]],"area":7}', True),
    ('{"kind":"polygon","rule":"coco","coords":[[1.5,2.0,3.0,4.0,5.0,6.0]],"area":8}', False),  # stale
    ('{"kind":"polygon","rule":"coco","coords":[[1.5,2.0,3.0,4.0,5.0]],"area":7}', False),  # odd
    ('{"kind":"polygon","rule":"coco","coords":[[1.5,2.0,3.0,4.0]],"area":7}', False),  # 2 points
    ('{"kind":"polygon","rule":"coco","coords":[[1,2,3,4,5,6],[7,8,9,10,11,12]],"area":7}', False),
    ('{"kind":"polygon","rule":"coco","coords":[[NaN,2.0,3.0,4.0,5.0,6.0]],"area":7}', False),
    ('{"kind":"polygon","rule":"coco","coords":[[1_0,2.0,3.0,4.0,5.0,6.0]],"area":7}', False),
    ('{"kind":"polygon","rule":"coco","coords":[[1.5,2.0,3.0,4.0,5.0,6.0]],"area":7,"rotation":0.5}', False),
    ('{"kind":"polygon","rule":"labelme","coords":[[1.5,2.0,3.0,4.0,5.0,6.0]],"area":7}', False),
])
def test_kept_polygons_are_written_from_their_stored_text(shape, kept):
    """The export's fast path formats each number of the stored JSON once per file; it writes
    what formatting the parsed polygon writes, and leaves every other row to the general path."""
    from segstudio.io.formats import _cvat_xml as cx
    from segstudio.io.formats.cvat import _trusted_points

    got = _trusted_points(shape, 7)
    if kept:
        assert got == cx.points_text(tuple(json.loads(shape)["coords"][0]))
    else:
        assert got is None
