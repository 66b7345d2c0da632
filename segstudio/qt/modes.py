"""Task modes: Annotate, Review, Background removal, Video, Train.  Each shows its own panels.

A panel (a QDockWidget) belongs to one or more modes, each with a *place*:

  left          the column left of the canvas (tabbed when several)
  right         the upper tab group right of the canvas
  right-lower   the lower tab group right of the canvas
  bottom        below the canvas (tabbed when several)

Adding a panel to a mode is one line, in a feature's install():

    window.add_dock(panel, "Tracks", modes={"video": "right-lower"})

Switching mode stores the layout of the mode left (positions, sizes, tabs, which panels the
person closed or opened from View) and restores the layout of the mode entered, or builds its
default arrangement; "Reset Layout" rebuilds the default of the current mode.  Panels of other
modes are hidden.  Layouts persist per mode in the settings; floating panels never outlive the
project they were floated in (see `dock_floating_panels`).  Why modes: see
docs/decisions/gui-task-modes.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QScrollArea, QStyle, QToolButton, QWidget

if TYPE_CHECKING:
    from segstudio.qt.main_window import MainWindow

LAYOUT_VERSION = 2  # saveState/restoreState version: layouts saved before task modes are ignored
PLACES = ("left", "right", "right-lower", "bottom")
_AREA = {
    "left": Qt.DockWidgetArea.LeftDockWidgetArea,
    "right": Qt.DockWidgetArea.RightDockWidgetArea,
    "right-lower": Qt.DockWidgetArea.RightDockWidgetArea,
    "bottom": Qt.DockWidgetArea.BottomDockWidgetArea,
}
LEFT_WIDTH = 240  # the image list of a freshly arranged mode, pixels
MIN_CANVAS_SHARE = 0.5  # the right column never widens past the window's other half


@dataclass(frozen=True)
class Mode:
    key: str
    title: str
    shortcut: str
    tip: str
    front: tuple[str, ...] = ()  # panels (object names) shown first in their tab group
    right_width: int = 340  # pixels, when first arranged
    upper_share: float = 0.4  # of the right column's height, for the upper group
    bottom_height: float = 200  # when the mode has a bottom panel: pixels, or below 1 a share of the height
    wide_bottom: bool = False  # the bottom panel spans the window's width (else: under the canvas)


MODES: tuple[Mode, ...] = (
    Mode("annotate", "Annotate", "Alt+1", "Label images: categories, instances, AI assistance"),
    Mode("review", "Review", "Alt+2", "Compare predictions with the ground truth, walk the review queue",
         ("dock_review",), right_width=390, upper_share=0.8),
    Mode("cutout", "Background Removal", "Alt+3", "Cut out the subject and export transparent images",
         ("dock_cutout",), right_width=360),
    Mode("video", "Video", "Alt+4", "Label videos and frame folders: timeline, tracks, propagation",
         ("dock_video_tracks",), bottom_height=190),
    Mode("train", "Train", "Alt+5", "Train a model on the project's labels; scribble classifier",
         ("dock_training", "dock_scribble"), bottom_height=0.42, wide_bottom=True),
)


class TaskModes(QObject):
    """The window's modes, the panels of each, and the switch between them."""

    changed = Signal(str)  # the mode entered

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.modes = {m.key: m for m in MODES}
        self.current = "annotate"
        self.places: dict[str, dict[str, str]] = {m.key: {} for m in MODES}  # mode -> dock name -> place
        self.states: dict[str, tuple[bytes, list[str]]] = {}  # mode -> (saveState, dock names in it)
        self.ready = False  # restore() arranged the window: panels placed later join at once
        self.group = QActionGroup(self)
        self.group.setExclusive(True)
        self.actions: dict[str, QAction] = {}
        for m in MODES:
            act = QAction(m.title, window, checkable=True)
            act.setObjectName(f"mode_{m.key}")
            act.setShortcut(QKeySequence(m.shortcut))
            act.setToolTip(f"{m.title} mode ({m.shortcut}): {m.tip}")
            act.setStatusTip(m.tip)
            act.triggered.connect(lambda _c=False, k=m.key: self.activate(k))
            self.group.addAction(act)
            window.addAction(act)
            self.actions[m.key] = act
        self.actions[self.current].setChecked(True)
        self.reset_action = QAction("&Reset Layout", window)
        self.reset_action.setObjectName("reset_layout")
        self.reset_action.setToolTip("Put the panels of this mode back where they start")
        self.reset_action.triggered.connect(self.reset_layout)

    # ------------------------------------------------------------------ panels
    def __iter__(self):
        """The mode keys, in mode-bar order."""
        return iter(list(self.modes))

    def place(self, dock: QDockWidget, mode: str, place: str) -> None:
        """Show `dock` in `mode` at `place` (one of PLACES); call again for more modes."""
        if mode not in self.modes:
            raise ValueError(f"unknown task mode {mode!r}; expected one of {', '.join(self.modes)}")
        if place not in PLACES:
            raise ValueError(f"unknown panel place {place!r}; expected one of {', '.join(PLACES)}")
        self.places[mode][dock.objectName()] = place
        if self.ready and mode == self.current and dock.objectName() not in self._stored_names(mode):
            self._put(dock, place)  # a panel added after the mode was arranged joins it at once

    def docks_of(self, mode: str) -> list[QDockWidget]:
        docks = self.window.docks
        return [docks[name] for name in self.places[mode] if name in docks]

    def watch(self, dock: QDockWidget) -> None:
        """A panel opened from View > Panels outside its modes joins its usual place here
        (tabbed), instead of reappearing wherever Qt last had it."""
        dock.toggleViewAction().triggered.connect(lambda on, d=dock: on and self._join(d))

    def _join(self, dock: QDockWidget) -> None:
        if dock.objectName() in self.places[self.current]:
            return
        homes = [places[dock.objectName()] for places in self.places.values() if dock.objectName() in places]
        self._put(dock, homes[0] if homes else "right-lower")

    def modes_of(self, dock: QDockWidget) -> list[str]:
        return [m for m, places in self.places.items() if dock.objectName() in places]

    def show_panel(self, dock: QDockWidget) -> None:
        """Bring `dock` to the front, entering a mode that has it when the current one does not."""
        if dock.objectName() not in self.places[self.current]:
            owners = self.modes_of(dock)
            if owners:
                self.activate(owners[0])
        dock.show()
        dock.raise_()

    # ------------------------------------------------------------------ switching
    def activate(self, mode: str) -> None:
        if mode not in self.modes:
            raise ValueError(f"unknown task mode {mode!r}")
        if mode != self.current:
            self.states[self.current] = (bytes(self.window.saveState(LAYOUT_VERSION)), list(self.window.docks))
            self.current = mode
            self._set_corners()
            self._apply(self.states.get(mode))
        self.actions[mode].setChecked(True)
        self.changed.emit(mode)

    def reset_layout(self) -> None:
        self.states.pop(self.current, None)
        for dock in self.window.docks.values():
            dock.setFloating(False)
        self._arrange_default(self.current)

    def _set_corners(self) -> None:
        """Who owns the bottom corners: the side columns (a timeline sits under the canvas) or,
        in a mode with a wide bottom panel (training curves), the bottom area."""
        wide = self.modes[self.current].wide_bottom
        for corner, side in ((Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea),
                             (Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)):
            self.window.setCorner(corner, Qt.DockWidgetArea.BottomDockWidgetArea if wide else side)

    def _apply(self, stored: tuple[bytes, list[str]] | None) -> None:
        self._restore_or_arrange(stored)
        # A stored layout (or one made on a smaller screen) may leave the right column narrower
        # than its panels: the Review panel's combos and queue columns hid behind a scroll bar.
        self.fit_right_column()
        QTimer.singleShot(0, self.fit_right_column)  # again once the window has laid itself out

    def _restore_or_arrange(self, stored: tuple[bytes, list[str]] | None) -> None:
        w = self.window
        if stored is None or not w.restoreState(stored[0], LAYOUT_VERSION):
            self._arrange_default(self.current)
            return
        known = set(stored[1])
        for name, dock in w.docks.items():
            if name not in known:  # a panel newer than the stored layout
                place = self.places[self.current].get(name)
                if place is None:
                    dock.hide()
                else:
                    self._put(dock, place)

    def fit_right_column(self) -> None:
        """Widen the right column to the widest of the mode's panels docked there, so none
        scrolls sideways; never narrower than it is, never wider than the window's other half."""
        w = self.window
        right = [d for d in self.docks_of(self.current) if d.isVisible() and not d.isFloating()
                 and w.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea]
        shown = [d for d in right if not d.visibleRegion().isEmpty()]  # not behind another tab
        if not shown:
            return  # not laid out yet (the deferred call comes back)
        target = min(max(panel_width(d) for d in right), int(w.width() * (1 - MIN_CANVAS_SHARE)))
        narrow = [d for d in shown if d.width() < target]
        if narrow:
            w.resizeDocks(narrow, [target] * len(narrow), Qt.Orientation.Horizontal)

    def _stored_names(self, mode: str) -> list[str]:
        stored = self.states.get(mode)
        return stored[1] if stored is not None else []

    def _put(self, dock: QDockWidget, place: str) -> None:
        """Add one panel to its place in the current arrangement (tabbed onto a sibling)."""
        w = self.window
        here = self.places[self.current]  # panels opened from View outside their modes count as right-lower
        siblings = [d for n, d in w.docks.items() if d is not dock and d.isVisible() and not d.isFloating()
                    and here.get(n, "right-lower") == place]
        dock.setFloating(False)
        if siblings:
            w.tabifyDockWidget(siblings[-1], dock)
        else:
            w.addDockWidget(_AREA[place], dock)
        dock.show()

    def _arrange_default(self, mode: str) -> None:
        """The mode's panels by place: tabbed within a place, the lower right under the upper."""
        w = self.window
        members = self.places[mode]
        for name, dock in w.docks.items():
            if name not in members:
                dock.hide()
        groups: dict[str, list[QDockWidget]] = {p: [] for p in PLACES}
        front = self.modes[mode].front
        for name, place in sorted(members.items(), key=lambda kv: kv[0] not in front):  # stable
            if name in w.docks:
                groups[place].append(w.docks[name])
        for docks in groups.values():  # visible before any move: hidden docks keep old placeholders
            for dock in docks:
                dock.setFloating(False)
                dock.show()
        firsts = {place: docks[0] for place, docks in groups.items() if docks}
        for place in ("left", "right", "bottom"):
            if place in firsts:
                w.addDockWidget(_AREA[place], firsts[place], Qt.Orientation.Vertical)
        lower = firsts.get("right-lower")
        if lower is not None and "right" in firsts:
            w.splitDockWidget(firsts["right"], lower, Qt.Orientation.Vertical)
        elif lower is not None:
            w.addDockWidget(_AREA["right-lower"], lower, Qt.Orientation.Vertical)
        for docks in groups.values():
            for dock in docks[1:]:
                w.tabifyDockWidget(docks[0], dock)
        for first in firsts.values():
            first.raise_()  # the first panel of each group is the tab in front
        m = self.modes[mode]
        if "left" in firsts:
            w.resizeDocks([firsts["left"]], [LEFT_WIDTH], Qt.Orientation.Horizontal)
        right = firsts.get("right") or firsts.get("right-lower")
        if right is not None:
            w.resizeDocks([right], [m.right_width], Qt.Orientation.Horizontal)
        if "bottom" in firsts:
            bottom = firsts["bottom"]
            if m.bottom_height >= 1:
                w.resizeDocks([bottom], [int(m.bottom_height)], Qt.Orientation.Vertical)
            else:  # a share of the window's height: once the window has its size (at start it has not)
                QTimer.singleShot(0, lambda: w.resizeDocks([bottom], [int(m.bottom_height * w.height())],
                                                           Qt.Orientation.Vertical))
        if "right" in firsts and "right-lower" in firsts:
            upper = int(1000 * m.upper_share)
            w.resizeDocks([firsts["right"], firsts["right-lower"]], [upper, 1000 - upper], Qt.Orientation.Vertical)

    # ------------------------------------------------------------------ persistence
    def save(self, settings) -> None:
        self.states[self.current] = (bytes(self.window.saveState(LAYOUT_VERSION)), list(self.window.docks))
        settings.setValue("layout/mode", self.current)
        for mode, (state, names) in self.states.items():
            settings.setValue(f"layout/{mode}/state", state)
            settings.setValue(f"layout/{mode}/panels", names)

    def restore(self, settings) -> None:
        """Read every mode's layout and enter the mode last used (panels built by now)."""
        for mode in self.modes:
            state, names = settings.value(f"layout/{mode}/state"), settings.value(f"layout/{mode}/panels")
            if state is not None and names:
                self.states[mode] = (bytes(state), [names] if isinstance(names, str) else list(names))
        mode = str(settings.value("layout/mode", "annotate"))
        self.current = mode if mode in self.modes else "annotate"
        self.actions[self.current].setChecked(True)
        self._set_corners()
        self._apply(self.states.get(self.current))
        self.dock_floating_panels()
        self.ready = True
        self.changed.emit(self.current)

    def dock_floating_panels(self) -> None:
        """Floating panels go back into the window: at start and whenever a project opens or
        closes, so a panel floated for one project never hangs over another (or over the menu
        bar, or off-screen on a smaller monitor)."""
        for dock in self.window.docks.values():
            if dock.isFloating():
                dock.setFloating(False)

    # ------------------------------------------------------------------ switcher widget
    def switcher(self) -> QWidget:
        """A row of mode buttons (the menu bar's corner)."""
        box = QWidget()
        box.setObjectName("mode_switcher")
        row = QHBoxLayout(box)
        row.setContentsMargins(4, 0, 4, 0)
        row.setSpacing(2)
        for m in MODES:
            b = QToolButton()
            b.setDefaultAction(self.actions[m.key])
            b.setAutoRaise(True)
            b.setObjectName(f"mode_button_{m.key}")
            row.addWidget(b)
        return box


def panel_width(dock: QDockWidget) -> int:
    """The width `dock` needs to show its panel without a horizontal scroll bar (room for a
    vertical one included: a tall panel scrolls up and down)."""
    area = dock.widget()
    if not isinstance(area, QScrollArea) or area.widget() is None:
        return dock.minimumSizeHint().width()
    inner = area.widget()
    need = max(inner.minimumSizeHint().width(), inner.minimumWidth())
    bar = area.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, area)
    chrome = max(0, dock.width() - area.width())  # the dock's own margins
    return need + bar + chrome
