"""One compound command (several commands as one undo step) for history macros and review."""

from __future__ import annotations

import pytest

from segstudio.core.history import CompoundCommand, History


class _Step:
    """A command that records what it did; `refuse` makes its `do` fail (a store that says no)."""

    nbytes = 0

    def __init__(self, log: list[tuple[str, str]], label: str) -> None:
        self.log, self.label, self.refuse = log, label, False

    def do(self) -> None:
        if self.refuse:
            raise RuntimeError(f"{self.label} refused")
        self.log.append(("do", self.label))

    def undo(self) -> None:
        self.log.append(("undo", self.label))


def test_a_refused_part_takes_back_the_parts_done_before_it():
    log: list[tuple[str, str]] = []
    a, b, c = _Step(log, "a"), _Step(log, "b"), _Step(log, "c")
    b.refuse = True
    with pytest.raises(RuntimeError, match="b refused"):
        CompoundCommand("three", [a, b, c]).do()
    assert log == [("do", "a"), ("undo", "a")]


def test_a_macro_redone_is_all_or_nothing():
    log: list[tuple[str, str]] = []
    a, b = _Step(log, "a"), _Step(log, "b")
    history = History()
    history.begin_macro("two")
    history.push(a)
    history.push(b)
    history.end_macro()
    assert history.undo()
    assert log[-2:] == [("undo", "b"), ("undo", "a")]
    log.clear()
    b.refuse = True
    with pytest.raises(RuntimeError):
        history.redo()
    assert log == [("do", "a"), ("undo", "a")]  # nothing of the step stays done
    assert history.can_redo and not history.can_undo and history.redo_label == "two"
