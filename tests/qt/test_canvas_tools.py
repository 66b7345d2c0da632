"""Every tool through real mouse events on the canvas viewport, asserting on the document."""

from __future__ import annotations

import json

import numpy as np
from PySide6.QtCore import Qt

from segstudio.core import rle
from segstudio.core.geometry import has_holes
from segstudio.store import Project
from tests.qt.conftest import click, drag, move, press, release


def test_brush_creates_instance_persisted_at_once(window, project_dir, qtbot):
    window.set_tool("brush")
    window.brush_spin.setValue(6)
    drag(window.canvas, [(20, 20), (30, 20), (40, 20)])
    doc = window.current_document()
    assert len(doc) == 1
    m = doc.instances[0].mask.to_full()
    assert m[20, 20:41].all() and not m[30, 20]
    assert window.actions["undo"].text() == "&Undo Brush stroke"
    with Project.open(project_dir) as p:  # another connection sees it: it is in the store already
        assert len(p.load_instances(window.current_image().id)) == 1


def test_brush_live_preview_then_commit_on_release(window):
    window.set_tool("brush")
    press(window.canvas, 10, 10)
    move(window.canvas, 12, 10)
    assert window.canvas.live.live is not None and len(window.current_document()) == 0
    release(window.canvas, 12, 10)
    assert window.canvas.live.live is None and len(window.current_document()) == 1


