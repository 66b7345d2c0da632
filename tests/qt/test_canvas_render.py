"""What the canvas actually paints: overlay pixels, level of detail, proposal style."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from segstudio.core.document import ImageDocument
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.core.proposal import Proposal
from segstudio.qt.canvas import CanvasView
from tests.qt.conftest import drag, move


def _pixel(view, x, y) -> QColor:
    img = view.viewport().grab().toImage()
    p = view.image_to_view(x, y).toPoint()
    return QColor(img.pixel(p))


def test_overlay_pixels_follow_style_and_holes(window):
    cv = window.canvas
    window.set_tool("rectangle")
    drag(cv, [(5, 5), (45, 45)])
    iid = window.selected_instance_ids()[0]
    window.select_instances([])
    window.set_tool("eraser")
    window.select_instances([iid])
    window.brush_spin.setValue(10)
    drag(cv, [(25, 25), (26, 25)])
    window.select_instances([])
    move(cv, 70, 55, button=Qt.MouseButton.NoButton)  # no hover tint over the instance
    assert cv.hover is None
    cv.set_overlay_style(opacity=1.0, mode="fill")
    cat = window.project.categories().get(window.current_document().get(iid).category_id)
    inside = _pixel(cv, 12, 12)
    assert (inside.red(), inside.green(), inside.blue()) == cat.color
    hole = _pixel(cv, 25.5, 25.5)
    assert (hole.red(), hole.green(), hole.blue()) != cat.color  # the hole shows the image
    cv.set_overlay_style(visible=False)
    assert (_pixel(cv, 12, 12).red(), _pixel(cv, 12, 12).green()) != cat.color[:2]


def test_large_image_draws_a_coarse_level(qtbot):
    cv = CanvasView()
    qtbot.addWidget(cv)
    cv.resize(400, 300)
    cv.show()
    qtbot.waitExposed(cv)
    cv.set_image(np.zeros((4096, 4096, 3), np.uint8))
    m = np.zeros((4096, 4096), bool)
    m[1000:3000, 1000:3000] = True
    cv.set_document(ImageDocument((4096, 4096), [Instance(1, 1, MaskPatch.from_full(m))]))
    cv.fit()
    cv.viewport().grab()  # renders the viewport now
    levels = {key[0] for key in cv.image_layer.cache}
    assert levels and min(levels) >= 3  # ~1/14 zoom: 1/8 or 1/16 level, never full resolution
    assert len(cv.image_layer.cache) <= 4
    cv.set_zoom(2.0)
    cv.viewport().grab()
    assert 0 in {key[0] for key in cv.image_layer.cache}


def test_proposal_is_drawn_hatched(qtbot):
    cv = CanvasView()
    qtbot.addWidget(cv)
    cv.resize(300, 300)
    cv.show()
    cv.set_image(np.zeros((40, 40, 3), np.uint8))
    doc = ImageDocument((40, 40))
    cv.set_document(doc)
    cv.set_zoom(6.0)
    cv.centerOn(20, 20)
    m = np.zeros((40, 40), bool)
    m[10:30, 10:30] = True
    doc.set_proposal(Proposal(MaskPatch.from_full(m)))
    colours = {QColor(cv.viewport().grab().toImage().pixel(cv.image_to_view(x + 0.5, 18.5).toPoint())).rgb() for x in range(12, 28)}
    assert len(colours) >= 2  # stripes, not a flat fill
    doc.clear_proposal()
    assert cv.proposal_layer.boundingRect().isEmpty()


def test_unreadable_image_shows_a_blank_of_its_size(qtbot, tmp_path):
    from segstudio.qt.main_window import MainWindow
    from segstudio.store import Project

    (tmp_path / "img").mkdir()
    cv2_img = np.zeros((30, 40, 3), np.uint8)
    import cv2

    cv2.imwrite(str(tmp_path / "img" / "a.png"), cv2_img)
    with Project.create(tmp_path / "p") as p:
        p.add_folder(tmp_path / "img")
    (tmp_path / "img" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    w = MainWindow(install_features=False)
    qtbot.addWidget(w)
    w.open_project(tmp_path / "p")
    assert w.current_image_data() is None and w.canvas.image_shape() == (30, 40)
    assert "a.png" in w.statusBar().currentMessage()
    w.canvas.viewport().grab()  # paints without the pixels
    w.close()
