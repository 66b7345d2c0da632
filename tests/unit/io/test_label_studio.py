"""Label Studio JSON: brush RLE, polygons, rectangles, ellipses; round trips; errors naming the
file and JSON path; Label Studio's own converter (brush RLE both ways, COCO conversion)."""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest
from pycocotools import mask as cmask

from segstudio.core.drawn import DrawnShape
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.core.shape_raster import coco_window
from segstudio.core.tools.shapes import drawn_box, drawn_polygon
from segstudio.io import registry
from segstudio.io.errors import FormatError
from segstudio.io.formats import _ls_rle
from segstudio.store.project import Project
from tests.unit.io.helpers import make_project, masks_by_image
from tests.unit.io.reference import reference_python, run_script

W, H = 50, 40


def task(result, image="a.png"):
    return {"id": 1, "data": {"image": image}, "annotations": [{"id": 1, "result": result}]}


def region(kind, value, **extra):
    return {"id": "r1", "type": kind, "from_name": "x", "to_name": "image", "original_width": W,
            "original_height": H, "value": value, **extra}


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "ls"
    d.mkdir()
    cv2.imwrite(str(d / "a.png"), np.zeros((H, W, 3), np.uint8))
    return d


def load(folder, tasks, tmp_path, **opts):
    (folder / "t.json").write_text(json.dumps(tasks))
    q = Project.create(tmp_path / "q")
    rep = registry.import_into("label-studio", folder / "t.json", q, opts)
    return q, rep


def test_every_region_kind(folder, tmp_path):
    m = np.zeros((H, W), bool)
    m[5:9, 30:45] = True
    m[6, 35] = False
    tasks = [task([
        region("polygonlabels", {"points": [[20, 25], [60, 25], [60, 75]], "polygonlabels": ["cat"]}),
        region("rectanglelabels", {"x": 10, "y": 50, "width": 20, "height": 25, "rotation": 0,
                                   "rectanglelabels": ["dog"]}),
        region("ellipselabels", {"x": 80, "y": 75, "radiusX": 10, "radiusY": 12.5, "rotation": 0,
                                 "ellipselabels": ["dog"]}),
        region("brushlabels", {"format": "rle", "rle": _ls_rle.encode(m), "brushlabels": ["__ignore__"]}),
        region("keypointlabels", {"x": 1, "y": 1, "keypointlabels": ["cat"]}),
    ]), {"id": 2, "data": {"image": "/data/upload/3/0a1b2c3d-a.png"},
         "annotations": [{"result": [], "was_cancelled": True}], "predictions": [{"result": []}]}]
    q, rep = load(folder, tasks, tmp_path)
    with q:
        (a,) = q.images()  # the second task names the same file with an upload prefix
        insts = q.load_instances(a.id)
        cats = {c.id: c for c in q.categories()}
        assert [cats[i.category_id].name for i in insts] == ["cat", "dog", "dog", "__ignore__"]
        assert cats[insts[3].category_id].ignore
        poly, rect, ell, brush = insts
        assert np.array_equal(poly.mask.to_full(), coco_window([[10, 10, 30, 10, 30, 30]], 0, 0, H, W))
        assert poly.shape.coords == ((10.0, 10.0, 30.0, 10.0, 30.0, 30.0),)
        assert rect.mask.bbox() == (5, 20, 10, 10) and rect.shape.kind == "rectangle"
        yy, xx = np.mgrid[0:H, 0:W]
        assert np.array_equal(ell.mask.to_full(), ((xx + .5 - 40) / 5) ** 2 + ((yy + .5 - 30) / 5) ** 2 <= 1)
        assert np.array_equal(brush.mask.to_full(), m)
    assert [why for _, why in rep.skipped] == ["result type 'keypointlabels' is not a region shape"]
    assert rep.losses["predictions not imported"] == 1


def test_rotated_rectangle_turns_about_its_top_left_corner(folder, tmp_path):
    r = region("rectanglelabels", {"x": 40, "y": 25, "width": 20, "height": 25, "rotation": 90,
                                   "rectanglelabels": ["dog"]})
    q, _ = load(folder, [task([r])], tmp_path)
    with q:
        (inst,) = q.load_instances(q.images()[0].id)
        # a 10x10 box at (20, 10) turned a quarter clockwise about (20, 10): x 10..20, y 10..20
        assert inst.mask.bbox() == (10, 10, 10, 10)
        registry.export("label-studio", q, tmp_path / "out.json")
    v = json.loads((tmp_path / "out.json").read_text())[0]["annotations"][0]["result"][0]["value"]
    assert v["rotation"] == 90 and v["x"] == pytest.approx(40) and v["y"] == pytest.approx(25)


@pytest.mark.parametrize("bad, where", [
    ({"type": "polygonlabels", "value": {"points": [[1, 2]], "polygonlabels": ["a"]}},
     "[0].annotations[0].result[0].value.points: a polygon needs at least 3 finite points"),
    ({"type": "brushlabels", "value": {"rle": [1, 2, 3], "brushlabels": ["a"]}},
     "[0].annotations[0].result[0].value.rle: rle "),
    ({"type": "rectanglelabels", "value": {"x": "a", "rectanglelabels": ["a"]}},
     "[0].annotations[0].result[0].value.x: expected an integer or a number"),
    ({"type": "polygonlabels", "value": {"points": [[1, 2], [3, 4], [5, 6]], "polygonlabels": []}},
     "[0].annotations[0].result[0].value: expected a non-empty list of label names"),
])
def test_errors_name_the_file_and_json_path(folder, tmp_path, bad, where):
    bad = {**bad, "original_width": W, "original_height": H}
    with pytest.raises(FormatError) as e:
        load(folder, [task([bad])], tmp_path)
    assert str(e.value).startswith(str(folder / "t.json")) and where in str(e.value), str(e.value)


