"""Background work for the GUI: one inference thread, a small I/O pool, latest request wins.

Jobs are plain Qt-free callables `fn(cancel, progress) -> result`.  Signals are
emitted from a QObject created on the main thread, so slots run on the GUI thread.
Errors are data: a failed job reports (type, message, traceback), never crashes.
"""

from __future__ import annotations

import itertools
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from segstudio.core.tasks import Cancelled, CancelToken

Job = Callable[[CancelToken, Callable[[int, int, str], None]], Any]


@dataclass(frozen=True)
class JobError:
    job_id: int
    kind: str
    type: str
    message: str
    traceback: str


class _Signals(QObject):
    finished = Signal(int, str, object)  # job id, kind, result
    failed = Signal(object)  # JobError
    cancelled = Signal(int, str)
    progress = Signal(int, str, int, int, str)  # job id, kind, done, total, message


class _Runnable(QRunnable):
    def __init__(self, job_id: int, kind: str, fn: Job, token: CancelToken, signals: _Signals) -> None:
        super().__init__()
        self.job_id, self.kind, self.fn, self.token, self.signals = job_id, kind, fn, token, signals
        self.setAutoDelete(True)

    def run(self) -> None:
        def progress(done: int, total: int, message: str = "") -> None:
            self.signals.progress.emit(self.job_id, self.kind, int(done), int(total), message)

        try:
            if self.token.cancelled:
                raise Cancelled()
            result = self.fn(self.token, progress)
        except Cancelled:
            self.signals.cancelled.emit(self.job_id, self.kind)
        except Exception as e:  # errors are data for the GUI
            self.signals.failed.emit(
                JobError(self.job_id, self.kind, type(e).__name__, str(e), traceback.format_exc())
            )
        else:
            self.signals.finished.emit(self.job_id, self.kind, result)


class Worker(QObject):
    """A pool of `threads` threads.  Submitting a job of a `kind` cancels the previous
    job of that kind (latest request wins); results of superseded jobs are dropped."""

    finished = Signal(int, str, object)
    failed = Signal(object)
    cancelled = Signal(int, str)
    progress = Signal(int, str, int, int, str)

    _ids = itertools.count(1)

    def __init__(self, threads: int = 1, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._signals = _Signals()
        self._signals.finished.connect(self._on_finished)
        self._signals.failed.connect(self._on_failed)
        self._signals.cancelled.connect(self._on_cancelled)
        self._signals.progress.connect(self._on_progress)
        self._latest: dict[str, int] = {}
        self._tokens: dict[int, CancelToken] = {}

    def submit(self, kind: str, fn: Job, *, supersede: bool = True, priority: int = 0) -> int:
        job_id = next(self._ids)
        if supersede and kind in self._latest:
            self.cancel(self._latest[kind])
        self._latest[kind] = job_id
        token = CancelToken()
        self._tokens[job_id] = token
        self.pool.start(_Runnable(job_id, kind, fn, token, self._signals), priority)
        return job_id

    def cancel(self, job_id: int) -> None:
        token = self._tokens.get(job_id)
        if token is not None:
            token.cancel()

    def cancel_all(self) -> None:
        for token in self._tokens.values():
            token.cancel()

    def is_current(self, job_id: int, kind: str) -> bool:
        return self._latest.get(kind) == job_id

    def busy(self) -> bool:
        return bool(self._tokens)

    def wait(self, msecs: int = -1) -> bool:
        return self.pool.waitForDone(msecs)

    def shutdown(self, msecs: int = 5000) -> None:
        self.cancel_all()
        self.pool.clear()
        self.pool.waitForDone(msecs)

    def _on_finished(self, job_id: int, kind: str, result: object) -> None:
        self._tokens.pop(job_id, None)
        if self.is_current(job_id, kind):
            self.finished.emit(job_id, kind, result)

    def _on_cancelled(self, job_id: int, kind: str) -> None:
        self._tokens.pop(job_id, None)
        self.cancelled.emit(job_id, kind)

    def _on_failed(self, error: JobError) -> None:
        self._tokens.pop(error.job_id, None)
        if self.is_current(error.job_id, error.kind):
            self.failed.emit(error)

    def _on_progress(self, job_id: int, kind: str, done: int, total: int, message: str) -> None:
        if self.is_current(job_id, kind):
            self.progress.emit(job_id, kind, done, total, message)
