"""Fixtures for the main-window tests: isolated settings, a tiny project, a window, mouse helpers."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from segstudio.store import Project


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory, monkeypatch):
    path = tmp_path_factory.mktemp("settings") / "segstudio.ini"
    monkeypatch.setenv("SEGSTUDIO_SETTINGS", str(path))
    return path


@pytest.fixture
def project_dir(tmp_path):
    """Three small RGB images and two categories."""
    root = tmp_path / "proj"
    (root / "img").mkdir(parents=True)
    rng = np.random.default_rng(1)
    for k in range(3):
        img = np.full((60, 80, 3), 40 + 60 * k, np.uint8)
        img[10:30, 10:30] = (200, 40, 40)
        img += rng.integers(0, 3, img.shape, dtype=np.uint8)
        cv2.imwrite(str(root / "img" / f"im{k}.png"), img)
    with Project.create(root) as p:
        p.add_folder(root / "img")
        p.add_category("cat", (230, 120, 40))
        p.add_category("dog", (60, 160, 230))
    return root


@pytest.fixture
def window(qtbot, project_dir):
    from segstudio.qt.main_window import MainWindow

    w = MainWindow(install_features=False)
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    qtbot.waitExposed(w)
    assert w.open_project(project_dir)
    w.canvas.set_zoom(4.0)
    w.canvas.centerOn(40, 30)
    yield w
    w.close()
    assert not w.worker.busy() and not w.io_worker.busy()


def _send(view, kind, x, y, button=Qt.MouseButton.LeftButton, buttons=None, mods=Qt.KeyboardModifier.NoModifier):
    pos = view.image_to_view(x, y)
    glob = view.viewport().mapToGlobal(pos.toPoint())
    if buttons is None:
        buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    ev = QMouseEvent(kind, QPointF(pos), QPointF(glob), button, buttons, mods)
    QApplication.sendEvent(view.viewport(), ev)


def press(view, x, y, button=Qt.MouseButton.LeftButton, mods=Qt.KeyboardModifier.NoModifier):
    _send(view, QEvent.Type.MouseButtonPress, x, y, button, button, mods)


def move(view, x, y, button=Qt.MouseButton.LeftButton, mods=Qt.KeyboardModifier.NoModifier):
    _send(view, QEvent.Type.MouseMove, x, y, Qt.MouseButton.NoButton, button, mods)


def release(view, x, y, button=Qt.MouseButton.LeftButton, mods=Qt.KeyboardModifier.NoModifier):
    _send(view, QEvent.Type.MouseButtonRelease, x, y, button, Qt.MouseButton.NoButton, mods)


def drag(view, pts, button=Qt.MouseButton.LeftButton, mods=Qt.KeyboardModifier.NoModifier):
    press(view, *pts[0], button, mods)
    for p in pts[1:]:
        move(view, *p, button, mods)
    release(view, *pts[-1], button, mods)


def click(view, x, y, button=Qt.MouseButton.LeftButton, mods=Qt.KeyboardModifier.NoModifier):
    press(view, x, y, button, mods)
    release(view, x, y, button, mods)


def vp_point(view, x, y) -> QPoint:
    return view.image_to_view(x, y).toPoint()
