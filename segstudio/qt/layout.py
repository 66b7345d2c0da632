"""Builds the main window's docks and toolbars (composition only; behaviour lives elsewhere)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QSpinBox, QToolBar, QWidget

from segstudio.qt.docks.categories import CategoryPanel
from segstudio.qt.docks.display import DisplayPanel
from segstudio.qt.docks.image_list import ImageListPanel
from segstudio.qt.docks.instances import InstancePanel
from segstudio.qt.docks.properties import PropertiesPanel

if TYPE_CHECKING:
    from segstudio.qt.main_window import MainWindow

LEFT, RIGHT = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea


def build_docks(w: MainWindow) -> None:
    w.images_panel = ImageListPanel()
    w.categories_panel = CategoryPanel()
    w.instances_panel = InstancePanel()
    w.properties_panel = PropertiesPanel()
    w.display_panel = DisplayPanel()
    w.add_dock(w.images_panel, "Images", LEFT, "dock_images")
    w.add_dock(w.categories_panel, "Categories", RIGHT, "dock_categories")
    w.add_dock(w.instances_panel, "Instances", RIGHT, "dock_instances")
    w.add_dock(w.properties_panel, "Properties", RIGHT, "dock_properties")
    display = w.add_dock(w.display_panel, "Display", LEFT, "dock_display")
    w.resizeDocks([w.docks["dock_images"]], [260], Qt.Orientation.Horizontal)
    w.resizeDocks([w.docks["dock_categories"]], [320], Qt.Orientation.Horizontal)
    w.resizeDocks([w.docks["dock_images"], display], [600, 260], Qt.Orientation.Vertical)


def build_toolbars(w: MainWindow) -> None:
    a = w.actions
    tools = QToolBar("Tools")
    tools.setObjectName("toolbar_tools")
    tools.setOrientation(Qt.Orientation.Vertical)
    tools.setIconSize(QSize(22, 22))
    tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    for key in a:
        if key.startswith("tool_"):
            act = a[key]
            act.setToolTip(f"{act.text().replace('&', '')} ({act.shortcut().toString()})")
            tools.addAction(act)
    w.addToolBar(Qt.ToolBarArea.LeftToolBarArea, tools)
    w.main_toolbar = main = QToolBar("Main")
    main.setObjectName("toolbar_main")
    main.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    a["accept_proposal"].setIconText("Accept")
    a["discard_proposal"].setIconText("Discard")
    for key in ("prev_image", "next_image", None, "undo", "redo", None, "fit", "toggle_overlay", None, "accept_proposal", "discard_proposal"):
        if key is None:
            main.addSeparator()
        else:
            main.addAction(a[key])
    w.addToolBar(Qt.ToolBarArea.TopToolBarArea, main)
    opts = QToolBar("Tool options")
    opts.setObjectName("toolbar_options")
    opts.addWidget(_label("Target"))
    a["target_new"].setText("New instance")
    a["target_selected"].setText("Edit selected")
    opts.addAction(a["target_new"])
    opts.addAction(a["target_selected"])
    w.operation_combo = QComboBox(toolTip="How a shape combines with the selected instance")
    for text, key in (("Add", "add"), ("Subtract", "subtract"), ("Intersect", "intersect")):
        w.operation_combo.addItem(text, key)
    opts.addWidget(w.operation_combo)
    opts.addSeparator()
    a["exclusive"].setText("Exclusive")
    opts.addAction(a["exclusive"])
    opts.addSeparator()
    opts.addWidget(_label("Brush"))
    w.brush_spin = QSpinBox(suffix=" px", minimum=1, maximum=1000, value=15, toolTip="Brush diameter ([ and ], Ctrl+wheel)")
    opts.addWidget(w.brush_spin)
    opts.addWidget(_label("Tolerance"))
    w.tolerance_spin = QSpinBox(minimum=0, maximum=65535, value=16, toolTip="Magic wand colour tolerance")
    opts.addWidget(w.tolerance_spin)
    w.addToolBar(Qt.ToolBarArea.TopToolBarArea, opts)
    for n in range(1, 10):
        act = QAction(f"Category {n}", w)
        act.setObjectName(f"pick_category_{n}")  # listed once as "1 - 9" in the shortcuts dialog
        act.setShortcut(QKeySequence(str(n)))
        act.triggered.connect(lambda _c=False, k=n: w.categories_panel.pick_index(k))
        w.addAction(act)


def _label(text: str) -> QWidget:
    lab = QLabel(f"  {text} ")
    lab.setStyleSheet("color: palette(mid);")
    return lab
