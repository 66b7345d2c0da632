"""The crash handler: unhandled exceptions give a log file and a dialog; the project stays intact."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QRectF, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QHelpEvent
from PySide6.QtWidgets import QApplication, QGraphicsItem, QGraphicsScene, QGraphicsView

from segstudio.core.commands import add_instance
from segstudio.core.history import History
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.qt import crash
from segstudio.store import Project


@pytest.fixture
def handler(qapp, tmp_path):
    h = crash.install_crash_handler(qapp, tmp_path / "logs")
    yield h
    h.uninstall()


def _raise_later(exc: BaseException) -> None:
    def boom() -> None:
        raise exc

    QTimer.singleShot(0, boom)


def _wait_dialog(qtbot, handler) -> crash.CrashDialog:
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible(), timeout=5000)
    return handler.dialog


def test_slot_exception_writes_log_and_shows_dialog_with_copy(qtbot, handler, tmp_path):
    _raise_later(ValueError("broken slot 1234"))
    dialog = _wait_dialog(qtbot, handler)

    logs = sorted((tmp_path / "logs").glob("crash-*.log"))
    assert len(logs) == 1
    text = logs[0].read_text(encoding="utf-8")
    assert "ValueError: broken slot 1234" in text
    assert "in boom" in text  # the traceback, not just the message
    assert "SegStudio 0." in text and "Python " in text
    app_log = (tmp_path / "logs" / crash.APP_LOG_NAME).read_text(encoding="utf-8")
    assert "CRITICAL" in app_log and "broken slot 1234" in app_log

    assert "broken slot 1234" in dialog.details.toPlainText()
    assert str(logs[0]) in dialog.message.text()
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert "ValueError: broken slot 1234" in copied and "Traceback" in copied

    qtbot.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and not dialog.quit_requested


def test_thread_exception_reaches_the_gui_thread(qtbot, handler, qapp):
    worker = threading.Thread(target=lambda: 1 / 0, name="prelabel-worker")
    worker.start()
    worker.join()
    dialog = _wait_dialog(qtbot, handler)
    assert dialog.thread() is qapp.thread()
    assert handler.reports[-1].thread == "prelabel-worker"
    assert "ZeroDivisionError" in dialog.details.toPlainText()
    dialog.close()


def test_error_storm_is_one_dialog(qtbot, handler, tmp_path):
    _raise_later(KeyError("first"))
    dialog = _wait_dialog(qtbot, handler)
    _raise_later(RuntimeError("second"))
    qtbot.waitUntil(lambda: len(handler.pending) == 1, timeout=5000)
    assert handler.dialog is dialog
    assert "second" in dialog.details.toPlainText() and "first" in dialog.details.toPlainText()
    assert len(list((tmp_path / "logs").glob("crash-*.log"))) == 2
    dialog.close()


def _project_with_one_instance(root) -> tuple[Project, int]:
    import cv2

    (root / "img").mkdir(parents=True)
    cv2.imwrite(str(root / "img" / "a.png"), np.zeros((32, 48, 3), np.uint8))
    project = Project.create(root)
    project.add_folder(root / "img")
    cat = project.add_category("thing", (200, 10, 10))
    image_id = project.images()[0].id
    return project, (image_id, cat.id)


def test_project_intact_after_crash_mid_gesture_and_quit(qtbot, handler, tmp_path, monkeypatch):
    project, (image_id, cat_id) = _project_with_one_instance(tmp_path / "proj")
    doc = project.load_document(image_id)
    persister = project.attach(doc)
    history = History()
    mask = np.zeros((32, 48), bool)
    mask[4:20, 6:30] = True
    mask[8:12, 10:14] = False  # a hole
    history.push(add_instance(doc, Instance(doc.allocate_id(), cat_id, MaskPatch.from_full(mask))))

    def half_written_gesture() -> None:
        # A bug in the middle of a write: the transaction must roll back, the first edit stays.
        with project.transaction() as c:
            c.execute("DELETE FROM instances")
            raise RuntimeError("bug in the middle of a gesture")

    QTimer.singleShot(0, half_written_gesture)
    dialog = _wait_dialog(qtbot, handler)
    assert not project.conn.in_transaction

    quits: list[int] = []
    monkeypatch.setattr(QApplication, "quit", lambda *a: quits.append(1))
    qtbot.mouseClick(dialog.quit_button, Qt.MouseButton.LeftButton)
    assert dialog.quit_requested and quits == [1]

    # The handler did not close the project: it still works, then reads back from a fresh connection.
    assert project.load_instances(image_id)[0].mask.equals(MaskPatch.from_full(mask))
    persister.detach()
    project.close()
    fresh = sqlite3.connect(tmp_path / "proj" / "segstudio.db")
    assert fresh.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    fresh.close()
    with Project.open(tmp_path / "proj") as again:
        (inst,) = again.load_instances(image_id)
        assert inst.mask.equals(MaskPatch.from_full(mask)) and inst.category_id == cat_id


def test_uninstall_restores_hooks_and_single_log_handler(qapp, tmp_path):
    import sys

    before = (sys.excepthook, threading.excepthook)
    h1 = crash.install_crash_handler(qapp, tmp_path)
    h2 = crash.install_crash_handler(qapp, tmp_path)  # twice: still one rotating handler
    files = [
        h for h in logging.getLogger().handlers
        if getattr(h, "baseFilename", "") == str(tmp_path / crash.APP_LOG_NAME)
    ]
    assert len(files) == 1
    h2.uninstall()
    h1.uninstall()
    assert (sys.excepthook, threading.excepthook) == before
    assert not [h for h in logging.getLogger().handlers if getattr(h, "baseFilename", "").startswith(str(tmp_path))]


def test_default_log_dir_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SEGSTUDIO_LOG_DIR", str(tmp_path / "x"))
    assert crash.default_log_dir() == tmp_path / "x"
    monkeypatch.delenv("SEGSTUDIO_LOG_DIR")
    monkeypatch.setenv("SEGSTUDIO_DATA_DIR", str(tmp_path / "d"))
    assert crash.default_log_dir() == tmp_path / "d" / "logs"


def test_repeated_exception_is_reported_once(qtbot, handler, tmp_path):
    def paint_bug() -> None:
        raise ValueError("bug in a paint event")

    for _ in range(5):
        QTimer.singleShot(0, paint_bug)
    dialog = _wait_dialog(qtbot, handler)
    qtbot.wait(50)
    assert len(handler.reports) == 1 and not handler.pending
    assert len(list((tmp_path / "logs").glob("crash-*.log"))) == 1
    assert "(4 times)" in (tmp_path / "logs" / crash.APP_LOG_NAME).read_text(encoding="utf-8")
    dialog.close()


def test_unwritable_log_folder_falls_back_to_temp(qapp, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(crash.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    h = crash.install_crash_handler(qapp, blocker / "logs")
    try:
        assert h.log_dir.parent == tmp_path / "tmp" and h.log_dir.is_dir()
        report = h.handle(ValueError, ValueError("x"), None, "MainThread")
        assert report.log_file is not None and report.log_file.parent == h.log_dir
    finally:
        h.uninstall()


def test_qt_warnings_go_to_the_rotating_app_log(handler, tmp_path):
    from PySide6.QtCore import qWarning

    qWarning("a Qt warning 9876")
    for h in logging.getLogger().handlers:
        h.flush()
    text = (tmp_path / "logs" / crash.APP_LOG_NAME).read_text(encoding="utf-8")
    assert "WARNING" in text and "a Qt warning 9876" in text
    rotating = [h for h in logging.getLogger().handlers
                if getattr(h, "baseFilename", "") == str(tmp_path / "logs" / crash.APP_LOG_NAME)]
    assert rotating[0].maxBytes == crash.APP_LOG_BYTES and rotating[0].backupCount == crash.APP_LOG_BACKUPS


def test_open_log_folder_button_opens_the_report_folder(qtbot, handler, tmp_path, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr(crash.QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    _raise_later(OSError("disk on fire"))
    dialog = _wait_dialog(qtbot, handler)
    qtbot.mouseClick(dialog.folder_button, Qt.MouseButton.LeftButton)
    assert opened == [str(tmp_path / "logs")]
    dialog.close()



class _ShadowedShape(QGraphicsItem):
    """Reproduces the hover crash on purpose: an attribute hides QGraphicsItem.shape()."""

    def __init__(self) -> None:
        super().__init__()
        self.shape = (10, 10)  # the bug under test

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, 100, 100)

    def paint(self, *args) -> None:
        pass


def test_error_raised_where_qt_calls_python_still_has_a_traceback(qtbot, handler, tmp_path):
    """Qt calling a Python override that fails before any Python line runs gives the hook no
    traceback; the report must still explain it and carry the Python stack."""
    scene = QGraphicsScene()
    scene.addItem(_ShadowedShape())
    view = QGraphicsView(scene)
    qtbot.addWidget(view)
    view.resize(200, 200)
    view.show()
    qtbot.waitExposed(view)
    vp = view.viewport()
    pos = view.mapFromScene(50, 50)
    QApplication.postEvent(vp, QHelpEvent(QEvent.Type.ToolTip, pos, vp.mapToGlobal(pos)))
    dialog = _wait_dialog(qtbot, handler)
    report = handler.reports[-1]
    assert report.title == "TypeError: 'tuple' object is not callable"
    assert "Traceback" in report.traceback and "no Python frames" in report.traceback
    assert "test_error_raised_where_qt_calls_python_still_has_a_traceback" in report.traceback  # the stack
    assert "Traceback" in next((tmp_path / "logs").glob("crash-*.log")).read_text(encoding="utf-8")
    assert "virtual method" in dialog.details.toPlainText()
    dialog.close()
