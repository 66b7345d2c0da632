"""Tools driven by synthetic image-space pointer events, without Qt."""

from __future__ import annotations

import numpy as np
import pytest

from segstudio.core.document import ImageDocument
from segstudio.core.history import History
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.core.tools import (
    BrushTool,
    Buttons,
    EllipseTool,
    EraserTool,
    LassoTool,
    MagicWandTool,
    Mods,
    PolygonTool,
    RectangleTool,
    SelectTool,
    ToolOptions,
    VertexTool,
)
from segstudio.core.tools.base import KEY_BACKSPACE, KEY_ENTER, SimpleContext
from segstudio.core.tools.brush import disk
from segstudio.core.tools.shapes import ellipse_mask, polygon_mask, rect_mask

L, R, N = Buttons.LEFT, Buttons.RIGHT, Mods.NONE
SHAPE = (64, 80)


def make(tool, instances=(), image=None, **opts):
    doc = ImageDocument(SHAPE, list(instances))
    hist = History()
    ctx = SimpleContext(doc, hist.push, image=image, options=ToolOptions(**opts))
    tool.activate(ctx)
    return doc, hist, ctx


def box_inst(iid, x0, y0, x1, y1, cat=1):
    m = np.zeros(SHAPE, bool)
    m[y0:y1, x0:x1] = True
    return Instance(iid, cat, MaskPatch.from_full(m))


def drag(tool, pts, buttons=L, mods=N):
    tool.press(*pts[0], buttons, mods)
    for p in pts[1:]:
        tool.move(*p, buttons, mods)
    tool.release(*pts[-1], buttons, mods)


def test_brush_stroke_is_one_undoable_instance():
    tool = BrushTool()
    doc, hist, ctx = make(tool, brush_size=5)
    drag(tool, [(10.5, 10.5), (20.5, 10.5), (30.5, 10.5)])
    assert len(doc) == 1 and len(hist) == 1 and hist.undo_label == "Brush stroke"
    m = doc.instances[0].mask
    full = m.to_full()
    # A thick horizontal band of diameter 5 from x=8..32 at rows 8..12.
    assert full[10, 10:31].all() and full[8:13, 20].all()
    assert not full[5, 20] and not full[15, 20]
    assert ctx.selected_ids() == [doc.instances[0].id]
    hist.undo()
    assert len(doc) == 0


def test_brush_live_mask_and_dirty_boxes_stay_local():
    tool = BrushTool()
    boxes = []
    tool.changed.connect(boxes.append)
    doc, _, _ = make(tool, brush_size=3)
    tool.press(40.5, 30.5, L, N)
    buf, box, role = tool.live_mask
    assert role == "add" and buf[30, 40] and box[2] - box[0] < 10
    tool.move(42.5, 30.5, L, N)
    assert boxes[-1][2] - boxes[-1][0] < 16  # only the dab's neighbourhood repaints
    tool.cancel()
    assert tool.live_mask is None and len(doc) == 0


def test_brush_size_steps_and_disk():
    tool = BrushTool()
    make(tool, brush_size=10)
    tool.grow(1)
    assert tool.size == 12
    tool.grow(-3)
    assert tool.size < 10
    assert disk(1).sum() == 1 and disk(5)[2, 2] and not disk(5)[0, 0]


def test_eraser_cuts_a_hole_in_the_selected_instance():
    tool = EraserTool()
    doc, hist, ctx = make(tool, [box_inst(1, 10, 10, 50, 50)], brush_size=6)
    ctx.select([1])
    drag(tool, [(30, 30), (31, 30)])
    m = doc.get(1).mask.to_full()
    assert not m[30, 30] and m[12, 12] and m[48, 48]
    assert hist.undo_label == "Eraser stroke"
    hist.undo()
    assert doc.get(1).mask.to_full()[30, 30]


def test_eraser_without_selection_erases_every_unlocked_instance():
    tool = EraserTool()
    doc, _, _ = make(tool, [box_inst(1, 0, 0, 40, 40), box_inst(2, 20, 0, 60, 40)], brush_size=4, locked={2})
    drag(tool, [(30, 20), (30, 21)])
    assert not doc.get(1).mask.to_full()[20, 30]
    assert doc.get(2).mask.to_full()[20, 30]  # locked


def test_right_button_brush_erases():
    tool = BrushTool()
    doc, _, ctx = make(tool, [box_inst(1, 10, 10, 50, 50)], brush_size=6)
    ctx.select([1])
    drag(tool, [(30, 30), (30, 31)], buttons=R)
    assert not doc.get(1).mask.to_full()[30, 30]


