"""Main window: undo/redo, navigation, never losing work, shortcuts, docks, settings, features."""

from __future__ import annotations

import sys
import types

import cv2
import numpy as np
from PySide6.QtCore import Qt

from segstudio.core.masks import MaskPatch
from segstudio.core.proposal import Proposal
from segstudio.store import Project
from tests.qt.conftest import click, drag


def rect(window, p0, p1):
    window.set_tool("rectangle")
    drag(window.canvas, [p0, p1])
    return window.selected_instance_ids()[0]


def test_undo_redo_sequence_with_named_steps(window, qtbot):
    a = rect(window, (5, 5), (20, 20))
    b = rect(window, (30, 5), (50, 20))
    window.select_instances([a])
    window.controller.delete_selected()
    doc, acts = window.current_document(), window.actions
    assert doc.order == (b,) and acts["undo"].text() == "&Undo Delete instance"
    window.canvas.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc.order == (a, b) and acts["redo"].text() == "&Redo Delete instance"
    acts["undo"].trigger()
    acts["undo"].trigger()
    assert doc.order == () and not acts["undo"].isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    acts["redo"].trigger()
    assert doc.order == (a, b)


def test_history_is_per_image_and_kept_across_navigation(window, qtbot, project_dir):
    first = window.current_image().id
    rect(window, (5, 5), (20, 20))
    qtbot.keyClick(window, Qt.Key.Key_D)  # next image
    assert window.current_image().id != first and len(window.current_document()) == 0
    assert not window.actions["undo"].isEnabled()
    rect(window, (1, 1), (9, 9))
    qtbot.keyClick(window, Qt.Key.Key_A)  # previous image
    assert window.current_image().id == first
    assert window.actions["undo"].text() == "&Undo Rectangle"
    window.actions["undo"].trigger()
    assert len(window.current_document()) == 0
    with Project.open(project_dir) as p:  # the undo is in the store too
        assert p.load_instances(first) == []
    assert "im0.png" in window.windowTitle() and "proj" in window.windowTitle()


def test_close_never_asks_and_loses_nothing(qtbot, project_dir):
    from segstudio.qt.main_window import MainWindow

    w = MainWindow(install_features=False)
    qtbot.addWidget(w)
    w.show()
    w.open_project(project_dir)
    w.canvas.set_zoom(4)
    w.canvas.centerOn(40, 30)
    rect(w, (5, 5), (20, 20))
    image_id = w.current_image().id
    w.close()  # a modal question would block here
    with Project.open(project_dir) as p:
        assert len(p.load_instances(image_id)) == 1
        assert p.image(image_id).status == "in_progress"
    w2 = MainWindow(install_features=False)
    qtbot.addWidget(w2)
    w2.open_project(project_dir)
    assert w2.current_image().id == image_id and len(w2.current_document()) == 1  # reopens where we were
    w2.close()


def test_proposal_enter_accepts_escape_discards(window, qtbot):
    doc = window.current_document()
    m = np.zeros(doc.image_shape, bool)
    m[5:15, 5:15] = True
    doc.set_proposal(Proposal(MaskPatch.from_full(m), score=0.9, model_id="tiny"))
    assert window.canvas.proposal_layer.boundingRect().width() == 10
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    assert doc.proposal is None and len(doc) == 1
    inst = doc.instances[0]
    assert inst.source == "model" and inst.category_id == window.current_category_id()
    assert window.actions["undo"].text() == "&Undo Accept proposal"
    doc.set_proposal(Proposal(MaskPatch.from_full(m)))
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)
    assert doc.proposal is None and len(doc) == 1


