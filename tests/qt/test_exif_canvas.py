"""Issue 21.5 in the window: on a portrait phone photo (EXIF orientation 6) the overlay is drawn
and a stroke on the lower part of the visible image is kept, in the document and the store."""

from __future__ import annotations

from segstudio.store import Project
from tests.qt.conftest import drag
from tests.unit.io.test_exif_orientation import SHOWN, exif_jpeg


def test_a_stroke_low_on_a_portrait_photo_is_drawn_and_stored(qtbot, tmp_path):
    from segstudio.qt.main_window import MainWindow

    (tmp_path / "photos").mkdir()
    exif_jpeg(tmp_path / "photos" / "phone.jpg", 6)
    with Project.create(tmp_path / "proj") as p:
        p.add_folder(tmp_path / "photos")
        p.add_category("thing")
    w = MainWindow(install_features=False)
    qtbot.addWidget(w)
    w.resize(900, 700)
    w.show()
    assert w.open_project(tmp_path / "proj")
    w.canvas.set_zoom(8.0)
    w.canvas.centerOn(15, 34)
    assert w.current_document().image_shape == SHOWN == w.canvas.overlay.image_shape
    w.set_tool("brush")
    w.brush_spin.setValue(3)
    drag(w.canvas, [(8, 35), (14, 35), (20, 35)])  # row 35: beyond the stored height of 30
    (inst,) = w.current_document().instances
    assert inst.mask.to_full()[35, 8:21].all()
    assert w.canvas.overlay.raster.labels[35, 14] == inst.id  # the overlay shows it
    with Project.open(tmp_path / "proj") as p:
        (stored,) = p.load_instances(1)
        assert stored.mask.to_full()[35, 8:21].all()
    w.close()
