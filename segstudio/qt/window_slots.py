"""What each main-window action does (the action table lives in actions.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QInputDialog, QMenu, QMessageBox

from segstudio.core.tools import BUILTIN_TOOLS
from segstudio.qt import file_dialogs
from segstudio.qt import settings as prefs
from segstudio.store import Project
from segstudio.store.location import is_database_url

if TYPE_CHECKING:
    from segstudio.qt.main_window import MainWindow


def slots(w: MainWindow) -> dict[str, Callable[..., object]]:
    c = w.controller
    return {
        "open_folder": lambda: ask_open_folder(w),
        "open_project": lambda: ask_open_project(w),
        "open_sample": lambda: open_sample(w),
        "close_project": w.close_project,
        "quit": w.close,
        "undo": w.undo,
        "redo": w.redo,
        "accept_proposal": c.accept_proposal,
        "discard_proposal": c.discard_proposal,
        "delete": w.delete_selected,
        "select_all": lambda: w.select_instances(list(doc.order) if (doc := w.current_document()) else []),
        "deselect": lambda: w.select_instances([]),
        "target_new": lambda on: on and setattr(c.options, "target", "new"),
        "target_selected": lambda on: on and setattr(c.options, "target", "selected"),
        "exclusive": lambda on: setattr(c.options, "exclusive", bool(on)),
        "fill_holes": c.fill_holes,
        "remove_islands": lambda: ask_remove_islands(w),
        "smooth": lambda: ask_smooth(w),
        "split": c.split,
        "merge": c.merge,
        "duplicate": c.duplicate,
        "raise": lambda: c.reorder("up"),
        "lower": lambda: c.reorder("down"),
        "fit": w.canvas.fit,
        "actual_size": w.canvas.actual_size,
        "zoom_in": w.canvas.zoom_in,
        "zoom_out": w.canvas.zoom_out,
        "toggle_overlay": lambda on: w.display_panel.visible.setChecked(bool(on)),
        "cycle_overlay": lambda: cycle_overlay(w),
        "brush_smaller": lambda: grow_brush(w, -1),
        "brush_larger": lambda: grow_brush(w, 1),
        "next_image": lambda: w.step_image(1),
        "prev_image": lambda: w.step_image(-1),
        "mark_done": lambda: (w.set_image_status("done"), w.step_image(1)),
        "mark_in_progress": lambda: w.set_image_status("in_progress"),
        "mark_review": lambda: w.set_image_status("in_review"),
        "shortcuts": w.show_shortcuts,
        "about": lambda: QMessageBox.about(w, "About SegStudio", "SegStudio — pixel-accurate image segmentation.\nApache-2.0"),
        **{f"tool_{name}": (lambda on, n=name: on and w.set_tool(n)) for name in (cls.name for cls in BUILTIN_TOOLS)},
    }


def ask_open_folder(w: MainWindow) -> None:
    path = file_dialogs.choose_folder(w, "project", "Open a folder of images")
    if path:
        w.open_folder(path)


def ask_open_project(w: MainWindow) -> None:
    path = file_dialogs.choose_folder(w, "project", "Open a SegStudio project folder")
    if path:
        w.open_project(path) if Project.is_project(path) else w.open_folder(path)


def open_sample(w: MainWindow) -> None:
    from segstudio.store.sample import ensure_sample_project

    w.open_project(ensure_sample_project())


def ask_remove_islands(w: MainWindow) -> None:
    n, ok = QInputDialog.getInt(w, "Remove islands", "Remove parts smaller than (pixels):", 50, 1, 10**9)
    if ok:
        w.controller.remove_islands(n)


def ask_smooth(w: MainWindow) -> None:
    n, ok = QInputDialog.getInt(w, "Smooth edges", "Radius (pixels):", 2, 1, 50)
    if ok:
        w.controller.smooth(n)


def build_recent_menu(w: MainWindow) -> None:
    menu = QMenu("Open &Recent", w)
    menu.aboutToShow.connect(lambda: fill_recent_menu(w, menu))
    file_menu = w.menu("File")
    file_menu.insertMenu(w.actions["open_sample"], menu)


def fill_recent_menu(w: MainWindow, menu: QMenu) -> None:
    menu.clear()
    for path in prefs.recent_projects(w.settings):
        act = menu.addAction(path)
        act.setEnabled(is_database_url(path) or Path(path).exists())
        act.triggered.connect(lambda _c=False, p=path: w.open_project(p))
    if menu.isEmpty():
        menu.addAction("No recent projects").setEnabled(False)


def cycle_overlay(w: MainWindow) -> None:
    combo = w.display_panel.mode
    combo.setCurrentIndex((combo.currentIndex() + 1) % combo.count())


def grow_brush(w: MainWindow, steps: int) -> None:
    tool = w.canvas.tool
    if hasattr(tool, "grow"):
        tool.grow(steps)  # type: ignore[union-attr]
    else:
        w.controller.options.brush_size = max(1, w.controller.options.brush_size + steps * 2)