def test_shortcuts_pick_tools_and_categories(window, qtbot):
    window.canvas.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_P)
    assert window.canvas.tool.name == "polygon"
    qtbot.keyClick(window, Qt.Key.Key_B)
    assert window.canvas.tool.name == "brush"
    qtbot.keyClick(window, Qt.Key.Key_2)
    cats = list(window.project.categories())
    assert window.current_category_id() == cats[1].id
    qtbot.keyClick(window, Qt.Key.Key_H)
    assert not window.canvas.overlay_visible
    qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    assert window.controller.options.brush_size > 15
    dlg = window.show_shortcuts()
    texts = {dlg.table.item(r, 1).text() for r in range(dlg.table.rowCount())}
    assert {"Undo", "Next Image", "Brush", "Accept the proposal (or close the polygon being drawn)"} <= texts
    dlg.close()


def test_instance_dock_hide_lock_reorder_category_and_attributes(window):
    a = rect(window, (5, 5), (30, 30))
    b = rect(window, (20, 20), (50, 50))
    doc, panel = window.current_document(), window.instances_panel
    model = panel.model
    assert model.rowCount() == 2
    assert model.data(model.index(0, 3)) == str(b)  # top-most first
    model.setData(model.index(0, 0), Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)  # hide b
    assert window.canvas.overlay.raster.labels[25, 25] == a
    window.select_instances([a])
    window.controller.reorder("front")
    assert doc.order == (b, a)
    cats = list(window.project.categories())
    window.controller.set_category(cats[1].id)
    assert doc.get(a).category_id == cats[1].id
    window.controller.set_attributes(a, {"occluded": True})
    assert doc.get(a).attributes == {"occluded": True}
    assert window.properties_panel.current_attributes() == {"occluded": True}
    assert model.id_at(0) == a
    model.setData(model.index(0, 1), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)  # lock a (now on top)
    window.controller.delete_selected()
    assert a in doc


def test_edit_operations_from_the_menu(window):
    a = rect(window, (5, 5), (20, 20))
    b = rect(window, (30, 30), (40, 40))
    window.select_instances([a, b])
    window.actions["merge"].trigger()
    doc = window.current_document()
    assert len(doc) == 1
    window.actions["split"].trigger()
    assert len(doc) == 2
    window.actions["duplicate"].trigger()
    assert len(doc) == 4


def test_image_list_filters_and_status(window, qtbot):
    panel = window.images_panel
    assert panel.list.count() == 3
    panel.search.setText("im1")  # filters run on a background thread once the keys pause
    qtbot.waitUntil(lambda: not panel.query_pending and panel.list.count() == 1, timeout=5000)
    panel.search.setText("")
    qtbot.waitUntil(lambda: not panel.query_pending and panel.list.count() == 3, timeout=5000)
    rect(window, (5, 5), (20, 20))
    panel.status_filter.setCurrentIndex(panel.status_filter.findData("in_progress"))
    qtbot.waitUntil(lambda: not panel.query_pending, timeout=5000)
    assert panel.visible_ids() == [window.current_image().id]
    panel.status_filter.setCurrentIndex(0)
    panel.category_filter.setCurrentIndex(1)
    qtbot.waitUntil(lambda: not panel.query_pending, timeout=5000)
    assert panel.visible_ids() == [window.current_image().id]
    panel.category_filter.setCurrentIndex(0)
    qtbot.waitUntil(lambda: not panel.query_pending, timeout=5000)
    window.actions["mark_done"].trigger()
    assert "3 images · 1 done" in panel.counts.text()  # counted at once, no query


def test_settings_persist_between_runs(qtbot, project_dir):
    from segstudio.qt.main_window import MainWindow

    w = MainWindow(install_features=False)
    qtbot.addWidget(w)
    w.open_project(project_dir)
    w.display_panel.opacity.setValue(70)
    w.brush_spin.setValue(33)
    w.set_tool("lasso")
    w.close()
    w2 = MainWindow(install_features=False)
    qtbot.addWidget(w2)
    assert abs(w2.canvas.opacity - 0.7) < 1e-6 and w2.controller.options.brush_size == 33
    assert w2.canvas.tool.name == "lasso"
    assert str(project_dir.resolve()) in [w2.welcome.recent.item(i).data(Qt.ItemDataRole.UserRole) for i in range(w2.welcome.recent.count())]
    assert w2.stack.currentWidget() is w2.welcome
    w2.close()


