"""Shared by the GUI benches: a temporary project of the given images opened in a main window
with the AI Assist feature installed (offscreen unless a display is set)."""

from __future__ import annotations

from pathlib import Path


def open_assist_window(image_dir: Path, project_dir: Path, size: tuple[int, int] = (1200, 800)):
    from segstudio.qt.features.assist import install
    from segstudio.qt.main_window import MainWindow
    from segstudio.store import Project

    with Project.create(project_dir) as pr:
        pr.add_folder(image_dir)
    win = MainWindow(install_features=False)
    win.resize(*size)
    win.show()
    win.open_project(project_dir)
    install(win)
    return win
