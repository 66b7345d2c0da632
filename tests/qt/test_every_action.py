"""Every action a person can reach (menus, toolbars, window shortcuts), in every task mode,
triggered once on the sample project and on an empty project: nothing raises, no crash dialog.

Dialogs an action opens are closed by the test (modal ones from a timer inside their loop).
Review -> Import Predictions as a Label Set... always crashed (the action's `checked` argument
landed in the slot's `options`); nothing exercised the actions the way a menu click does.
"""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDialog, QMenu, QMessageBox, QToolBar, QWidget

from segstudio.qt.crash import CrashDialog

from .conftest import close_full_window, make_full_window

SKIP = {"&Quit"}  # closes the window: checked by test_quit_closes_the_window


def reachable_actions(w) -> list[QAction]:
    """Menu bar (with submenus), toolbars and the window's own shortcut actions, once each."""
    seen: dict[int, QAction] = {}

    def walk(menu: QMenu) -> None:
        menu.aboutToShow.emit()  # menus that fill themselves when opened (Open Recent)
        for act in menu.actions():
            if act.menu() is not None:
                walk(act.menu())
            elif not act.isSeparator():
                seen.setdefault(id(act), act)

    for act in w.menuBar().actions():
        if act.menu() is not None:
            walk(act.menu())
    for bar in w.findChildren(QToolBar):
        for act in bar.actions():
            if not act.isSeparator() and act.menu() is None:
                seen.setdefault(id(act), act)
    for act in QWidget.actions(w):
        seen.setdefault(id(act), act)
    acts = [a for a in seen.values() if a.text() not in SKIP]
    # Actions that leave the project go last, so the others act on it.
    leaving = [a for a in acts if a in (w.actions["close_project"], w.actions["open_sample"]) or isinstance(a.parent(), QMenu)
               and a.parent().title() == "Open &Recent"]
    return [a for a in acts if a not in leaving] + leaving


class DialogCloser:
    """Rejects modal dialogs from inside their own loop and closes new top-level dialogs."""

    def __init__(self) -> None:
        self.closed: list[str] = []
        self.before: set[int] = set()
        self.timer = QTimer(interval=15)
        self.timer.timeout.connect(self.close_modal)
        self.timer.start()

    def snapshot(self) -> None:
        self.before = {id(x) for x in QApplication.topLevelWidgets() if x.isVisible()}

    def close_modal(self) -> None:
        modal = QApplication.activeModalWidget()
        if modal is not None:
            self.closed.append(type(modal).__name__)
            modal.reject() if isinstance(modal, (QDialog, QMessageBox)) else modal.close()

    def close_new(self) -> None:
        for top in QApplication.topLevelWidgets():
            if top.isVisible() and id(top) not in self.before and isinstance(top, QDialog):
                assert not isinstance(top, CrashDialog), top.report.text()
                self.closed.append(type(top).__name__)
                top.reject()

    def stop(self) -> None:
        self.timer.stop()


def trigger_all(w, qtbot, errors: list) -> int:
    closer = DialogCloser()
    count = 0
    try:
        for act in reachable_actions(w):
            if not act.isEnabled() or not act.isVisible():
                continue
            closer.snapshot()
            act.trigger()
            count += 1
            QApplication.processEvents()
            closer.close_new()
            assert not errors, f"{act.text()!r}: {errors[0][1]!r}"
    finally:
        closer.stop()
    return count


def _record_errors(monkeypatch) -> list:
    errors: list = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: errors.append(exc))
    return errors


def _enter(w, qtbot, mode: str) -> None:
    """The mode, in the state where most of its actions are enabled."""
    w.modes.activate(mode)
    project = w.project
    if project is None:
        return
    if mode == "video":
        video = next((r for r in project.images() if r.kind != "image"), None)
        if video is not None:
            w.go_to_image(video.id, 1)
    elif mode == "review" and "pred" in project.label_sets():
        from PySide6.QtCore import QObject

        controller = w.findChild(QObject, "review_feature").controller
        controller.start("gt", "pred")
        qtbot.waitUntil(lambda: controller.active, timeout=20_000)


@pytest.mark.slow
@pytest.mark.parametrize("which", ["sample", "empty"])
def test_every_action_in_every_mode(qtbot, monkeypatch, which, request):
    root = request.getfixturevalue("sample_dir" if which == "sample" else "empty_project_dir")
    w = make_full_window(qtbot)
    errors = _record_errors(monkeypatch)
    triggered: dict[str, int] = {}
    try:
        assert w.open_project(root)
        for mode in w.modes:
            if w.project is None:
                assert w.open_project(root)
            _enter(w, qtbot, mode)
            triggered[mode] = trigger_all(w, qtbot, errors)
    finally:
        w.worker.cancel_all()
        close_full_window(w)
    assert not errors, [repr(e[1]) for e in errors]
    assert set(triggered) == {"annotate", "review", "cutout", "video", "train"}
    if which == "sample":  # the review and video actions were enabled and triggered too
        assert triggered["review"] > triggered["annotate"] + 10 and triggered["video"] > triggered["annotate"] + 10
    assert min(triggered.values()) > 50


def test_every_action_without_a_project(qtbot, monkeypatch):
    w = make_full_window(qtbot)
    errors = _record_errors(monkeypatch)
    try:
        assert trigger_all(w, qtbot, errors) >= 5
    finally:
        close_full_window(w)


def test_quit_closes_the_window(qtbot, sample_dir):
    w = make_full_window(qtbot)
    assert w.open_project(sample_dir)
    w.actions["quit"].trigger()
    assert not w.isVisible() and w.project is None
