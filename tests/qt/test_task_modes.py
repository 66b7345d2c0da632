"""Task modes and the window layout: each mode shows its own panels, the window fits a laptop
screen in every mode with any panels open, Reset Layout, per-mode layouts that persist, and
floating panels that never follow a person into another project."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel

from segstudio.qt.modes import MODES

from .conftest import close_full_window, make_full_window

MAX_W, MAX_H = 1280, 720


def _settle(n: int = 3) -> None:
    for _ in range(n):
        QApplication.processEvents()


def _min_size(w) -> tuple[int, int]:
    _settle()
    s = w.minimumSizeHint().expandedTo(w.minimumSize())
    return s.width(), s.height()


def _visible_docks(w) -> set[str]:
    return {n for n, d in w.docks.items() if d.isVisible()}


def _in_front(dock: QDockWidget) -> bool:
    """Shown and not behind another tab."""
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


@pytest.mark.parametrize("mode", [m.key for m in MODES])
def test_each_mode_shows_its_own_panels_and_fits(full_window, mode):
    w = full_window
    w.modes.activate(mode)
    _settle()
    own = {d.objectName() for d in w.modes.docks_of(mode)}
    assert _visible_docks(w) == own
    for name in next(m for m in MODES if m.key == mode).front:
        assert _in_front(w.docks[name]), name
    assert _min_size(w) <= (MAX_W, MAX_H) and all(v <= lim for v, lim in zip(_min_size(w), (MAX_W, MAX_H)))
    # at 1366x768 every panel of the mode lies inside the window, in front or behind a tab of it
    win = w.rect()
    for name in own:
        dock = w.docks[name]
        shown = dock if _in_front(dock) else next(d for d in w.tabifiedDockWidgets(dock) if _in_front(d))
        top_left = shown.mapTo(w, QPoint(0, 0))
        assert win.contains(top_left) and win.contains(top_left + QPoint(shown.width() - 1, shown.height() - 1)), name


def test_every_panel_open_at_once_still_fits(full_window):
    w = full_window
    for mode in w.modes:
        w.modes.activate(mode)
        for dock in w.docks.values():  # any combination: all of them, from View > Panels
            if not dock.isVisible():
                dock.toggleViewAction().trigger()
            assert dock.isVisible()
        width, height = _min_size(w)
        assert width <= MAX_W and height <= MAX_H, (mode, width, height)


def test_modes_differ_and_the_switcher_follows(full_window, qtbot):
    w = full_window
    seen = {}
    for m in MODES:
        w.modes.actions[m.key].trigger()  # as a click on the mode bar or Alt+N
        assert w.modes.current == m.key and w.modes.actions[m.key].isChecked()
        seen[m.key] = frozenset(_visible_docks(w))
    assert len(set(seen.values())) == len(MODES)  # five different sets of panels
    assert "dock_cutout" in seen["cutout"] and "dock_cutout" not in seen["annotate"]
    assert "dock_review" in seen["review"] and "dock_video_timeline" in seen["video"]
    assert "dock_training" in seen["train"] and "dock_scribble" in seen["train"]
    bar = w.menuBar().cornerWidget(Qt.Corner.TopRightCorner)
    assert bar is not None and bar.isVisible() and len(bar.findChildren(QObject)) >= len(MODES)


def test_right_hand_panels_are_tabbed(full_window):
    w = full_window
    w.modes.activate("annotate")
    _settle()
    assert w.tabifiedDockWidgets(w.docks["dock_instances"])  # shares its place with other panels
    right = [d for d in w.docks.values() if d.isVisible() and w.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea]
    in_front = [d for d in right if _in_front(d)]
    assert len(right) >= 4 and len(in_front) == 2  # two tab groups, one panel in front of each


def test_a_feature_action_enters_the_mode_of_its_panel(full_window):
    w = full_window
    w.modes.activate("annotate")
    w.findChild(QObject, "review_feature").actions["review_mode"].trigger()
    assert w.modes.current == "review" and _in_front(w.docks["dock_review"])
    w.features.training.actions["train_model"].trigger()
    assert w.modes.current == "train" and _in_front(w.docks["dock_training"])


def test_a_video_enters_video_mode_and_an_image_goes_back(full_window):
    w = full_window
    w.modes.activate("annotate")
    video = next(r for r in w.project.images() if r.kind != "image")
    image = next(r for r in w.project.images() if r.kind == "image")
    w.go_to_image(video.id)
    assert w.modes.current == "video" and w.docks["dock_video_timeline"].isVisible()
    w.go_to_image(image.id)
    assert w.modes.current == "annotate"
    w.modes.activate("review")
    w.go_to_image(video.id)
    assert w.modes.current == "review"  # other modes are left alone


def test_reset_layout_puts_panels_back(full_window):
    w = full_window
    w.modes.activate("annotate")
    _settle()
    default = {n: w.dockWidgetArea(d) for n, d in w.docks.items() if d.isVisible()}
    w.docks["dock_categories"].hide()
    w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, w.docks["dock_instances"])
    w.docks["dock_properties"].setFloating(True)
    w.modes.reset_action.trigger()
    _settle()
    assert {n: w.dockWidgetArea(d) for n, d in w.docks.items() if d.isVisible()} == default
    assert not any(d.isFloating() for d in w.docks.values())


def test_layout_of_each_mode_persists_and_restores(qtbot, sample_dir):
    w = make_full_window(qtbot)
    assert w.open_project(sample_dir)
    w.modes.activate("review")
    w.docks["dock_review_dashboard"].hide()  # closed by the person in Review only
    w.modes.activate("cutout")
    close_full_window(w)
    w2 = make_full_window(qtbot)
    try:
        assert w2.modes.current == "cutout" and w2.docks["dock_cutout"].isVisible()
        w2.modes.activate("review")
        assert w2.docks["dock_review"].isVisible() and not w2.docks["dock_review_dashboard"].isVisible()
        w2.modes.activate("annotate")
        assert w2.docks["dock_categories"].isVisible()
    finally:
        close_full_window(w2)


def test_floating_panels_never_follow_into_another_project(qtbot, sample_dir, project_dir):
    w = make_full_window(qtbot)
    try:
        assert w.open_project(sample_dir)
        w.docks["dock_instances"].setFloating(True)
        w.docks["dock_instances"].move(-3000, -3000)  # e.g. on a monitor that is gone
        assert w.open_project(project_dir)
        assert not w.docks["dock_instances"].isFloating()
        w.docks["dock_categories"].setFloating(True)
        close_full_window(w)
        w = make_full_window(qtbot)  # and never into the next start
        assert not any(d.isFloating() for d in w.docks.values())
    finally:
        close_full_window(w)


def test_adding_a_panel_to_a_mode_is_one_line(full_window):
    w = full_window
    w.modes.activate("video")
    dock = w.add_dock(QLabel("a later feature's panel"), "Later", object_name="dock_later", modes={"video": "right-lower", "review": "right"})
    _settle()
    assert dock.isVisible() and w.tabifiedDockWidgets(dock)
    w.modes.activate("annotate")
    assert not dock.isVisible()
    w.modes.activate("review")
    assert dock.isVisible()
    with pytest.raises(ValueError, match="unknown task mode"):
        w.add_dock(QLabel("x"), "Bad", object_name="dock_bad", modes={"painting": "left"})


def test_window_starts_within_a_laptop_screen(qtbot):
    from segstudio.qt.window_state import fit_to_screen

    w = make_full_window(qtbot)
    try:
        fit_to_screen(w)
        avail = w.screen().availableGeometry()  # the test screen may be smaller than a laptop's
        assert w.width() <= max(avail.width(), MAX_W) and w.height() <= max(avail.height(), MAX_H)
        assert w.width() <= 1600 and w.height() <= 1000
    finally:
        close_full_window(w)


def test_the_tool_strip_shows_the_active_tool_the_ai_tools_included(full_window):
    w = full_window
    w.modes.activate("annotate")
    ai = w.features.assist.actions["ai_click"]
    assert ai in w.tools_toolbar.actions() and not ai.icon().isNull()
    ai.trigger()
    assert ai.isChecked() and not w.actions["tool_brush"].isChecked()
    w.actions["tool_brush"].trigger()
    assert w.actions["tool_brush"].isChecked() and not ai.isChecked()
    w.features.assist.controller.activate_tool("ai_box")  # from the AI Assist panel, not the strip
    assert w.features.assist.actions["ai_box"].isChecked() and not w.actions["tool_brush"].isChecked()
    w.canvas.set_tool(None)  # a tool without a button: nothing stays checked
    assert w.tool_group.checkedAction() is None


def test_open_starts_in_the_mode_asked(full_window):
    """`segstudio open --mode MODE` (the real-window rounds use it); Video shows a video."""
    import argparse

    from segstudio.cli.commands import open as open_cmd
    from segstudio.qt.app import enter_mode

    parser = argparse.ArgumentParser()
    open_cmd.register(parser.add_subparsers())
    choices = next(a for a in parser._subparsers._group_actions[0].choices["open"]._actions if a.dest == "mode").choices
    assert tuple(choices) == tuple(m.key for m in MODES)  # the CLI cannot import Qt: kept equal here
    w = full_window
    enter_mode(w, "video")
    assert w.modes.current == "video" and w.current_image().kind != "image"
    enter_mode(w, "review")
    assert w.modes.current == "review"


def _clipped_labels(w) -> list[str]:
    from PySide6.QtWidgets import QLabel

    _settle()
    bad = []
    for lab in w.findChildren(QLabel):
        if not lab.isVisible() or not lab.text() or lab.visibleRegion().isEmpty():
            continue
        if lab.wordWrap():
            need, have = lab.heightForWidth(lab.width()), lab.height()
        else:
            need, have = lab.sizeHint().width(), lab.width()
        if need > have + 1:
            bad.append(f"{lab.text()[:60]!r}: needs {need}, has {have}")
    return bad


def test_no_label_is_cut_off_at_1366x768(qtbot, sample_dir):
    """The welcome tagline and the AI Assist description were clipped mid-sentence."""
    w = make_full_window(qtbot)
    try:
        assert _clipped_labels(w) == []  # the welcome view
        assert w.open_project(sample_dir)
        for mode in w.modes:
            w.modes.activate(mode)
            assert _clipped_labels(w) == [], mode
        w.docks["dock_assist"].raise_()
        assert _clipped_labels(w) == []
    finally:
        close_full_window(w)