def test_exclusive_brush_carves_other_instances_in_the_same_step():
    tool = BrushTool()
    doc, hist, _ = make(tool, [box_inst(1, 0, 0, 40, 40)], brush_size=8, exclusive=True)
    drag(tool, [(20, 20), (21, 20)])
    new = [i for i in doc.order if i != 1][0]
    assert doc.get(new).mask.to_full()[20, 20] and not doc.get(1).mask.to_full()[20, 20]
    assert len(hist) == 1
    hist.undo()
    assert doc.get(1).mask.to_full()[20, 20] and len(doc) == 1


def test_edit_selected_without_selection_only_warns():
    tool = BrushTool()
    doc, hist, ctx = make(tool, target="selected")
    drag(tool, [(5, 5), (6, 6)])
    assert len(doc) == 0 and len(hist) == 0 and ctx.messages


def test_rectangle_and_ellipse_pixels():
    assert rect_mask((2, 3), (6, 5), (10, 10)).bbox() == (2, 3, 4, 2)
    e = ellipse_mask((0, 0), (10, 10), (20, 20))
    assert e.to_full()[5, 5] and not e.to_full()[0, 0] and e.area == pytest.approx(np.pi * 25, rel=0.1)
    tool = RectangleTool()
    doc, hist, _ = make(tool)
    drag(tool, [(10, 10), (30, 20)])
    assert doc.instances[0].mask.bbox() == (10, 10, 20, 10) and hist.undo_label == "Rectangle"
    tool2 = EllipseTool()
    tool2.activate(tool.ctx)
    drag(tool2, [(40, 10), (60, 30)])
    assert len(doc) == 2 and doc.instances[1].area == pytest.approx(np.pi * 100, rel=0.1)


def test_polygon_subtract_cuts_a_hole_and_undoes():
    tool = PolygonTool()
    doc, hist, ctx = make(tool, [box_inst(1, 0, 0, 60, 60)], target="selected")
    ctx.select([1])
    for p in [(20, 20), (40, 20), (40, 40), (20, 40)]:
        tool.press(*p, L, Mods.ALT if p == (20, 20) else N)
    assert tool.key(KEY_ENTER, N)
    m = doc.get(1).mask.to_full()
    assert not m[30, 30] and m[5, 5]
    from segstudio.core.geometry import has_holes

    assert has_holes(doc.get(1).mask)
    hist.undo()
    assert doc.get(1).mask.to_full()[30, 30]


def test_polygon_close_on_first_vertex_backspace_and_escape():
    tool = PolygonTool()
    doc, _, _ = make(tool)
    for p in [(10, 10), (30, 10), (30, 30), (99, 99)]:
        tool.press(*p, L, N)
    assert tool.key(KEY_BACKSPACE, N)  # drops (99, 99)
    tool.press(10.5, 10.5, L, N)  # near the first vertex closes
    assert len(doc) == 1 and not tool.drawing
    tool.press(1, 1, L, N)
    tool.press(5, 1, L, N)
    tool.cancel()
    assert len(doc) == 1 and not tool.drawing


def test_polygon_mask_matches_pixel_centres():
    m = polygon_mask(np.array([[0, 0], [10, 0], [10, 10], [0, 10]]), (20, 20))
    full = m.to_full()
    assert full[0:10, 0:10].all()  # every pixel whose centre is inside
    assert 100 <= m.area <= 121 and not full[12:, :].any()  # at most the boundary row/column


def test_lasso_makes_a_region():
    tool = LassoTool()
    doc, _, _ = make(tool)
    pts = [(10 + 10 * np.cos(t), 30 + 10 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 40)]
    drag(tool, pts)
    assert doc.instances[0].mask.to_full()[30, 10] and 250 < doc.instances[0].area < 400


def test_magic_wand_region_and_tolerance():
    img = np.zeros((*SHAPE, 3), np.uint8)
    img[10:30, 10:30] = (200, 50, 50)
    img[40:50, 40:50] = (205, 52, 50)  # similar colour, not connected
    tool = MagicWandTool()
    doc, _, _ = make(tool, image=img, tolerance=10)
    tool.press(15, 15, L, N)
    assert doc.instances[0].area == 400
    tool.press(15, 15, L, Mods.SHIFT)  # global: both squares
    assert doc.instances[1].area == 500


def test_magic_wand_on_16bit_gray():
    img = np.zeros(SHAPE, np.uint16)
    img[5:15, 5:15] = 40000
    tool = MagicWandTool()
    doc, _, _ = make(tool, image=img, tolerance=100)
    tool.press(7, 7, L, N)
    assert doc.instances[0].area == 100


