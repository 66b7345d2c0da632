"""A tiny synchronous signal, so the domain model can notify views without Qt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Signal:
    """Call every connected slot, in connection order, when emitted."""

    def __init__(self) -> None:
        self._slots: list[Callable[..., Any]] = []

    def connect(self, slot: Callable[..., Any]) -> None:
        if slot not in self._slots:
            self._slots.append(slot)

    def disconnect(self, slot: Callable[..., Any]) -> None:
        if slot in self._slots:
            self._slots.remove(slot)

    def emit(self, *args: Any) -> None:
        for slot in list(self._slots):
            slot(*args)
