"""Every file and folder dialog starts in the open project's folder, or in the last folder used
for that kind of dialog (remembered in the settings), never in the process's working directory."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QPushButton

import segstudio
from segstudio.qt import file_dialogs, window_slots


class Recorder:
    """Stands in for QFileDialog's static functions: records (title, start) and answers `answer`."""

    def __init__(self, monkeypatch) -> None:
        self.calls: list[tuple[str, str]] = []
        self.answer = ""
        monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(self._file))
        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(self._file))
        monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(self._folder))

    def _file(self, parent, title="", start="", filters="", *a, **k):
        self.calls.append((title, start))
        return self.answer, ""

    def _folder(self, parent, title="", start="", *a, **k):
        self.calls.append((title, start))
        return self.answer


@pytest.fixture
def dialogs(monkeypatch, tmp_path):
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # where the app was started: no dialog may start here
    return Recorder(monkeypatch)


def _action(w, name):
    return next(a for a in w.findChildren(QObject) if a.objectName() == name)


def test_every_dialog_starts_in_the_project_folder(full_window, dialogs, sample_dir):
    from segstudio.qt.cutout.batch_dialog import BatchDialog
    from segstudio.qt.cutout.panel import CutoutPanel
    from segstudio.qt.dataset.dialogs import ExportDialog, ImportDialog
    from segstudio.qt.review.dashboard import Dashboard
    from segstudio.qt.review.import_dialog import ImportPredictionsDialog

    w = full_window
    window_slots.ask_open_folder(w)
    window_slots.ask_open_project(w)
    for cls in (ImportDialog, ExportDialog):
        dlg = cls(w)
        for k in range(dlg.format_box.count()):  # file and folder formats
            dlg.format_box.setCurrentIndex(k)
            dlg.path_row.browse.click()
        dlg.deleteLater()
    pred = ImportPredictionsDialog(w)
    pred._pick_file()
    pred._pick_folder()
    pred.deleteLater()
    _action(w, "cutout_export").trigger()
    _action(w, "cutout_batch").trigger()
    batch = w.findChild(BatchDialog)
    batch._browse_folder()
    batch._browse_out()
    batch.reject()
    w.findChild(CutoutPanel).image_button.click()
    dashboard = w.findChild(Dashboard)
    dashboard.result = object()  # something to export: the dialog opens (and is cancelled)
    assert dashboard._export("csv") is None
    w.findChild(QPushButton, "scribble_apply").click()
    _action(w, "video_add_file").trigger()
    _action(w, "video_add_frames").trigger()
    titles = {t for t, _ in dialogs.calls}
    assert {"Open a folder of images", "Export cutout", "Images to cut out", "Output folder",
            "Export evaluation", "Apply Classifier", "Add a video", "Choose a file",
            "Choose a folder", "COCO results file", "Preview background image"} <= titles
    root = sample_dir.resolve()
    for title, start in dialogs.calls:
        assert Path(start).resolve().is_relative_to(root), (title, start)


def test_a_kind_remembers_its_last_folder(full_window, dialogs, sample_dir, tmp_path):
    chosen = tmp_path / "exports"
    chosen.mkdir()
    dialogs.answer = str(chosen / "a.png")
    assert file_dialogs.save_file(full_window, "cutout_export", "Export cutout", "x.png") == dialogs.answer
    dialogs.answer = ""
    file_dialogs.save_file(full_window, "cutout_export", "Export cutout", "y.png")
    assert dialogs.calls[-1][1] == str(chosen / "y.png")
    file_dialogs.choose_folder(full_window, "predictions", "other kind")
    assert dialogs.calls[-1][1] == str(sample_dir)


def test_without_a_project_a_dialog_starts_home_not_in_the_working_directory(window, dialogs):
    window.close_project()
    window_slots.ask_open_project(window)
    assert dialogs.calls[-1][1] == str(Path.home())


def test_no_file_dialog_outside_the_helper():
    pkg = Path(segstudio.__file__).parent
    users = [str(p.relative_to(pkg)) for p in pkg.rglob("*.py")
             if p.name != "file_dialogs.py" and re.search(r"\bQFileDialog\b", p.read_text(encoding="utf-8"))]
    assert users == []
