"""Builds the main window's docks and toolbars (composition only; behaviour lives elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QLabel,
    QMenu,
    QScrollArea,
    QSpinBox,
    QToolBar,
    QWidget,
)

from segstudio.qt.docks.categories import CategoryPanel
from segstudio.qt.docks.display import DisplayPanel
from segstudio.qt.docks.image_list import ImageListPanel
from segstudio.qt.docks.instances import InstancePanel
from segstudio.qt.docks.properties import PropertiesPanel

if TYPE_CHECKING:
    from segstudio.qt.main_window import MainWindow

LEFT, RIGHT = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
MAX_PANEL_MIN_WIDTH = 280  # wider panels scroll sideways rather than widen the window


ALL_MODES = ("annotate", "review", "cutout", "video", "train")


@dataclass
class CorePanels:
    images: ImageListPanel
    categories: CategoryPanel
    instances: InstancePanel
    properties: PropertiesPanel
    display: DisplayPanel


@dataclass
class Toolbars:
    tools: QToolBar
    main: QToolBar
    operation_combo: QComboBox
    brush_spin: QSpinBox
    tolerance_spin: QSpinBox


def build_docks(w: MainWindow) -> CorePanels:
    """The core panels, docked in the task modes they show in ({mode: place}, see
    segstudio.qt.modes)."""
    p = CorePanels(ImageListPanel(), CategoryPanel(), InstancePanel(), PropertiesPanel(), DisplayPanel())
    w.add_dock(p.images, "Images", LEFT, "dock_images", modes=dict.fromkeys(ALL_MODES, "left"))
    w.add_dock(p.categories, "Categories", RIGHT, "dock_categories",
               modes={"annotate": "right", "video": "right", "train": "right", "review": "right-lower"})
    w.add_dock(p.instances, "Instances", RIGHT, "dock_instances",
               modes={"annotate": "right-lower", "video": "right-lower", "review": "right-lower",
                      "cutout": "right", "train": "right"})
    w.add_dock(p.properties, "Properties", RIGHT, "dock_properties",
               modes={"annotate": "right-lower", "video": "right-lower"})
    w.add_dock(p.display, "Display", RIGHT, "dock_display",
               modes={"annotate": "right", "video": "right", "cutout": "right"})
    return p


def build_view_menu(w: MainWindow) -> tuple[QMenu, QWidget]:
    """View > Task Mode, Reset Layout, Panels; the mode bar in the menu bar's corner.  Returns
    the Panels menu and the mode bar (the window keeps both: PySide6 does not hand the corner
    widget's ownership to the menu bar)."""
    view = w.menu("View")
    view.addSeparator()
    modes = view.addMenu("Task &Mode")
    for act in w.modes.actions.values():
        modes.addAction(act)
    view.addAction(w.modes.reset_action)
    panels = view.addMenu("&Panels")
    switcher = w.modes.switcher()
    w.menuBar().setCornerWidget(switcher, Qt.Corner.TopRightCorner)
    return panels, switcher


def scrollable(panel: QWidget) -> QScrollArea:
    """`panel` in a frameless scroll area: a dock is then as small as the window needs, and the
    panel scrolls instead of pushing the window's minimum size past the screen."""
    area = QScrollArea()
    area.setObjectName(f"scroll_{panel.objectName() or type(panel).__name__}")
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(panel)
    area.setMinimumWidth(min(panel.minimumSizeHint().width() + 4, MAX_PANEL_MIN_WIDTH))
    return area


def build_toolbars(w: MainWindow) -> Toolbars:
    """The tool strip, the main toolbar and the tool options bar."""
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
    main = QToolBar("Main")
    main.setObjectName("toolbar_main")
    main.setIconSize(QSize(20, 20))
    # Icons only: buttons never move when a label changes ("Undo Accept proposal" is the tooltip).
    main.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    a["accept_proposal"].setIconText("Accept")
    a["discard_proposal"].setIconText("Discard")
    for key in ("prev_image", "next_image", None, "undo", "redo", None, "fit", "toggle_overlay", None, "accept_proposal", "discard_proposal"):
        if key is None:
            main.addSeparator()
        else:
            main.addAction(a[key])
    for key in ("accept_proposal", "discard_proposal"):  # the two answers to a proposal keep their words
        button = main.widgetForAction(a[key])
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    w.addToolBar(Qt.ToolBarArea.TopToolBarArea, main)
    opts = QToolBar("Tool options")
    opts.setObjectName("toolbar_options")
    opts.addWidget(_label("Target"))
    a["target_new"].setText("New instance")
    a["target_selected"].setText("Edit selected")
    opts.addAction(a["target_new"])
    opts.addAction(a["target_selected"])
    operation_combo = QComboBox(toolTip="How a shape combines with the selected instance")
    for text, key in (("Add", "add"), ("Subtract", "subtract"), ("Intersect", "intersect")):
        operation_combo.addItem(text, key)
    opts.addWidget(operation_combo)
    a["exclusive"].setText("Exclusive")
    a["exclusive"].setToolTip("Exclusive painting (X): a stroke also removes its pixels from every other instance")
    opts.addAction(a["exclusive"])
    opts.addSeparator()
    opts.addWidget(_label("Brush"))
    brush_spin = QSpinBox(suffix=" px", minimum=1, maximum=1000, value=15, toolTip="Brush diameter ([ and ], Ctrl+wheel)")
    opts.addWidget(brush_spin)
    opts.addWidget(_label("Tolerance"))
    tolerance_spin = QSpinBox(minimum=0, maximum=65535, value=16, toolTip="Magic wand colour tolerance")
    opts.addWidget(tolerance_spin)
    w.addToolBar(Qt.ToolBarArea.TopToolBarArea, opts)
    for n in range(1, 10):
        act = QAction(f"Category {n}", w)
        act.setObjectName(f"pick_category_{n}")  # listed once as "1 - 9" in the shortcuts dialog
        act.setShortcut(QKeySequence(str(n)))
        act.triggered.connect(lambda _c=False, k=n: w.categories_panel.pick_index(k))
        w.addAction(act)
    return Toolbars(tools, main, operation_combo, brush_spin, tolerance_spin)


def _label(text: str) -> QWidget:
    lab = QLabel(f" {text} ")
    lab.setStyleSheet("color: palette(mid);")
    return lab