def test_select_tool_picks_topmost_and_toggles():
    tool = SelectTool()
    doc, _, ctx = make(tool, [box_inst(1, 0, 0, 40, 40), box_inst(2, 20, 20, 60, 60)])
    tool.press(30, 30, L, N)
    assert ctx.selected_ids() == [2]
    tool.press(5, 5, L, Mods.CTRL)
    assert ctx.selected_ids() == [2, 1]
    tool.hidden = {2}
    tool.press(30, 30, L, N)
    assert ctx.selected_ids() == [1]
    tool.press(70, 62, L, N)
    assert ctx.selected_ids() == []


def test_vertex_drag_insert_delete_are_single_steps():
    tool = VertexTool()
    doc, hist, ctx = make(tool, [box_inst(1, 10, 10, 30, 30)])
    ctx.select([1])
    tool.pick_radius = 2.0
    # Corner vertex of the outline (pixel-centre ring + 0.5 => at 10.5, 10.5); drag it outwards.
    drag(tool, [(10.5, 10.5), (5.5, 5.5)])
    assert hist.undo_label == "Move vertex" and doc.get(1).mask.to_full()[6, 6]
    area = doc.get(1).area
    # Shift+click on the bottom edge inserts a vertex; dragging it down adds a triangle.
    drag(tool, [(20.5, 29.5), (20.5, 40.5)], mods=Mods.SHIFT)
    assert doc.get(1).area > area and doc.get(1).mask.to_full()[38, 20]
    n = len(hist)
    tool.press(20.5, 40.5, L, Mods.ALT)  # delete that vertex again
    assert len(hist) == n + 1 and not doc.get(1).mask.to_full()[38, 20]
    hist.undo()
    hist.undo()
    hist.undo()
    assert doc.get(1).mask.equals(box_inst(1, 10, 10, 30, 30).mask)


def test_vertex_edit_keeps_holes():
    m = np.zeros(SHAPE, bool)
    m[10:40, 10:40] = True
    m[20:30, 20:30] = False
    tool = VertexTool()
    doc, _, ctx = make(tool, [Instance(1, 1, MaskPatch.from_full(m))])
    ctx.select([1])
    tool.pick_radius = 2.0
    drag(tool, [(10.5, 10.5), (8.5, 8.5)])
    out = doc.get(1).mask.to_full()
    assert not out[25, 25] and out[9, 9] and out[35, 35]


def test_tools_do_nothing_without_a_document():
    for cls in (BrushTool, PolygonTool, RectangleTool, LassoTool, MagicWandTool, SelectTool, VertexTool):
        tool = cls()
        assert tool.press(1, 1, L, N) is False


def test_shape_offsets_are_python_ints():
    # numpy integers in MaskPatch offsets would be stored as blobs by sqlite3
    m = polygon_mask(np.array([[3.2, 4.7], [20.1, 5.0], [12.0, 30.3]]), (40, 40))
    assert type(m.y0) is int and type(m.x0) is int


def test_gestures_outside_the_image_are_clipped_or_ignored():
    tool = BrushTool()
    doc, hist, _ = make(tool, brush_size=9)
    drag(tool, [(-20, -20), (3, 3)])  # starts outside, ends inside the corner
    m = doc.instances[0].mask
    assert m.x0 == 0 and m.y0 == 0 and m.to_full()[1, 1]
    rect = RectangleTool()
    rect.activate(tool.ctx)
    drag(rect, [(-50, -50), (-10, -10)])  # wholly outside: nothing
    assert len(doc) == 1 and len(hist) == 1
    drag(rect, [(70, 50), (200, 200)])  # clipped to the image
    assert doc.instances[1].mask.bbox() == (70, 50, 10, 14)


def test_one_pixel_brush_paints_a_connected_line():
    tool = BrushTool()
    doc, _, _ = make(tool, brush_size=1)
    drag(tool, [(5.5, 5.5), (25.5, 15.5)])
    m = doc.instances[0].mask
    from segstudio.core.geometry import connected_parts

    assert len(connected_parts(m)) == 1 and m.to_full()[5, 5] and m.to_full()[15, 25]


def test_polygon_vertices_outside_are_clipped():
    tool = PolygonTool()
    doc, _, _ = make(tool)
    for p in [(-10, -10), (30, -10), (30, 30), (-10, 30)]:
        tool.press(*p, L, N)
    tool.key(KEY_ENTER, N)
    assert doc.instances[0].mask.bbox()[:2] == (0, 0)