def test_sixteen_bit_gray_display_window(qtbot, tmp_path):
    from segstudio.qt.main_window import MainWindow

    img = np.zeros((40, 50), np.uint16)
    img[:, 25:] = 4000
    cv2.imwrite(str(tmp_path / "g16.png"), img)
    w = MainWindow(install_features=False)
    qtbot.addWidget(w)
    assert w.open_folder(tmp_path)
    data = w.current_image_data()
    assert data.data.dtype == np.uint16
    shown = w.canvas.image_layer.levels[0]
    assert shown[0, 30, 0] == 255 and shown[0, 0, 0] == 0  # auto window stretches 0..4000
    w._on_window_changed((0.0, 8000.0))
    assert 120 <= w.canvas.image_layer.levels[0][0, 30, 0] <= 135
    assert np.array_equal(w.current_image_data().data, img)  # data untouched
    w.close()


def test_video_record_uses_the_video_source(qtbot, tmp_path, monkeypatch):
    from segstudio.qt.main_window import MainWindow

    class FakeSource:
        frame_count, fps, shape = 5, 10.0, (24, 32)

        def read(self, i):
            return np.full((24, 32, 3), 10 * i, np.uint8)

        def close(self):
            pass

    mod = types.ModuleType("segstudio.io.video_source")
    mod.open_source = lambda path: FakeSource()
    monkeypatch.setitem(sys.modules, "segstudio.io.video_source", mod)
    (tmp_path / "clip.mp4").write_bytes(b"x")
    with Project.create(tmp_path) as p:
        vid = p.add_video(tmp_path / "clip.mp4", 32, 24, 5, 10.0)
        p.add_category("car")
    w = MainWindow(install_features=False)
    qtbot.addWidget(w)
    w.open_project(tmp_path)
    assert w.go_to_image(vid, 3)
    assert w.current_image_data().data[0, 0, 0] == 30 and w.current_document().frame == 3
    assert "(frame 3)" in w.windowTitle()  # 0-based, as on the timeline
    w.set_tool("rectangle")
    w.canvas.set_zoom(8)
    w.canvas.centerOn(16, 12)
    drag(w.canvas, [(2, 2), (10, 10)])
    w.go_to_image(vid, 4)
    assert len(w.current_document()) == 0
    w.go_to_image(vid, 3)
    assert len(w.current_document()) == 1 and w.actions["undo"].isEnabled()
    w.close()


def test_broken_feature_is_skipped(window, monkeypatch):
    from segstudio.qt import features

    good = types.ModuleType("segstudio.qt.features.zz_good")
    good.install = lambda win: win.menu("Model").addAction("Run model")
    bad = types.ModuleType("segstudio.qt.features.zz_bad")

    def boom(win):
        raise RuntimeError("boom")

    bad.install = boom
    monkeypatch.setitem(sys.modules, good.__name__, good)
    monkeypatch.setitem(sys.modules, bad.__name__, bad)
    result = features.install_all(window, ["zz_bad", "zz_good"])
    assert result["zz_good"] is None and "boom" in result["zz_bad"]
    assert [a.text() for a in window.menu("Model").actions()] == ["Run model"]
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles.index("Model") < titles.index("Help")


