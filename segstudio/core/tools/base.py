"""The tool protocol: Qt-free interaction state machines over image-space pointer events.

A tool receives pointer events already mapped to image coordinates (floats, pixel
(i, j) covers [i, i+1) x [j, j+1)), decides what the gesture means and, when the
gesture ends, commits ONE command through its `ToolContext`.  While a gesture is
in flight it exposes preview shapes (outlines, handles, a brush cursor) and, for
raster tools, a live mask the canvas draws over the overlay.  The canvas never
knows what a tool does; tests drive tools with synthetic events and no Qt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntFlag
from typing import Protocol, runtime_checkable

import numpy as np

from segstudio.core.document import Box, ImageDocument
from segstudio.core.events import Signal
from segstudio.core.history import Command


class Buttons(IntFlag):
    NONE = 0
    LEFT = 1
    RIGHT = 2
    MIDDLE = 4


class Mods(IntFlag):
    NONE = 0
    SHIFT = 1
    CTRL = 2
    ALT = 4


# Key names the canvas passes to `Tool.key` (a small, Qt-free vocabulary).
KEY_ENTER, KEY_ESCAPE, KEY_BACKSPACE, KEY_DELETE = "Enter", "Escape", "Backspace", "Delete"


@dataclass(frozen=True)
class PreviewShape:
    """Something a tool wants drawn over the image (image coordinates).

    kind: 'polyline' (open path), 'polygon' (closed), 'rect', 'ellipse' (points =
    two corners of its box), 'circle' (points = [centre], radius), 'handles'
    (vertex squares), 'point'.  role: 'add', 'subtract', 'cursor', 'handle',
    'active' (the vertex under the pointer)."""

    kind: str
    points: np.ndarray
    role: str = "add"
    radius: float = 0.0


@dataclass
class ToolOptions:
    """What a tool edits: a new instance, or the selected one (explicit, never guessed).

    The one copy of these settings: whoever changes one (a tool resizing its brush on
    Ctrl+wheel, a spin box, a shortcut) assigns it here, and `changed(name, value)` tells the
    widgets that show it."""

    target: str = "new"  # 'new' | 'selected'
    operation: str = "add"  # 'add' | 'subtract' | 'intersect'
    exclusive: bool = False  # the stroke also leaves every other unlocked instance
    brush_size: int = 15  # diameter in image pixels
    tolerance: int = 16  # magic wand: max per-channel distance to the seed colour
    locked: set[int] = field(default_factory=set)
    changed: Signal = field(default_factory=Signal, init=False, repr=False, compare=False)  # (name, value)

    def __setattr__(self, name: str, value: object) -> None:
        old = self.__dict__.get(name, _UNSET)
        object.__setattr__(self, name, value)
        changed = self.__dict__.get("changed")
        if changed is not None and old is not _UNSET and old != value:
            changed.emit(name, value)


_UNSET = object()


class ToolContext(Protocol):
    """What the host (the canvas/controller, or a test) offers a tool."""

    options: ToolOptions

    def document(self) -> ImageDocument | None: ...

    def image(self) -> np.ndarray | None: ...  # decoded pixels (for the magic wand)

    def selected_ids(self) -> list[int]: ...

    def category_id(self) -> int | None: ...

    def commit(self, command: Command) -> None: ...

    def select(self, ids: list[int]) -> None: ...

    def message(self, text: str) -> None: ...


@runtime_checkable
class Tool(Protocol):
    name: str  # stable id, e.g. 'brush'
    label: str  # human text, e.g. 'Brush'
    changed: Signal  # emitted with the dirty box (or None) when the preview changes

    def activate(self, ctx: ToolContext) -> None: ...

    def deactivate(self) -> None: ...

    def press(self, x: float, y: float, buttons: Buttons, modifiers: Mods) -> bool: ...

    def move(self, x: float, y: float, buttons: Buttons, modifiers: Mods) -> bool: ...

    def release(self, x: float, y: float, buttons: Buttons, modifiers: Mods) -> bool: ...

    def key(self, key: str, modifiers: Mods) -> bool: ...

    def cancel(self) -> None: ...

    def preview(self) -> list[PreviewShape]: ...


class BaseTool:
    """Shared plumbing: context, preview change notification, default no-op handlers."""

    name = "base"
    label = "Tool"
    # A raster tool exposes (buffer, box, role) while a gesture is live; None otherwise.
    live_mask: tuple[np.ndarray, Box | None, str] | None = None

    def __init__(self) -> None:
        self.ctx: ToolContext | None = None
        self.changed = Signal()

    def activate(self, ctx: ToolContext) -> None:
        self.ctx = ctx

    def deactivate(self) -> None:
        self.cancel()
        self.ctx = None

    def press(self, x: float, y: float, buttons: Buttons, modifiers: Mods) -> bool:
        return False

    def move(self, x: float, y: float, buttons: Buttons, modifiers: Mods) -> bool:
        return False

    def release(self, x: float, y: float, buttons: Buttons, modifiers: Mods) -> bool:
        return False

    def key(self, key: str, modifiers: Mods) -> bool:
        return False

    def cancel(self) -> None:
        self._notify()

    def preview(self) -> list[PreviewShape]:
        return []

    # ------------------------------------------------------------ helpers
    def _notify(self, box: Box | None = None) -> None:
        self.changed.emit(box)

    def _document(self) -> ImageDocument | None:
        return self.ctx.document() if self.ctx is not None else None


class SimpleContext:
    """A ToolContext over a document and a history-like `commit`; used by tests and headless code."""

    def __init__(
        self,
        document: ImageDocument,
        commit: Callable[[Command], None] | None = None,
        *,
        image: np.ndarray | None = None,
        category_id: int | None = 1,
        options: ToolOptions | None = None,
    ) -> None:
        self._document = document
        self._image = image
        self._category = category_id
        self._selected: list[int] = []
        self.options = options or ToolOptions()
        self.commands: list[Command] = []
        self.messages: list[str] = []
        self._commit = commit

    def document(self) -> ImageDocument | None:
        return self._document

    def image(self) -> np.ndarray | None:
        return self._image

    def selected_ids(self) -> list[int]:
        return [i for i in self._selected if i in self._document]

    def category_id(self) -> int | None:
        return self._category

    def commit(self, command: Command) -> None:
        self.commands.append(command)
        if self._commit is not None:
            self._commit(command)
        else:
            command.do()

    def select(self, ids: list[int]) -> None:
        self._selected = list(ids)

    def message(self, text: str) -> None:
        self.messages.append(text)

