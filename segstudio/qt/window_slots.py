"""What each main-window action does (the action table lives in actions.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox

from segstudio.core.tools import BUILTIN_TOOLS

if TYPE_CHECKING:
    from segstudio.qt.main_window import MainWindow


def slots(w: MainWindow) -> dict[str, Callable[..., object]]:
    c = w.controller
    return {
        "open_folder": w._ask_open_folder,
        "open_project": w._ask_open_project,
        "open_sample": w._open_sample,
        "close_project": w.close_project,
        "quit": w.close,
        "undo": lambda: w._history is not None and w._history.undo(),
        "redo": lambda: w._history is not None and w._history.redo(),
        "accept_proposal": c.accept_proposal,
        "discard_proposal": c.discard_proposal,
        "delete": w._delete,
        "select_all": lambda: w.select_instances(list(w._document.order) if w._document else []),
        "deselect": lambda: w.select_instances([]),
        "target_new": lambda on: on and setattr(c.options, "target", "new"),
        "target_selected": lambda on: on and setattr(c.options, "target", "selected"),
        "exclusive": lambda on: setattr(c.options, "exclusive", bool(on)),
        "fill_holes": c.fill_holes,
        "remove_islands": w._ask_remove_islands,
        "smooth": w._ask_smooth,
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
        "cycle_overlay": w._cycle_overlay,
        "brush_smaller": lambda: w._grow_brush(-1),
        "brush_larger": lambda: w._grow_brush(1),
        "next_image": lambda: w.step_image(1),
        "prev_image": lambda: w.step_image(-1),
        "mark_done": lambda: (w.set_image_status("done"), w.step_image(1)),
        "mark_in_progress": lambda: w.set_image_status("in_progress"),
        "mark_review": lambda: w.set_image_status("in_review"),
        "shortcuts": w.show_shortcuts,
        "about": lambda: QMessageBox.about(w, "About SegStudio", "SegStudio — pixel-accurate image segmentation.\nApache-2.0"),
        **{f"tool_{name}": (lambda on, n=name: on and w.set_tool(n)) for name in (cls.name for cls in BUILTIN_TOOLS)},
    }