def test_public_api_for_features(window, qtbot):
    seen = []
    window.image_changed.connect(seen.append)
    changes = []
    window.document_changed.connect(changes.append)
    window.canvas.set_extra_layer("diff", np.zeros((60, 80, 4), np.uint8), 0.5)
    assert "diff" in window.canvas.extra_layers
    window.canvas.set_extra_layer("diff", None)
    assert "diff" not in window.canvas.extra_layers
    rec = window.current_image()
    from segstudio.core import commands
    from segstudio.core.instance import Instance

    doc = window.current_document()
    m = np.zeros(doc.image_shape, bool)
    m[1:4, 1:4] = True
    window.push_command(commands.add_instance(doc, Instance(doc.allocate_id(), 1, MaskPatch.from_full(m))))
    assert changes and window.current_history().can_undo
    window.project.replace_instances(rec.id, [])
    window.reload_document()
    assert len(window.current_document()) == 0 and seen[-1].id == rec.id
    dock = window.add_dock(QLabelish(), "Extra", object_name="dock_extra")
    assert window.docks["dock_extra"] is dock
    pt = window.canvas.image_to_view(10, 12)
    x, y = window.canvas.view_to_image(pt)
    assert abs(x - 10) < 1e-6 and abs(y - 12) < 1e-6
    click(window.canvas, 1, 1)


def QLabelish():
    from PySide6.QtWidgets import QLabel

    return QLabel("extra")


def test_next_image_is_decoded_ahead(window, qtbot):
    ids = window.images_panel.visible_ids()
    qtbot.waitUntil(lambda: ids[1] in window.session.prefetched, timeout=5000)
    ahead = window.session.prefetched[ids[1]]
    window.step_image(1)
    assert window.current_image_data() is ahead and ids[1] not in window.session.prefetched


def test_category_palette_add_rename_merge_delete(window, monkeypatch):
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    panel = window.categories_panel
    bird = panel.add("bird")
    assert window.project.categories().by_name("bird") is not None and panel.current_id() == bird.id
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("parrot", True))
    panel.rename()
    assert window.project.categories().get(bird.id).name == "parrot"
    a = rect(window, (5, 5), (20, 20))  # drawn in the current category (parrot)
    assert window.current_document().get(a).category_id == bird.id
    cat = window.project.categories().by_name("cat")
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("cat", True))
    panel.set_current(bird.id)
    panel.merge()
    assert window.current_document().get(a).category_id == cat.id  # document re-read from the store
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    panel.set_current(cat.id)
    panel.delete()
    assert len(window.current_document()) == 0 and window.project.categories().get(cat.id) is None


def test_welcome_view_without_project(qtbot):
    from segstudio.qt.main_window import MainWindow

    w = MainWindow(install_features=False)
    qtbot.addWidget(w)
    assert w.stack.currentWidget() is w.welcome and w.windowTitle() == "SegStudio"
    assert w.current_document() is None and not w.actions["undo"].isEnabled()
    w.step_image(1)  # harmless without a project
    w.close()


def test_session_forgets_least_recent_pages_beyond_its_budget(window):
    session = window.session
    ids = [r.id for r in window.project.images()]
    rect(window, (5, 5), (20, 20))  # the first image now has an undo step
    for i in ids[1:]:
        window.go_to_image(i)
    assert len(session.pages) == 3
    session.trim(next(reversed(session.pages)), budget=0)
    assert len(session.pages) == 1  # only the current page stays
    window.go_to_image(ids[0])
    assert len(window.current_document()) == 1 and not window.actions["undo"].isEnabled()


def test_recent_menu_lists_opened_projects(window, project_dir):
    from PySide6.QtWidgets import QMenu

    from segstudio.qt.window_slots import fill_recent_menu

    menu = QMenu()
    fill_recent_menu(window, menu)
    assert [a.text() for a in menu.actions()] == [str(project_dir.resolve())]
    assert any(a.text() == "Open &Recent" for a in window.menu("File").actions())


