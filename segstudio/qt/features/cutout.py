"""Background Removal feature: menu, dock and the refine-edge brush (see segstudio.qt.cutout)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from segstudio.qt import file_dialogs
from segstudio.qt.actions import feature_action
from segstudio.qt.cutout.batch_dialog import BatchDialog
from segstudio.qt.cutout.controller import CutoutController
from segstudio.qt.cutout.panel import CutoutPanel

MENU = "Background Removal"


def install(window) -> None:
    panel = CutoutPanel()
    dock = window.add_dock(panel, "Background Removal", Qt.DockWidgetArea.RightDockWidgetArea, "dock_cutout",
                           modes={"cutout": "right"})
    controller = CutoutController(window, panel)
    menu = window.menu(MENU)

    def show_panel() -> None:
        window.show_dock(dock)

    def select_subject() -> None:
        show_panel()
        controller.select_subject()

    def export() -> None:
        show_panel()
        settings = panel.settings()
        rec = window.current_image()
        stem = rec.name.rsplit(".", 1)[0] if rec is not None else "cutout"
        path = file_dialogs.save_file(window, "cutout_export", "Export cutout", f"{stem}_cutout.{settings.format}",
                                       "PNG (*.png);;WebP (*.webp)")
        if path:
            controller.export_to(path)

    def batch() -> None:
        show_panel()
        BatchDialog(controller, window).open()

    def refine_brush(on: bool) -> None:
        if on:
            show_panel()
        controller.set_refine_brush(on)

    entries = [
        ("cutout_select", "&Select Subject", "Ctrl+Shift+S", select_subject, False),
        ("cutout_refine", "&Refine Edge Brush", "Ctrl+Shift+E", None, True),
        ("cutout_before_after", "Show Cutout &Before / After", "\\", controller.toggle_before_after, True),
        ("cutout_export", "&Export Cutout…", "Ctrl+E", export, False),
        ("cutout_batch", "&Batch Export…", "", batch, False),
        ("cutout_panel", "Background Removal &Panel", "", show_panel, False),
    ]
    actions: dict[str, QAction] = {}
    for key, text, shortcut, slot, checkable in entries:
        actions[key] = feature_action(window, key, text, [shortcut], slot, menu=menu, checkable=checkable)
    refine = actions["cutout_refine"]
    refine.toggled.connect(refine_brush)
    panel.refine_button.toggled.connect(lambda on: refine.setChecked(on) if refine.isChecked() != on else None)
    before_after = actions["cutout_before_after"]
    panel.preview_check.toggled.connect(lambda on: before_after.setChecked(on) if before_after.isChecked() != on else None)
    before_after.triggered.disconnect()
    before_after.triggered.connect(lambda on: panel.preview_check.setChecked(on))
    panel.export_button.clicked.connect(export)
    panel.batch_button.clicked.connect(batch)
    controller.actions = actions
    controller.dock = dock
