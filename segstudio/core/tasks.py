"""Cancellation and progress for long computations, shared by the GUI worker, the CLI and tests.

Every compute function takes `cancel: CancelToken | None` and `progress: ProgressFn | None`
and calls `cancel.check()` between stages; the GUI cancels cooperatively.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# progress(done, total, message)
ProgressFn = Callable[[int, int, str], None]


class Cancelled(Exception):
    """Raised by CancelToken.check() once cancellation was requested."""


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            fn()

    @contextmanager
    def on_cancel(self, fn: Callable[[], None]) -> Iterator[None]:
        """Call `fn` (from the cancelling thread) if the token is cancelled while the block runs:
        how work that cannot poll, such as one long native call, is told to stop."""
        with self._lock:
            now = self._event.is_set()
            if not now:
                self._callbacks.append(fn)
        if now:
            fn()
        try:
            yield
        finally:
            with self._lock:
                if fn in self._callbacks:
                    self._callbacks.remove(fn)

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