def test_brightness_and_contrast_sliders_move_the_window(qtbot, tmp_path):
    from segstudio.qt.main_window import MainWindow

    img = np.linspace(0, 1000, 40 * 50).reshape(40, 50).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "g.png"), img)
    w = MainWindow(install_features=False)
    qtbot.addWidget(w)
    w.open_folder(tmp_path)
    panel = w.display_panel
    lo0, hi0 = panel.lo.value(), panel.hi.value()
    panel.contrast.setValue(100)  # 4x narrower around the same centre
    qtbot.waitUntil(lambda: w.pixels.windows.get(w.current_image().id) is not None, timeout=2000)
    lo, hi = w.pixels.windows[w.current_image().id]
    assert abs((hi - lo) - (hi0 - lo0) / 4) < 1 and abs((lo + hi) - (lo0 + hi0)) < 1
    panel.brightness.setValue(50)  # brighter: the window moves down
    qtbot.waitUntil(lambda: w.pixels.windows[w.current_image().id][0] < lo - 1, timeout=2000)
    assert panel.contrast.value() == 100  # the sliders keep their place while they drive the window
    w.close()


def test_big_non_jpeg_images_load_in_the_background(window, qtbot, monkeypatch, project_dir):
    import segstudio.app.session as session_mod

    monkeypatch.setattr(session_mod, "BACKGROUND_MIN_PIXELS", 1000)  # the 80x60 PNGs count as big
    ids = window.images_panel.visible_ids()
    qtbot.waitUntil(lambda: not window.io_worker.busy(), timeout=5000)  # the prefetch is done
    window.session.prefetched.clear()
    window.go_to_image(ids[1])
    window.go_to_image(ids[2])  # the user moves on before ids[1] has decoded: ids[2] wins
    assert window.current_image_data() is None  # nothing decoded on the GUI thread
    assert "Loading full resolution" in window.statusBar().currentMessage()
    assert window.current_image().id == ids[2] and window.current_document() is not None
    qtbot.waitUntil(lambda: window.current_image_data() is not None, timeout=5000)
    data = window.current_image_data()
    assert data.path.name == window.current_image().name
    expected = cv2.cvtColor(cv2.imread(str(project_dir / "img" / data.path.name)), cv2.COLOR_BGR2RGB)
    assert np.array_equal(window.canvas.image_layer.levels[0], expected)  # the real pixels shown


def test_small_images_open_at_once(window, qtbot):
    ids = window.images_panel.visible_ids()
    window.go_to_image(ids[2])
    assert window.current_image_data() is not None


def test_a_big_image_that_fails_to_load_in_the_background_is_named(window, qtbot, monkeypatch, project_dir):
    import segstudio.app.session as session_mod

    monkeypatch.setattr(session_mod, "BACKGROUND_MIN_PIXELS", 1000)
    ids = window.images_panel.visible_ids()
    qtbot.waitUntil(lambda: not window.io_worker.busy(), timeout=5000)
    window.session.prefetched.clear()
    name = window.session.project.image(ids[2]).name
    (project_dir / "img" / name).write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(20))  # damaged since
    window.go_to_image(ids[2])
    qtbot.waitUntil(lambda: name in window.statusBar().currentMessage(), timeout=5000)
    assert "PNG" in window.statusBar().currentMessage()
    assert window.current_image().id == ids[2] and window.current_image_data() is None


def test_a_category_is_marked_ignore_from_its_menu_and_drawn_hatched(window):
    panel = window.categories_panel
    cat = window.project.categories().by_name("cat")
    a = rect(window, (5, 5), (40, 40))
    panel.set_current(cat.id)
    menu = panel.menu()
    act = next(x for x in menu.actions() if x.objectName() == "category_ignore")
    assert act.isCheckable() and not act.isChecked()
    act.trigger()
    assert window.project.categories().get(cat.id).ignore
    assert "(ignore)" in panel.list.currentItem().text()
    canvas = window.canvas
    assert canvas.ignore_categories == {cat.id}
    style = canvas.overlay.style
    assert style.hatch is not None and style.hatch[a]
    panel.set_ignore(False)
    assert not window.project.categories().get(cat.id).ignore and canvas.overlay.style.hatch is None
