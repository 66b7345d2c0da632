"""Fixtures for the main-window tests: isolated settings, a tiny project, a window, mouse helpers."""

from __future__ import annotations

import threading
import time
import weakref

import cv2
import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QThreadPool
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from segstudio.store import Project

LEAK_GRACE_S = 10.0  # a job finishing its current step after the test may take this long


def work_left_running(threads_before: set, made: list[weakref.ref], grace_s: float) -> list[str]:
    """What still runs after a test, each given until `grace_s` from now to finish: a busy
    `Worker` (any lane), a job of Qt's global pool, a Python thread started since
    `threads_before`."""
    deadline = time.monotonic() + grace_s

    def left_ms() -> int:
        return max(0, int((deadline - time.monotonic()) * 1000))

    problems = []
    for ref in made:
        w = ref()
        if w is not None and shiboken6.isValid(w) and not w.wait(left_ms()):
            problems.append("a Worker still runs jobs")
    pool = QThreadPool.globalInstance()
    if not pool.waitForDone(left_ms()):
        problems.append(f"{pool.activeThreadCount()} job(s) of QThreadPool.globalInstance() still run")
    for t in set(threading.enumerate()) - threads_before:
        if isinstance(t, threading._DummyThread):  # a Qt thread that once ran Python code
            continue
        t.join(left_ms() / 1000)
        if t.is_alive():
            problems.append(f"thread {t.name!r} still runs")
    return problems


@pytest.fixture(autouse=True)
def _no_leaked_threads(monkeypatch):
    """Fail a test that leaves work running behind it (as napari guards its Qt tests)."""
    from segstudio.qt import workers

    before = set(threading.enumerate())
    made: list[weakref.ref] = []
    init = workers.Worker.__init__

    def tracked_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        made.append(weakref.ref(self))

    monkeypatch.setattr(workers.Worker, "__init__", tracked_init)
    yield
    problems = work_left_running(before, made, LEAK_GRACE_S)
    assert not problems, "the test left work running: " + "; ".join(problems)


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


def _disc(shape, cx, cy, r) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.circle(m, (cx, cy), r, 1, -1)
    return m.astype(bool)


@pytest.fixture
def sample_dir(tmp_path):
    """The bundled sample project (a copy), with two instances on each image, a 'pred' label
    set and a four-frame frame folder: every feature has something to act on."""
    from segstudio.core.instance import Instance
    from segstudio.core.masks import MaskPatch
    from segstudio.store.sample import ensure_sample_project
    from segstudio.video.library import add_video

    root = ensure_sample_project(tmp_path / "sample")
    frames = root / "frames"
    frames.mkdir()
    for k in range(4):
        img = np.full((48, 64, 3), 90, np.uint8)
        cv2.circle(img, (16 + 6 * k, 24), 9, (40, 200, 60), -1)
        cv2.imwrite(str(frames / f"{k:05d}.png"), img)
    with Project.open(root) as p:
        cats = [c.id for c in p.categories()]
        p.add_label_set("pred")
        for rec in p.images():
            h, w = rec.shape
            a = Instance(1, cats[0], MaskPatch.from_full(_disc((h, w), w // 3, h // 2, min(h, w) // 6)))
            b = Instance(2, cats[1], MaskPatch.from_full(_disc((h, w), 2 * w // 3, h // 2, min(h, w) // 7)))
            p.save_instances(rec.id, [a, b])
            moved = Instance(1, cats[0], MaskPatch.from_full(_disc((h, w), w // 3 + 4, h // 2, min(h, w) // 6)), "model", 0.8)
            p.save_instances(rec.id, [moved], label_set="pred")
        add_video(p, frames)
    return root


@pytest.fixture
def empty_project_dir(tmp_path):
    root = tmp_path / "empty"
    Project.create(root).close()
    return root


def make_full_window(qtbot, size=(1366, 768)):
    """A main window with every feature installed, as `segstudio open` builds it."""
    from segstudio.qt.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    assert not any(w.feature_errors.values()), w.feature_errors
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    return w


def close_full_window(w) -> None:
    w.close()
    w.worker.cancel_all()
    w.worker.wait(10000)
    w.io_worker.wait(10000)


@pytest.fixture
def full_window(qtbot, sample_dir):
    w = make_full_window(qtbot)
    assert w.open_project(sample_dir)
    yield w
    close_full_window(w)
