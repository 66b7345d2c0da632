"""Shapes exported as drawn: a polygon drawn with 15 vertices is written as those 15 vertices,
a rectangle as a rectangle, in every vector format, while rasterising it gives exactly the
mask; masks without a shape get the simplest exact polygon found (or a bitmap)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pycocotools import mask as cmask

from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.core.tools.shapes import drawn_box, drawn_polygon
from segstudio.io import registry
from segstudio.io.formats import _raster
from segstudio.io.formats._polygons import outline_polygons
from segstudio.store.project import Project
from tests.unit.io.helpers import make_project, masks_by_image

SHAPE = (120, 160)


def fifteen_gon() -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, 15, endpoint=False)
    r = 40 + 12 * np.sin(3 * t)
    return np.stack([80 + r * np.cos(t), 60 + r * np.sin(t)], 1)


@pytest.fixture
def drawn(tmp_path):
    p = make_project(tmp_path, n_images=1, per_image=0, shape=SHAPE)
    cat = p.categories().by_name("cat")
    poly_mask, poly = drawn_polygon(fifteen_gon(), SHAPE)
    rect_mask, rect = drawn_box("rect", (5.3, 4.2), (30.6, 20.9), SHAPE)
    ell_mask, ell = drawn_box("ellipse", (120.2, 80.4), (150.6, 110.8), SHAPE)
    plain = MaskPatch.from_full(poly_mask.to_full())  # the same pixels, no shape (model output)
    p.replace_instances(p.images()[0].id, [
        Instance(1, cat.id, poly_mask, shape=poly), Instance(2, cat.id, rect_mask, shape=rect),
        Instance(3, cat.id, ell_mask, shape=ell), Instance(4, cat.id, plain)])
    yield p, poly
    p.close()


def test_coco_writes_the_drawn_vertices_and_the_simplest_exact_polygon(drawn, tmp_path):
    p, poly = drawn
    rep = registry.export("coco", p, tmp_path / "c.json")
    assert rep.lossless, rep.text()
    anns = json.loads((tmp_path / "c.json").read_text())["annotations"]
    assert anns[0]["segmentation"] == [list(poly.coords[0])]  # the 15 drawn vertices
    assert len(anns[0]["segmentation"][0]) == 30
    assert anns[1]["segmentation"] == [[5, 4, 31, 4, 31, 21, 5, 21]]  # the rectangle's pixel box
    trace, _ = outline_polygons(p.load_instances(p.images()[0].id)[3].mask)
    simple = anns[3]["segmentation"][0]
    assert len(simple) < len(trace[0]) / 2  # far simpler than the traced outline ...
    want = masks_by_image(p)["img000.png"]
    for ann, (_, m) in zip(anns, want):  # ... and every polygon draws exactly its mask
        rle = cmask.merge(cmask.frPyObjects(ann["segmentation"], *SHAPE))
        assert np.array_equal(cmask.decode(rle).astype(bool), m)
    with Project.create(tmp_path / "q") as q:  # COCO polygons come back as drawn shapes
        registry.import_into("coco", tmp_path / "c.json", q, {"require_images": False})
        back = q.load_instances(q.images()[0].id)
        assert back[0].shape.coords == poly.coords
        registry.export("coco", q, tmp_path / "again.json")
        again = json.loads((tmp_path / "again.json").read_text())["annotations"]
        assert [a["segmentation"] for a in again] == [a["segmentation"] for a in anns]


def test_labelme_rectangles_polygons_and_tolerance(drawn, tmp_path):
    p, poly = drawn
    rep = registry.export("labelme", p, tmp_path / "lm")
    assert rep.lossless, rep.text()
    doc = json.loads(next((tmp_path / "lm").glob("*.json")).read_text())
    kinds = [s["shape_type"] for s in doc["shapes"]]
    assert kinds == ["polygon", "rectangle", "polygon", "polygon"]  # polygons where exact
    assert doc["shapes"][1]["points"] == [[5, 4], [30, 20]]
    want = masks_by_image(p)["img000.png"]
    for s, (_, m) in zip(doc["shapes"], want):  # LabelMe's own rasterisation gives the masks
        draw = _raster.rectangle if s["shape_type"] == "rectangle" else _raster.polygon
        assert np.array_equal(draw(s["points"], _raster.Canvas(SHAPE)).to_full(), m)
    # PIL draws its outline: the drawn vertices move a few boundary pixels; within 1 px they
    # are written as drawn and the change is reported
    rep = registry.export("labelme", p, tmp_path / "lm1", {"tolerance": 1.0})
    doc = json.loads(next((tmp_path / "lm1").glob("*.json")).read_text())
    assert np.allclose(doc["shapes"][0]["points"], poly.rings()[0])
    assert rep.losses["boundary pixels changed by polygon conversion"] >= 1


def test_yolo_writes_the_drawn_vertices(drawn, tmp_path):
    p, poly = drawn
    registry.export("yolo", p, tmp_path / "y")
    lines = next((tmp_path / "y" / "labels").rglob("*.txt")).read_text().splitlines()
    vals = np.array(lines[0].split()[1:], float).reshape(-1, 2) * (SHAPE[1], SHAPE[0])
    assert len(vals) == 15 and np.allclose(vals, poly.rings()[0], atol=1e-5)
    assert len(lines[1].split()) == 9  # the rectangle: 4 corners


def test_a_brush_edit_means_the_outline_is_traced_again(drawn, tmp_path):
    p, poly = drawn
    iid = p.images()[0].id
    insts = p.load_instances(iid)
    edited = insts[0].with_mask(insts[0].mask.union(MaskPatch.from_window(np.ones((3, 3), bool), 0, 0, SHAPE)))
    assert edited.shape is None
    p.save_instances(iid, [edited])
    registry.export("coco", p, tmp_path / "c.json")
    anns = json.loads((tmp_path / "c.json").read_text())["annotations"]
    assert anns[0]["segmentation"] != [list(poly.coords[0])]
