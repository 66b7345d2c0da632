"""What a feature may use of the main window, written down (issue 18.7).

Features (`segstudio/qt/features/`) get the window at `install(window)`; `FeatureHost` is the
part of it they may use, so a feature never probes the window with getattr/hasattr and never
reads its private state.  Installed features are found in `window.features` (`Features`):
declared, typed slots, instead of attributes each feature hung on the window.
`tests/qt/test_feature_host.py` checks that the main window provides all of `FeatureHost`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings, SignalInstance
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QDockWidget, QMenu, QWidget

    from segstudio.app.session import Session
    from segstudio.core.document import ImageDocument
    from segstudio.core.history import Command, History
    from segstudio.qt.canvas import CanvasView
    from segstudio.qt.controller import EditController
    from segstudio.qt.docks.image_list import ImageListPanel
    from segstudio.qt.features.assist import AssistFeature
    from segstudio.qt.features.team import TeamFeature
    from segstudio.qt.features.training import TrainingFeature
    from segstudio.qt.modes import TaskModes
    from segstudio.qt.video.controller import VideoController
    from segstudio.qt.workers import Worker
    from segstudio.store import Project
    from segstudio.store.project import ImageRecord


@dataclass
class Features:
    """The features other code talks to; None when a feature is not installed (or failed to)."""

    assist: AssistFeature | None = None
    video: VideoController | None = None
    training: TrainingFeature | None = None
    team: TeamFeature | None = None


class FeatureHost(Protocol):
    """The main window as features see it."""

    # what is open
    project: Project | None
    session: Session | None
    features: Features
    settings: QSettings

    def current_image(self) -> ImageRecord | None: ...
    def current_frame(self) -> int: ...
    def current_document(self) -> ImageDocument | None: ...
    def current_history(self) -> History | None: ...
    def current_category_id(self) -> int | None: ...
    def selected_instance_ids(self) -> list[int]: ...

    # the parts of the window a feature works with
    canvas: CanvasView
    controller: EditController  # the edit operations and the tool options
    images_panel: ImageListPanel
    worker: Worker
    io_worker: Worker
    modes: TaskModes
    actions: dict[str, QAction]
    image_changed: SignalInstance
    document_changed: SignalInstance

    # what a feature may ask the window to do
    def push_command(self, cmd: Command) -> None: ...
    def select_instances(self, ids: list[int]) -> None: ...
    def set_tool(self, name: str) -> None: ...
    def go_to_image(self, image_id: int, frame: int = 0, *, force: bool = False) -> bool: ...
    def step_image(self, delta: int) -> None: ...
    def open_project(self, root: str | Path) -> bool: ...
    def refresh_image_list(self) -> None: ...
    def sync_categories(self) -> bool: ...
    def reload_document(self) -> None: ...
    def status(self, msg: str, ms: int = 4000) -> None: ...
    def menu(self, title: str) -> QMenu: ...
    def add_dock(self, widget: QWidget, title: str, area: Any = ..., object_name: str | None = None,
                 modes: dict[str, str] | None = None) -> QDockWidget: ...
    def show_dock(self, dock: QDockWidget) -> None: ...
    def add_tool_action(self, action: QAction, tool_name: str) -> None: ...
