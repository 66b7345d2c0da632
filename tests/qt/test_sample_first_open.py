"""The README's first command: the sample project opens and is pre-labelled by the built-in
default model in the background on first opening (the batch dialog shows the progress)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from segstudio.qt.app import _prelabel_fresh_sample, resolve_project
from segstudio.store import Project


@pytest.mark.slow
def test_fresh_sample_is_prelabelled_in_the_background(qtbot, tmp_path, monkeypatch):
    from segstudio.qt.main_window import MainWindow

    monkeypatch.setenv("SEGSTUDIO_DATA_DIR", str(tmp_path / "data"))
    root = resolve_project(None, sample=True)
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    assert w.open_project(root)
    _prelabel_fresh_sample(w)
    dialog = w.features.assist.dialog
    assert dialog is not None and dialog.isVisible()
    # shown without taking the keyboard: a first session's keys go to the window, not the dialog
    assert QApplication.activeWindow() is not dialog
    qtbot.waitUntil(lambda: not w.worker.busy(), timeout=180_000)
    # and gone once done (it stayed over the canvas), the result said in the status bar
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    assert w.statusBar().currentMessage().startswith("Sample pre-labelled: 4 images, 4 instances in ")
    with Project.open(root) as project:
        counts = project.counts_by_status()
        assert counts["new"] == 0 and counts["prelabelled"] == project.image_count()
        for rec in project.images():
            (inst,) = project.load_instances(rec.id)
            assert inst.source == "model" and 0.02 < inst.area / (rec.width * rec.height) < 0.98
    _prelabel_fresh_sample(w)  # a second opening does not run it again
    assert not w.worker.busy()
    w.close()


def test_database_path_opens_its_project(tmp_path):
    Project.create(tmp_path / "p").close()
    assert resolve_project(tmp_path / "p" / "segstudio.db", sample=False) == tmp_path / "p"


def test_a_sample_with_only_a_new_video_shows_no_prelabel_dialog(qtbot, tmp_path, monkeypatch):
    """The frame folder a person adds to the sample stays 'new' (videos are not pre-labelled):
    reopening the sample showed the pre-label dialog with nothing to do, over the canvas."""
    import cv2
    import numpy as np

    from segstudio.qt.main_window import MainWindow
    from segstudio.video.library import add_video

    monkeypatch.setenv("SEGSTUDIO_DATA_DIR", str(tmp_path / "data"))
    root = resolve_project(None, sample=True)
    frames = tmp_path / "frames"
    frames.mkdir()
    for k in range(3):
        cv2.imwrite(str(frames / f"{k:05d}.png"), np.full((16, 16, 3), 80 * k, np.uint8))
    with Project.open(root) as p:
        for rec in p.images():
            p.set_status(rec.id, "prelabelled")
        add_video(p, frames)
    w = MainWindow()
    qtbot.addWidget(w)
    assert w.open_project(root)
    _prelabel_fresh_sample(w)
    assert w.features.assist.dialog is None or not w.features.assist.dialog.isVisible()
    w.close()
