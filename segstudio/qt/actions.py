"""Every QAction of the main window, its menu, shortcut and icon, in one table.

The table also feeds Help -> Shortcuts, so the dialog can never disagree with
the real key bindings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from segstudio.qt.icons import icon


@dataclass(frozen=True)
class Spec:
    key: str
    menu: str
    text: str
    shortcuts: tuple[str, ...] = ()
    icon: str | None = None
    checkable: bool = False


TOOL_KEYS = {
    "select": "V",
    "brush": "B",
    "eraser": "E",
    "polygon": "P",
    "rectangle": "R",
    "ellipse": "C",
    "lasso": "L",
    "wand": "W",
    "vertex": "T",
}

SPECS: tuple[Spec, ...] = (
    Spec("open_folder", "&File", "Open &Folder of Images…", ("Ctrl+Shift+O",)),
    Spec("open_project", "&File", "&Open Project…", ("Ctrl+O",)),
    Spec("open_sample", "&File", "Open &Sample Project"),
    Spec("close_project", "&File", "&Close Project", ("Ctrl+W",)),
    Spec("quit", "&File", "&Quit", ("Ctrl+Q",)),
    Spec("undo", "&Edit", "&Undo", ("Ctrl+Z",), "undo"),
    Spec("redo", "&Edit", "&Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "redo"),
    Spec("accept_proposal", "&Edit", "&Accept Proposal\tEnter", (), "accept"),
    Spec("discard_proposal", "&Edit", "&Discard Proposal\tEsc", (), "discard"),
    Spec("delete", "&Edit", "&Delete Selected Instances", ("Delete",)),
    Spec("select_all", "&Edit", "Select &All Instances", ("Ctrl+A",)),
    Spec("deselect", "&Edit", "Select &None", ("Ctrl+Shift+A",)),
    Spec("target_new", "&Edit", "Tools Create a &New Instance", ("N",), None, True),
    Spec("target_selected", "&Edit", "Tools &Edit the Selected Instance", ("M",), None, True),
    Spec("exclusive", "&Edit", "E&xclusive Painting (no overlaps)", ("X",), None, True),
    Spec("fill_holes", "&Edit", "Fill &Holes", ("Ctrl+Shift+H",)),
    Spec("remove_islands", "&Edit", "Remove &Islands…", ("Ctrl+Shift+I",)),
    Spec("smooth", "&Edit", "S&mooth Edges…", ("Ctrl+Shift+M",)),
    Spec("split", "&Edit", "S&plit into Connected Parts", ("Ctrl+Shift+P",)),
    Spec("merge", "&Edit", "&Merge Selected Instances", ("Ctrl+M",)),
    Spec("duplicate", "&Edit", "D&uplicate", ("Ctrl+D",)),
    Spec("raise", "&Edit", "Bring &Forward", ("Ctrl+]",)),
    Spec("lower", "&Edit", "Send &Backward", ("Ctrl+[",)),
    Spec("fit", "&View", "&Fit Image", ("F",), "fit"),
    Spec("actual_size", "&View", "&Actual Pixels (1:1)", ("Ctrl+1",)),
    Spec("zoom_in", "&View", "Zoom &In", ("Ctrl+=", "Ctrl++")),
    Spec("zoom_out", "&View", "Zoom &Out", ("Ctrl+-",)),
    Spec("toggle_overlay", "&View", "Show &Overlay", ("H",), "overlay", True),
    Spec("cycle_overlay", "&View", "Cycle Overlay &Style (fill / outline / both)", ("Shift+H",)),
    Spec("brush_smaller", "&View", "Brush S&maller", ("[",)),
    Spec("brush_larger", "&View", "Brush &Larger", ("]",)),
    Spec("next_image", "&Image", "&Next Image", ("D", "PgDown"), "next"),
    Spec("prev_image", "&Image", "&Previous Image", ("A", "PgUp"), "prev"),
    Spec("mark_done", "&Image", "Mark &Done and Next", ("Ctrl+Return",)),
    Spec("mark_in_progress", "&Image", "Mark &In Progress"),
    Spec("mark_review", "&Image", "Mark In &Review"),
    Spec("shortcuts", "&Help", "&Keyboard Shortcuts", ("F1", "Ctrl+/")),
    Spec("about", "&Help", "&About SegStudio"),
) + tuple(
    Spec(f"tool_{name}", "&Tools", label, (key,), name, True)
    for name, label, key in (
        ("select", "&Select", TOOL_KEYS["select"]),
        ("brush", "&Brush", TOOL_KEYS["brush"]),
        ("eraser", "&Eraser", TOOL_KEYS["eraser"]),
        ("polygon", "&Polygon", TOOL_KEYS["polygon"]),
        ("rectangle", "&Rectangle", TOOL_KEYS["rectangle"]),
        ("ellipse", "Elli&pse", TOOL_KEYS["ellipse"]),
        ("lasso", "&Lasso", TOOL_KEYS["lasso"]),
        ("wand", "Magic &Wand / Fill", TOOL_KEYS["wand"]),
        ("vertex", "Edit &Vertices", TOOL_KEYS["vertex"]),
    )
)

# Bindings handled by the canvas itself (not QActions), listed in the shortcuts dialog.
CANVAS_BINDINGS = (
    ("Enter", "Accept the proposal (or close the polygon being drawn)"),
    ("Esc", "Discard the proposal / cancel the gesture in flight"),
    ("1 – 9", "Pick category 1 to 9"),
    ("Mouse wheel", "Zoom to the cursor"),
    ("Middle drag, Space + drag", "Pan"),
    ("Ctrl + wheel", "Brush size"),
    ("Right drag (brush)", "Erase with the brush"),
    ("Alt + shape", "Subtract the shape (cut holes)"),
    ("Shift + drag (rectangle, ellipse)", "Square / circle"),
    ("Shift + click (vertices)", "Insert a vertex on the edge"),
    ("Alt + click (vertices)", "Delete a vertex"),
    ("Backspace (polygon)", "Remove the last vertex"),
    ("Ctrl/Shift + click (select)", "Add to / remove from the selection"),
    ("Shift + click (wand)", "Every similar pixel, not only connected ones"),
)


def build_actions(window: QMainWindow, slots: dict[str, Callable[..., object]]
                  ) -> tuple[dict[str, QAction], QActionGroup]:
    """Create the actions, put them in their menus, connect `slots[key]` when present; returns
    them and the group of the tool actions (features add their canvas tools to it)."""
    actions: dict[str, QAction] = {}
    for spec in SPECS:
        act = QAction(spec.text, window)
        if spec.shortcuts:
            act.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
        if spec.icon:
            act.setIcon(icon(spec.icon))
        act.setCheckable(spec.checkable)
        act.setProperty("label", spec.text.split("\t")[0])  # the text may change (Undo <step>)
        slot = slots.get(spec.key)
        if slot is not None:
            if spec.checkable:
                act.toggled.connect(slot)
            else:
                act.triggered.connect(lambda _checked=False, s=slot: s())
        window.menu(spec.menu.replace("&", "")).addAction(act)
        window.addAction(act)  # shortcuts work while the menu bar is hidden or docks have focus
        actions[spec.key] = act
    tools = QActionGroup(window)
    # Optional: a tool without a button (refine-edge brush, scribbles) leaves none checked.
    tools.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
    for key, act in actions.items():
        if key.startswith("tool_"):
            act.setProperty("tool_name", key.removeprefix("tool_"))
            tools.addAction(act)
    targets = QActionGroup(window)
    targets.addAction(actions["target_new"])
    targets.addAction(actions["target_selected"])
    return actions, tools


def feature_action(window: QMainWindow, key: str, text: str, shortcuts: Iterable[str] = (),
                   slot: Callable[[], object] | None = None, *, menu: QMenu | None = None,
                   checkable: bool = False) -> QAction:
    """One action of a feature: named `key` (shortcut listings and tests find it), in `menu`,
    its keys working wherever the focus is in the window; `slot` runs when it is triggered
    (never with Qt's `checked` flag as an argument)."""
    act = QAction(text, window)
    act.setObjectName(key)
    act.setShortcuts([QKeySequence(k) for k in shortcuts if k])
    act.setCheckable(checkable)
    if slot is not None:
        act.triggered.connect(lambda _checked=False, s=slot: s())
    if menu is not None:
        menu.addAction(act)
    window.addAction(act)
    return act


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str, str]]:
    """(keys, action, menu) for every action with keys in the window, features' included, in
    menu-bar order, then the canvas's own bindings: the dialog cannot drift from the bindings."""
    from PySide6.QtWidgets import QMenu

    from segstudio.qt.shortcuts import window_actions

    order = {a.text().replace("&", ""): k for k, a in enumerate(window.menuBar().actions())}
    rows = []
    for act in window_actions(window):
        if act.objectName().startswith("pick_category_"):
            continue
        menus = [m for m in act.associatedObjects() if isinstance(m, QMenu)]
        top = menus[0] if menus else None
        while top is not None and isinstance(top.parentWidget(), QMenu):
            top = top.parentWidget()
        where = top.title().replace("&", "") if top is not None else "Window"
        keys = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in act.shortcuts())
        rows.append((order.get(where, len(order)), keys, act.text().split("\t")[0].replace("&", "").rstrip("…"), where))
    rows.sort(key=lambda r: r[0])  # stable: menu order, then creation order within a menu
    return [r[1:] for r in rows] + [(k, t, "Canvas") for k, t in CANVAS_BINDINGS]
