"""Window layout and preferences: restored at start, saved on close (QSettings)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QGuiApplication

from segstudio.qt import settings as prefs

if TYPE_CHECKING:
    from segstudio.qt.main_window import MainWindow


def restore(w: MainWindow) -> None:
    s, o = w.settings, w.controller.options
    geom = s.value("geometry")
    w.geometry_restored = geom is not None and w.restoreGeometry(geom)
    w.display_panel.set_overlay(
        prefs.value(s, "overlay/opacity", 0.45, float), str(s.value("overlay/mode", "both")), prefs.value(s, "overlay/visible", True, bool)
    )
    w.canvas.set_overlay_style(opacity=w.display_panel.opacity.value() / 100, mode=w.display_panel.mode.currentData(), visible=w.display_panel.visible.isChecked())
    w.actions["toggle_overlay"].setChecked(w.display_panel.visible.isChecked())
    o.brush_size = prefs.value(s, "tools/brush_size", 15, int)
    o.tolerance = prefs.value(s, "tools/tolerance", 16, int)
    o.exclusive = prefs.value(s, "tools/exclusive", False, bool)
    o.target = "selected" if str(s.value("tools/target", "new")) == "selected" else "new"
    w.show_tool_options()
    w.set_tool(str(s.value("tool", "brush")) if str(s.value("tool", "brush")) in w.tools else "brush")

def fit_to_screen(w: MainWindow, preferred: tuple[int, int] = (1600, 1000)) -> None:
    """A first start gets `preferred` or 92 % of the screen, whichever is smaller, centred; a
    restored geometry saved on a bigger monitor is shrunk and moved back onto this screen."""
    screen = w.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return
    avail = screen.availableGeometry()
    if not w.geometry_restored:
        width, height = min(preferred[0], int(avail.width() * 0.92)), min(preferred[1], int(avail.height() * 0.92))
        w.resize(max(width, w.minimumSizeHint().width()), max(height, w.minimumSizeHint().height()))
        w.move(avail.center() - w.rect().center())
        return
    frame = w.frameGeometry()
    if not avail.contains(frame):
        width, height = min(w.width(), avail.width()), min(w.height(), avail.height())
        w.resize(width, height)
        x = min(max(frame.x(), avail.x()), avail.right() - w.frameGeometry().width() + 1)
        y = min(max(frame.y(), avail.y()), avail.bottom() - w.frameGeometry().height() + 1)
        w.move(max(x, avail.x()), max(y, avail.y()))


def save(w: MainWindow) -> None:
    s, o = w.settings, w.controller.options
    s.setValue("geometry", w.saveGeometry())
    w.modes.save(s)
    s.setValue("overlay/opacity", w.canvas.opacity)
    s.setValue("overlay/mode", w.canvas.mode)
    s.setValue("overlay/visible", w.canvas.overlay_visible)
    s.setValue("tools/brush_size", o.brush_size)
    s.setValue("tools/tolerance", o.tolerance)
    s.setValue("tools/exclusive", o.exclusive)
    s.setValue("tools/target", o.target)
    s.sync()