def test_round_trip_is_exact_and_shapes_stay_as_drawn(tmp_path):
    p = make_project(tmp_path, n_images=3, per_image=4, seed=3)
    cat = p.categories().by_name("cat")
    rec = p.images()[0]
    pm, poly = drawn_polygon(np.array([[3.2, 4.4], [30.0, 2.6], [25.4, 36.2]]), rec.shape)
    bm, box = drawn_box("rect", (30.3, 20.2), (45.7, 31.1), rec.shape)
    em, ell = drawn_box("ellipse", (2.2, 20.4), (20.6, 35.8), rec.shape)
    p.replace_instances(rec.id, [Instance(1, cat.id, pm, shape=poly), Instance(2, cat.id, bm, shape=box),
                                 Instance(3, cat.id, em, shape=ell)])
    want = masks_by_image(p)
    rep = registry.export("label-studio", p, tmp_path / "ls", {"images": "copy"})
    assert rep.lossless, rep.text()
    assert (tmp_path / "ls" / "labeling_config.xml").is_file()
    v = registry.validate("label-studio", tmp_path / "ls" / "tasks.json")
    assert v.images == 3 and not v.warnings
    with Project.create(tmp_path / "q") as q:
        registry.import_into("label-studio", tmp_path / "ls" / "tasks.json", q)
        got = masks_by_image(q)
        assert {k: [(c, m.tobytes()) for c, m in x] for k, x in got.items()} == \
            {k: [(c, m.tobytes()) for c, m in x] for k, x in want.items()}
        shapes = [i.shape for i in q.load_instances(q.images()[0].id)]
        assert shapes[0].coords[0] == pytest.approx(poly.coords[0]) and shapes[1] == box
        assert shapes[2].coords[0] == pytest.approx(ell.coords[0])


def test_brush_rle_matches_label_studio_both_ways(tmp_path):
    py = reference_python("ls", "label_studio_converter")
    rng = np.random.default_rng(7)
    masks = [rng.random((int(rng.integers(1, 40)), int(rng.integers(1, 40)))) < 0.4 for _ in range(6)]
    masks.append(np.ones((300, 260), bool))  # runs longer than 65,536 values
    (tmp_path / "m.json").write_text(json.dumps([m.astype(int).tolist() for m in masks]))
    theirs = run_script(py, "ls_convert.py", "encode", tmp_path / "m.json")
    for m, rle in zip(masks, theirs):
        assert np.array_equal(_ls_rle.decode(rle, *m.shape), m)
    p = make_project(tmp_path, n_images=2, per_image=4)
    registry.export("label-studio", p, tmp_path / "ls.json")
    decoded = run_script(py, "ls_convert.py", "brush", tmp_path / "ls.json")
    want = masks_by_image(p)
    names = sorted(want)
    assert decoded
    for k, label, h, w, idx in decoded:
        m = np.zeros(h * w, bool)
        m[idx] = True
        assert any(c == label and np.array_equal(m.reshape(h, w), ref) for c, ref in want[names[k]])


def test_label_studio_converter_makes_the_same_coco(tmp_path):
    py = reference_python("ls", "label_studio_converter")
    p = make_project(tmp_path, n_images=1, per_image=0)
    cat = p.categories().by_name("dog")
    rec = p.images()[0]
    pm, poly = drawn_polygon(np.array([[3.2, 4.4], [30.0, 2.6], [25.4, 36.2]]), rec.shape)
    bm, box = drawn_box("rect", (30.3, 20.2), (45.7, 31.1), rec.shape)
    p.replace_instances(rec.id, [Instance(1, cat.id, pm, shape=poly), Instance(2, cat.id, bm, shape=box)])
    registry.export("label-studio", p, tmp_path / "ls", {"images": "copy"})
    coco = run_script(py, "ls_convert.py", "coco", tmp_path / "ls" / "tasks.json",
                      tmp_path / "ls" / "labeling_config.xml", tmp_path / "coco")
    a_poly, a_box = coco["annotations"]
    got = cmask.decode(cmask.merge(cmask.frPyObjects(a_poly["segmentation"], *rec.shape))).astype(bool)
    assert np.array_equal(got, pm.to_full())
    x, y, w, h = a_box["bbox"]
    assert DrawnShape.rectangle(x, y, x + w, y + h).rasterise(rec.shape).equals(bm)
    shutil.rmtree(tmp_path / "coco")
    _ = MaskPatch


def test_far_and_broken_coordinates(folder, tmp_path):
    far = region("polygonlabels", {"points": [[20, 25], [1e13, 25], [60, 75]], "polygonlabels": ["cat"]})
    q, rep = load(folder, [task([far])], tmp_path)
    with q:
        (inst,) = q.load_instances(q.images()[0].id)
        assert inst.mask.x1 == W and inst.mask.y0 >= 9  # clipped to the image, never crashed
    assert rep.losses["shapes reaching outside the image (the part outside dropped)"] == 1
    huge = {**region("polygonlabels", {"points": [[1, 1], [2, 1], [2, 2]], "polygonlabels": ["a"]}),
            "original_width": 100000, "original_height": 100000}
    with pytest.raises(FormatError, match="exceeds the limit"):
        load(folder, [task([huge])], tmp_path / "2")
