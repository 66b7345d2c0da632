"""Cancellation and progress for long computations, shared by the GUI worker, the CLI and tests.

Every compute function takes `cancel: CancelToken | None` and `progress: ProgressFn | None`
and calls `cancel.check()` between stages; the GUI cancels cooperatively.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

# progress(done, total, message)
ProgressFn = Callable[[int, int, str], None]


class Cancelled(Exception):
    """Raised by CancelToken.check() once cancellation was requested."""


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()


NEVER = CancelToken()  # a token nobody cancels, for callers that do not care


def report(progress: ProgressFn | None, done: int, total: int, message: str = "") -> None:
    if progress is not None:
        progress(done, total, message)
