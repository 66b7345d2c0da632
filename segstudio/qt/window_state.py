"""Window layout and preferences: restored at start, saved on close (QSettings)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from segstudio.qt import settings as prefs

if TYPE_CHECKING:
    from segstudio.qt.main_window import MainWindow


def restore(w: MainWindow) -> None:
    s, o = w.settings, w.controller.options
    geom = s.value("geometry")
    if geom is not None:
        w.restoreGeometry(geom)
    state = s.value("window_state")
    if state is not None:
        w.restoreState(state)
    w.display_panel.set_overlay(
        prefs.value(s, "overlay/opacity", 0.45, float), str(s.value("overlay/mode", "both")), prefs.value(s, "overlay/visible", True, bool)
    )
    w.canvas.set_overlay_style(opacity=w.display_panel.opacity.value() / 100, mode=w.display_panel.mode.currentData(), visible=w.display_panel.visible.isChecked())
    w.actions["toggle_overlay"].setChecked(w.display_panel.visible.isChecked())
    o.brush_size = prefs.value(s, "tools/brush_size", 15, int)
    o.tolerance = prefs.value(s, "tools/tolerance", 16, int)
    w.brush_spin.setValue(o.brush_size)
    w.tolerance_spin.setValue(o.tolerance)
    w.actions["exclusive"].setChecked(prefs.value(s, "tools/exclusive", False, bool))
    target = str(s.value("tools/target", "new"))
    w.actions["target_selected" if target == "selected" else "target_new"].setChecked(True)
    w.set_tool(str(s.value("tool", "brush")) if str(s.value("tool", "brush")) in w.tools else "brush")

def save(w: MainWindow) -> None:
    s, o = w.settings, w.controller.options
    s.setValue("geometry", w.saveGeometry())
    s.setValue("window_state", w.saveState())
    s.setValue("overlay/opacity", w.canvas.opacity)
    s.setValue("overlay/mode", w.canvas.mode)
    s.setValue("overlay/visible", w.canvas.overlay_visible)
    s.setValue("tools/brush_size", o.brush_size)
    s.setValue("tools/tolerance", o.tolerance)
    s.setValue("tools/exclusive", o.exclusive)
    s.setValue("tools/target", o.target)
    s.sync()
