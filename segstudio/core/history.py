"""Undo/redo history, Qt-free: one gesture = one command, macros, a clean marker, a byte budget."""

from __future__ import annotations

from typing import Protocol

from segstudio.core.events import Signal


class Command(Protocol):
    label: str

    def do(self) -> None: ...

    def undo(self) -> None: ...

    @property
    def nbytes(self) -> int: ...


class History:
    """A linear undo stack.  `push` runs the command; commands pushed between
    `begin_macro` and `end_macro` run at once and become one step."""

    def __init__(self, byte_budget: int = 512 * 1024 * 1024) -> None:
        self.byte_budget = byte_budget
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self._clean_index: int | None = 0
        self._macro: list[Command] | None = None
        self._macro_label = ""
        self.changed = Signal()  # () after every push/undo/redo/clean change

    # ----------------------------------------------------------------- queries
    @property
    def can_undo(self) -> bool:
        return bool(self._done) and self._macro is None

    @property
    def can_redo(self) -> bool:
        return bool(self._undone) and self._macro is None

    @property
    def undo_label(self) -> str:
        return self._done[-1].label if self._done else ""

    @property
    def redo_label(self) -> str:
        return self._undone[-1].label if self._undone else ""

    @property
    def is_clean(self) -> bool:
        return self._clean_index == len(self._done)

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self._done) + sum(c.nbytes for c in self._undone)

    def __len__(self) -> int:
        return len(self._done)

    # ----------------------------------------------------------------- actions
    def push(self, command: Command) -> None:
        command.do()  # a command that raises is not recorded
        if self._macro is not None:
            self._macro.append(command)
            return
        self._record(command)

    def begin_macro(self, label: str) -> None:
        if self._macro is not None:
            raise RuntimeError("a macro is already open")
        self._macro, self._macro_label = [], label

    def end_macro(self) -> None:
        if self._macro is None:
            raise RuntimeError("no macro is open")
        commands, self._macro = self._macro, None
        if commands:
            self._record(_merge(self._macro_label, commands))

    def cancel_macro(self) -> None:
        """Undo what the open macro did and forget it (an aborted gesture)."""
        if self._macro is None:
            return
        commands, self._macro = self._macro, None
        for c in reversed(commands):
            c.undo()

    def undo(self) -> bool:
        if not self.can_undo:
            return False
        command = self._done[-1]
        command.undo()  # raises, and stays the step to undo, if it could not be done
        self._undone.append(self._done.pop())
        self.changed.emit()
        return True

    def redo(self) -> bool:
        if not self.can_redo:
            return False
        command = self._undone[-1]
        command.do()
        self._done.append(self._undone.pop())
        self.changed.emit()
        return True

    def mark_clean(self) -> None:
        self._clean_index = len(self._done)
        self.changed.emit()

    def clear(self) -> None:
        self._done.clear()
        self._undone.clear()
        self._clean_index = 0
        self.changed.emit()

    # ----------------------------------------------------------------- internals
    def _record(self, command: Command) -> None:
        if self._clean_index is not None and self._clean_index > len(self._done):
            self._clean_index = None  # the clean state was in the redo branch we drop
        self._undone.clear()
        self._done.append(command)
        self._enforce_budget()
        self.changed.emit()

    def _enforce_budget(self) -> None:
        total = sum(c.nbytes for c in self._done)
        dropped = 0
        while len(self._done) > 1 and total > self.byte_budget:
            total -= self._done.pop(0).nbytes
            dropped += 1
        if dropped and self._clean_index is not None:
            self._clean_index -= dropped
            if self._clean_index < 0:
                self._clean_index = None


def _merge(label: str, commands: list[Command]) -> Command:
    from segstudio.core.commands import EditCommand, merge_edits

    if all(isinstance(c, EditCommand) for c in commands):
        return merge_edits(label, commands)  # type: ignore[arg-type]
    return CompoundCommand(label, commands)


class CompoundCommand:
    """Several commands (possibly on different documents) as one undo step, all or nothing:
    when one part refuses (`do` raises), the parts done before it are undone."""

    def __init__(self, label: str, commands: list[Command]) -> None:
        self.label = label
        self.commands = commands

    def do(self) -> None:
        done: list[Command] = []
        try:
            for c in self.commands:
                c.do()
                done.append(c)
        except Exception:  # one part refused (each part is all or nothing): take back the rest
            for c in reversed(done):
                c.undo()
            raise

    def undo(self) -> None:
        for c in reversed(self.commands):
            c.undo()

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self.commands)
