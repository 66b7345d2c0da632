"""The Dataset menu driven like a user: dialogs filled with the keyboard and mouse, jobs on the
I/O worker with a progress dialog, the document refreshed after an import."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.store import Project


@pytest.fixture
def project_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SEGSTUDIO_SETTINGS", str(tmp_path / "settings.ini"))
    root = tmp_path / "proj"
    (root / "img").mkdir(parents=True)
    for k in range(2):
        cv2.imwrite(str(root / "img" / f"im{k}.png"), np.full((40, 50, 3), 60 * k, np.uint8))
    with Project.create(root) as p:
        p.add_folder(root / "img")
        cat = p.add_category("cat")
        m = np.zeros((40, 50), bool)
        m[5:20, 5:25] = True
        m[10:12, 10:12] = False
        p.replace_instances(p.images()[0].id, [Instance(1, cat.id, MaskPatch.from_full(m))])
    return root


@pytest.fixture
def window(qtbot, project_dir):
    from segstudio.qt.features import dataset
    from segstudio.qt.main_window import MainWindow

    w = MainWindow(install_features=False)
    qtbot.addWidget(w)
    w.show()
    assert w.open_project(project_dir)
    dataset.install(w)
    yield w
    feature(w).worker.wait(10_000)
    w.close()
    assert not feature(w).worker.busy() and not w.io_worker.busy()


def feature(window):
    from PySide6.QtCore import QObject

    return window.findChild(QObject, "dataset_feature")


def test_menu_and_export_dialog_by_keyboard_and_mouse(window, qtbot, tmp_path):
    from segstudio.qt.dataset.dialogs import ExportDialog

    titles = [a.text() for a in window.menu("Dataset").actions()]
    assert titles == ["&Import Annotations…", "&Export Annotations…", "", "&Convert Dataset…",
                      "&Validate Dataset…"]
    dlg = ExportDialog(window)
    qtbot.addWidget(dlg)
    dlg.format_box.setFocus()
    idx = next(i for i in range(dlg.format_box.count()) if dlg.format_box.itemData(i) == "coco")
    dlg.format_box.setCurrentIndex(idx)
    qtbot.keyClicks(dlg.path_row.edit, str(tmp_path / "out"))
    seg = dlg.options.widget("segmentation")
    seg.setCurrentText("rle")
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert dlg.result() == dlg.DialogCode.Accepted
    fmt, dst, opts = dlg.values()
    assert (fmt, dst, opts) == ("coco", tmp_path / "out", {"segmentation": "rle"})

    task = feature(window).run_export(fmt, dst, opts, modal=False)
    qtbot.waitUntil(lambda: task.report is not None, timeout=10_000)
    assert "exported 2 images, 1 instances as coco" in task.text.toPlainText()
    data = json.loads((tmp_path / "out" / "instances.json").read_text())
    assert data["annotations"][0]["area"] == 15 * 20 - 4
    qtbot.mouseClick(task.buttons.button(QDialogButtonBox.StandardButton.Close), Qt.MouseButton.LeftButton)
    assert not task.isVisible()


def test_import_refreshes_the_document_and_categories(window, qtbot, tmp_path, project_dir):
    from pycocotools import mask as cmask

    im1 = [r for r in window.project.images() if r.name == "im1.png"][0]
    m = np.zeros((40, 50), np.uint8)
    m[20:35, 30:45] = 1
    rle = cmask.encode(np.asfortranarray(m))
    coco = {
        "images": [{"id": 9, "file_name": "img/im1.png", "width": 50, "height": 40}],
        "categories": [{"id": 1, "name": "bird"}],
        "annotations": [{"id": 1, "image_id": 9, "category_id": 1, "iscrowd": 0,
                         "segmentation": {"size": [40, 50], "counts": rle["counts"].decode()}}],
    }
    (project_dir / "new.json").write_text(json.dumps(coco))
    window.go_to_image(im1.id)
    assert len(window.current_document()) == 0
    task = feature(window).run_import("coco", project_dir / "new.json", {}, modal=False)
    qtbot.waitUntil(lambda: task.report is not None, timeout=10_000)
    assert "imported 1 images (0 new, 1 already in the project), 1 instances" in task.text.toPlainText()
    doc = window.current_document()
    assert len(doc) == 1 and (doc.instances[0].mask.to_full() == m.astype(bool)).all()
    assert window.project.categories().by_name("bird") is not None
    task.close()


def test_bad_file_shows_the_problem_and_changes_nothing(window, qtbot, project_dir):
    (project_dir / "bad.json").write_text('{"images": [}')
    before = window.project.image_count()
    task = feature(window).run_import("coco", project_dir / "bad.json", {}, modal=False)
    qtbot.waitUntil(lambda: task.error is not None, timeout=10_000)
    assert "bad.json at line 1 column 13: invalid JSON" in task.text.toPlainText()
    assert "Nothing was written" in task.text.toPlainText()
    assert window.project.image_count() == before
    task.close()


def test_escape_cancels_a_running_export(window, qtbot, tmp_path, monkeypatch):
    import threading

    from segstudio.io import registry

    gate = threading.Event()
    real = registry.export

    def slow_export(fmt, project, dst, options=None, progress=None, cancel=None):
        gate.wait(5)
        cancel.check()
        return real(fmt, project, dst, options, progress, cancel)

    monkeypatch.setattr(registry, "export", slow_export)
    task = feature(window).run_export("coco", tmp_path / "never", {}, modal=False)
    qtbot.keyClick(task, Qt.Key.Key_Escape)  # cancels, the dialog stays until the job stopped
    assert task.isVisible()
    gate.set()
    qtbot.waitUntil(lambda: task.error == "cancelled", timeout=10_000)
    assert not (tmp_path / "never").exists()
    qtbot.keyClick(task, Qt.Key.Key_Escape)
    assert not task.isVisible()


def test_convert_and_validate_from_the_menu_jobs(window, qtbot, tmp_path, project_dir):
    f = feature(window)
    task = f.run_export("coco", tmp_path / "c.json", {"segmentation": "rle"}, modal=False)
    qtbot.waitUntil(lambda: task.report is not None, timeout=10_000)
    task.close()
    task = f.run_validate("coco", tmp_path / "c.json", {}, modal=False)
    qtbot.waitUntil(lambda: task.report is not None, timeout=10_000)
    assert "2 images, 1 instances" in task.text.toPlainText()
    task.close()
    task = f.run_convert("coco", tmp_path / "c.json", {"images_root": str(project_dir)},
                         "labelme", tmp_path / "lm", {}, modal=False)
    qtbot.waitUntil(lambda: task.report is not None, timeout=10_000)
    assert "as labelme" in task.text.toPlainText()
    assert len(list((tmp_path / "lm").glob("*.json"))) == 2
    task.close()


def test_hostile_files_show_one_line_and_the_window_keeps_running(window, qtbot, project_dir):
    """A vertex at 1e12 segfaulted inside pycocotools and took the window down; NaN gave a line
    naming neither file nor place; a wrong size poisoned the project (issue 21)."""
    im1 = [r for r in window.project.images() if r.name == "im1.png"][0]

    def coco(poly, w=50, h=40):
        return {"images": [{"id": 9, "file_name": "img/im1.png", "width": w, "height": h}],
                "categories": [{"id": 1, "name": "bird"}],
                "annotations": [{"id": 1, "image_id": 9, "category_id": 1, "segmentation": [poly]}]}

    (project_dir / "far.json").write_text(json.dumps(coco([0, 0, 1e12, 0, 1e12, 1e12])))
    (project_dir / "nan.json").write_text(json.dumps(coco([0, 0, 9, 0, 9, 9])).replace("9, 0, 9", "NaN, 0, 9"))
    (project_dir / "size.json").write_text(json.dumps(coco([0, 0, 9, 0, 9, 9], w=500, h=400)))
    f = feature(window)
    task = f.run_import("coco", project_dir / "far.json", {}, modal=False)
    qtbot.waitUntil(lambda: task.report is not None, timeout=10_000)
    assert "shapes reaching outside the image" in task.text.toPlainText()
    task.close()
    for name, expected in (("nan.json", "nan.json at annotations[0].segmentation[0][2]: coordinate nan"),
                           ("size.json", "size.json at images[0]: declares im1.png as 500x400, but the "
                                         "project's image is 50x40")):
        task = f.run_import("coco", project_dir / name, {}, modal=False)
        qtbot.waitUntil(lambda t=task: t.error is not None, timeout=10_000)
        assert expected in task.text.toPlainText()
        assert task.error.count("\n") == 0  # one line
        task.close()
    window.go_to_image(im1.id)  # still running; the clipped triangle is the only new instance
    doc = window.current_document()
    assert len(doc) == 1 and doc.instances[0].mask.to_full()[0, 49]

def test_import_dialog_trusts_paths_only_when_asked(window, qtbot, tmp_path, project_dir):
    """Image paths leaving the dataset folder are refused; the dialog's checkbox trusts them."""
    from segstudio.qt.dataset.dialogs import ImportDialog

    cv2.imwrite(str(tmp_path / "far.png"), np.zeros((40, 50, 3), np.uint8))
    coco = {"images": [{"id": 1, "file_name": str(tmp_path / "far.png"), "width": 50, "height": 40}],
            "categories": [{"id": 1, "name": "bird"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[1, 1, 9, 1, 9, 9]]}]}
    (project_dir / "sub").mkdir()
    (project_dir / "sub" / "far.json").write_text(json.dumps(coco))
    for trusted in (False, True):
        dlg = ImportDialog(window)
        qtbot.addWidget(dlg)
        qtbot.keyClicks(dlg.path_row.edit, str(project_dir / "sub" / "far.json"))
        if trusted:
            qtbot.mouseClick(dlg.trust, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
        fmt, src, opts, dry = dlg.values()
        assert opts.get("trust_paths", False) is trusted
        task = feature(window).run_import(fmt, src, opts, modal=False)
        qtbot.waitUntil(lambda t=task: t.report is not None or t.error is not None, timeout=10_000)
        if trusted:
            assert task.report is not None and task.report.images_added == 1
        else:
            assert "far.json at images[0].file_name" in task.error and "trust_paths" in task.error
        task.close()