def test_brush_size_has_one_owner_the_spin_box_mirrors_it(window, qtbot):
    """Ctrl+wheel, ] and the spin box all change ToolOptions.brush_size; the spin box always
    shows it (was: after Ctrl+wheel, options 17 and spin box 15)."""
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    window.set_tool("brush")
    options, spin = window.controller.options, window.brush_spin
    before = options.brush_size
    vp = window.canvas.viewport()
    ev = QWheelEvent(QPointF(50, 50), QPointF(vp.mapToGlobal(QPoint(50, 50))), QPoint(), QPoint(0, 120),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(vp, ev)
    assert options.brush_size > before and spin.value() == options.brush_size
    window.canvas.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    assert spin.value() == options.brush_size > before + 2
    spin.setValue(40)
    assert options.brush_size == 40
    window.tolerance_spin.setValue(5)
    options.tolerance = 9
    assert window.tolerance_spin.value() == 9
    options.exclusive = True
    options.target = "selected"
    assert window.actions["exclusive"].isChecked() and window.actions["target_selected"].isChecked()
    window.actions["target_new"].setChecked(True)
    assert options.target == "new"


def test_eraser_hole_survives_reload_and_coco_rle(window, project_dir):
    window.set_tool("rectangle")
    drag(window.canvas, [(5, 5), (45, 45)])
    iid = window.selected_instance_ids()[0]
    window.set_tool("eraser")
    window.brush_spin.setValue(8)
    drag(window.canvas, [(25, 25), (26, 25)])
    doc = window.current_document()
    assert has_holes(doc.get(iid).mask) and not doc.get(iid).mask.to_full()[25, 25]
    image_id = window.current_image().id
    window.close()
    out = project_dir / "export.json"
    with Project.open(project_dir) as p:
        inst = p.load_instances(image_id)[0]
        from segstudio.io.formats.coco import export

        export(p, out, {"segmentation": "rle"}, None, None)
    assert has_holes(inst.mask)
    coco = json.loads(out.read_text())
    file_id = next(im["id"] for im in coco["images"] if im["file_name"].endswith("im0.png"))
    ann = next(a for a in coco["annotations"] if a["image_id"] == file_id)
    back = rle.decode(ann["segmentation"])
    assert not back[25, 25] and back[6, 6] and np.array_equal(back, inst.mask.to_full())
    assert ann["area"] == inst.area


def test_polygon_rectangle_ellipse_lasso(window):
    cv = window.canvas
    window.set_tool("polygon")
    for p in [(5, 5), (25, 5), (25, 25), (5, 25)]:
        click(cv, *p)
    click(cv, 5, 5)  # close on the first vertex
    doc = window.current_document()
    assert len(doc) == 1 and doc.instances[0].mask.to_full()[15, 15]
    window.set_tool("ellipse")
    drag(cv, [(40, 10), (60, 30)])
    assert len(doc) == 2 and doc.instances[1].mask.to_full()[20, 50]
    window.set_tool("lasso")
    pts = [(65 + 8 * np.cos(t), 45 + 8 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 30)]
    drag(cv, pts)
    assert len(doc) == 3 and doc.instances[2].mask.to_full()[45, 65]


def test_polygon_subtract_in_edit_selected_mode_and_enter(window, qtbot):
    cv = window.canvas
    window.set_tool("rectangle")
    drag(cv, [(5, 5), (50, 50)])
    iid = window.selected_instance_ids()[0]
    window.actions["target_selected"].trigger()
    window.set_tool("polygon")
    click(cv, 20, 20, mods=Qt.KeyboardModifier.AltModifier)
    for p in [(35, 20), (35, 35), (20, 35)]:
        click(cv, *p)
    cv.setFocus()
    qtbot.keyClick(cv, Qt.Key.Key_Return)
    m = window.current_document().get(iid).mask
    assert has_holes(m) and not m.to_full()[27, 27]


def test_magic_wand_selects_the_red_square(window):
    window.set_tool("wand")
    window.tolerance_spin.setValue(20)
    click(window.canvas, 15, 15)
    inst = window.current_document().instances[0]
    assert inst.mask.bbox() == (10, 10, 20, 20)


def test_select_then_vertex_drag(window):
    cv = window.canvas
    window.set_tool("rectangle")
    drag(cv, [(10, 10), (30, 30)])
    window.select_instances([])
    window.set_tool("select")
    click(cv, 20, 20)
    iid = window.selected_instance_ids()[0]
    area = window.current_document().get(iid).area
    window.set_tool("vertex")
    drag(cv, [(10.5, 10.5), (4.5, 4.5)])
    assert window.current_document().get(iid).area > area
    assert "Move vertex" in window.actions["undo"].text()


def test_exclusive_painting(window):
    cv = window.canvas
    window.set_tool("rectangle")
    drag(cv, [(5, 5), (40, 40)])
    first = window.selected_instance_ids()[0]
    window.actions["exclusive"].setChecked(True)
    drag(cv, [(20, 20), (60, 50)])
    doc = window.current_document()
    assert not doc.get(first).mask.to_full()[30, 30]
    assert len(window.current_history()) == 2


def test_pan_and_zoom_keep_mapping(window, qtbot):
    cv = window.canvas
    before = cv.image_to_view(30, 30)
    cv.set_zoom(cv.zoom() * 2, before)  # zoom at that point keeps it under the cursor
    after = cv.image_to_view(30, 30)
    assert abs(after.x() - before.x()) <= 1 and abs(after.y() - before.y()) <= 1
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    vp = cv.viewport()
    for kind, pos, b, bs in (
        (QEvent.Type.MouseButtonPress, QPointF(100, 100), Qt.MouseButton.MiddleButton, Qt.MouseButton.MiddleButton),
        (QEvent.Type.MouseMove, QPointF(140, 120), Qt.MouseButton.NoButton, Qt.MouseButton.MiddleButton),
        (QEvent.Type.MouseButtonRelease, QPointF(140, 120), Qt.MouseButton.MiddleButton, Qt.MouseButton.NoButton),
    ):
        QApplication.sendEvent(vp, QMouseEvent(kind, pos, QPointF(vp.mapToGlobal(pos.toPoint())), b, bs, Qt.KeyboardModifier.NoModifier))
    moved = cv.image_to_view(30, 30)
    assert abs(moved.x() - after.x() - 40) <= 1 and abs(moved.y() - after.y() - 20) <= 1
    assert len(window.current_document()) == 0  # panning never paints
