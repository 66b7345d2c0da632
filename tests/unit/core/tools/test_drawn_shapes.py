"""Shape tools keep the shape as drawn; raster edits drop it; the store keeps it."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from segstudio.core import commands
from segstudio.core.categories import is_ignore_name
from segstudio.core.drawn import DrawnShape
from segstudio.core.masks import MaskPatch
from segstudio.core.shape_raster import coco_window
from segstudio.core.tools import BrushTool, EllipseTool, PolygonTool, RectangleTool
from segstudio.core.tools.base import KEY_ENTER, Mods
from segstudio.store.project import Project
from segstudio.store.schema import MIGRATIONS
from tests.unit.core.tools.test_tools import SHAPE, L, N, drag, make

VERTS = [(10.4, 12.6), (40.2, 8.0), (55.8, 30.4), (30.6, 50.2), (12.2, 35.6)]  # on the 1/5 grid


def draw_polygon(tool, verts):
    for p in verts:
        tool.press(*p, L, N)
    assert tool.key(KEY_ENTER, N)


def test_polygon_tool_keeps_its_vertices_and_mask_is_pycocotools():
    tool = PolygonTool()
    doc, hist, _ = make(tool)
    draw_polygon(tool, VERTS)
    inst = doc.instances[0]
    assert inst.shape is not None and inst.shape.kind == "polygon" and inst.shape.rule == "coco"
    assert inst.shape.rings()[0].tolist() == [list(v) for v in VERTS]
    tool2 = PolygonTool()  # off-grid clicks are kept on pycocotools' 1/5-pixel grid
    tool2.activate(tool.ctx)
    draw_polygon(tool2, [(1.31, 1.0), (9.0, 1.09), (5.0, 7.5)])
    assert doc.instances[1].shape.coords == ((1.4, 1.0, 9.0, 1.0, 5.0, 7.4),) or \
        doc.instances[1].shape.coords == ((1.4, 1.0, 9.0, 1.0, 5.0, 7.6),)
    # the mask is what a COCO reader makes of these vertices
    ref = coco_window([np.ravel(VERTS).tolist()], 0, 0, *SHAPE)
    assert np.array_equal(inst.mask.to_full(), ref)
    assert inst.shape.area == inst.mask.area
    assert inst.shape.rasterise(SHAPE).equals(inst.mask)


def test_rectangle_and_ellipse_keep_their_geometry():
    rect = RectangleTool()
    doc, _, ctx = make(rect)
    drag(rect, [(10.2, 10.7), (30.6, 20.1)])
    r = doc.instances[0]
    assert r.shape.kind == "rectangle" and r.shape.coords == ((10.0, 11.0, 31.0, 20.0),)
    assert r.shape.rasterise(SHAPE).equals(r.mask)
    ell = EllipseTool()
    ell.activate(ctx)
    drag(ell, [(40.21, 10.5), (60.79, 30.0)])
    e = doc.instances[1]
    # the box corners are kept on the 1/5 grid: (40.2, 10.4) - (60.8, 30.0)
    assert e.shape.kind == "ellipse" and e.shape.coords[0] == pytest.approx((50.5, 20.2, 10.3, 9.8))
    assert e.shape.rasterise(SHAPE).equals(e.mask)


def test_a_raster_edit_drops_the_shape_and_undo_brings_it_back():
    tool = PolygonTool()
    doc, hist, ctx = make(tool)
    draw_polygon(tool, VERTS)
    iid = doc.instances[0].id
    brush = BrushTool()
    brush.activate(ctx)
    ctx.options.target = "selected"
    ctx.select([iid])
    drag(brush, [(50.5, 50.5), (52.5, 52.5)])
    assert doc.get(iid).shape is None and doc.get(iid).area > 0
    hist.undo()
    assert doc.get(iid).shape is not None
    # replacing the mask by the same pixels keeps it
    same = commands.replace_mask(doc, iid, MaskPatch.from_full(doc.get(iid).mask.to_full()))
    assert same.after[iid].shape is not None and same.is_noop


def test_subtracting_a_polygon_is_a_raster_edit():
    tool = PolygonTool()
    doc, _, ctx = make(tool)
    draw_polygon(tool, VERTS)
    ctx.options.target = "selected"
    ctx.select([doc.instances[0].id])
    draw_polygon(tool, [(20, 20), (30, 20), (30, 30)])  # added inside: the same pixels
    assert doc.instances[0].shape is not None
    tool.press(20, 20, L, Mods.ALT)  # Alt on the first vertex subtracts: a hole
    draw_polygon(tool, [(30, 20), (30, 30)])
    assert doc.instances[0].shape is None and doc.instances[0].area < 1240


def test_shape_json_round_trip_and_garbage():
    s = DrawnShape.ellipse(5.5, 6.0, 3.0, 2.5, rotation=30.0, area=21)
    assert DrawnShape.from_json(s.to_json()) == s
    for bad in ("", "{", "[]", '{"kind": "star", "coords": [[1, 2]]}', '{"kind": "polygon"}',
                '{"kind": "polygon", "coords": [[1, "x"]]}', '{"kind": "polygon", "coords": [[NaN, 1]]}'):
        assert DrawnShape.from_json(bad) is None
    with pytest.raises(ValueError):
        DrawnShape("polygon", ((1.0, 2.0),), rule="mine")


def test_rotated_box_and_ellipse_take_pixel_centres():
    box = DrawnShape.rectangle(10, 10, 30, 20, rotation=90).rasterise((60, 60))
    # a 20x10 box turned a quarter: 10 wide, 20 high, same centre (20, 15)
    assert box.bbox() == (15, 5, 10, 20)
    ell = DrawnShape.ellipse(30, 30, 10, 4, rotation=90).rasterise((60, 60))
    plain = DrawnShape.ellipse(30, 30, 4, 10).rasterise((60, 60))
    assert ell.equals(plain)


def test_store_keeps_shapes_and_ignore_flags(tmp_path):
    tool = PolygonTool()
    doc, _, _ = make(tool)
    draw_polygon(tool, VERTS)
    with Project.create(tmp_path / "p") as p:
        cat = p.add_category("cat")
        ign = p.add_category("__ignore__", ignore=True)
        iid = p.add_images([(tmp_path / "a.png", SHAPE[1], SHAPE[0])])[0]
        p.save_instances(iid, [doc.instances[0].with_category(cat.id)])
        got = p.load_instances(iid)[0]
        assert got.shape == doc.instances[0].shape
        assert p.categories().get(ign.id).ignore and not p.categories().get(cat.id).ignore
        p.update_category(p.categories().get(cat.id).with_ignore(True))
        assert p.categories().get(cat.id).ignore


def test_a_version_1_project_is_migrated(tmp_path):
    db = tmp_path / "segstudio.db"
    conn = sqlite3.connect(db)
    conn.executescript(MIGRATIONS[0])
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO categories(name, color) VALUES ('cat', '#ff0000')")
    conn.commit()
    conn.close()
    with Project.open(tmp_path) as p:
        assert [(c.name, c.ignore) for c in p.categories()] == [("cat", False)]
        cols = {r[1] for r in p.conn.execute("PRAGMA table_info(instances)")}
        assert "shape" in cols


def test_ignore_names():
    assert is_ignore_name("__ignore__") and is_ignore_name(" Ignore ") and is_ignore_name("DontCare")
    assert not is_ignore_name("person") and not is_ignore_name("void")
