"""Background work for the GUI: inference threads, a small I/O pool, latest request wins.

Jobs are plain Qt-free callables `fn(cancel, progress) -> result`.  Signals are
emitted from a QObject created on the main thread, so slots run on the GUI thread.
Errors are data: a failed job reports (type, message, traceback), never crashes.

A worker may have *lanes*: jobs of the kinds given to `add_lane` run on that lane's own
thread pool instead of the default one, so short interactive jobs (AI clicks) never queue
behind a long batch.  Ids, signals, `busy`, `wait`, `cancel_all` and `shutdown` cover every
lane, so callers see one worker.  Jobs of a *foreground* lane hold `worker.gate` while they
run; long background jobs call `gate.wait_clear()` between items to leave them the CPU.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QDeadlineTimer, QObject, QRunnable, QThreadPool, Signal

from segstudio.core.tasks import Cancelled, CancelToken

Job = Callable[[CancelToken, Callable[[int, int, str], None]], Any]


@dataclass(frozen=True)
class JobError:
    job_id: int
    kind: str
    type: str
    message: str
    traceback: str


class ForegroundGate:
    """Counts foreground jobs running right now (thread-safe, Qt-free).

    Why: with 2 cores a batch image and an AI click each want every core; the batch cannot
    be paused inside a network call, but it can wait before starting its next item, so a
    click (or an embedding) competes with at most the one batch item already in flight."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._active = 0
        self._waiting = 0

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with self._cond:
            self._active += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                self._cond.notify_all()

    @property
    def active(self) -> int:
        with self._cond:
            return self._active

    @property
    def waiting(self) -> int:
        """Background jobs parked in `wait_clear` right now."""
        with self._cond:
            return self._waiting

    def wait_clear(self, cancel: CancelToken | None = None, max_wait: float = 5.0) -> float:
        """Block until no foreground job runs, `cancel` is set or `max_wait` seconds passed
        (so a stuck or endless stream of foreground work cannot starve the batch).  Returns
        the seconds waited."""
        t0 = time.monotonic()
        with self._cond:
            self._waiting += 1
            try:
                while self._active and not (cancel is not None and cancel.cancelled):
                    left = max_wait - (time.monotonic() - t0)
                    if left <= 0:
                        break
                    # short slices: a cancel token has no way to wake this condition
                    self._cond.wait(min(left, 0.05))
            finally:
                self._waiting -= 1
        return time.monotonic() - t0


class _Signals(QObject):
    finished = Signal(int, str, object)  # job id, kind, result
    failed = Signal(object)  # JobError
    cancelled = Signal(int, str)
    progress = Signal(int, str, int, int, str)  # job id, kind, done, total, message


class _Runnable(QRunnable):
    def __init__(self, job_id: int, kind: str, fn: Job, token: CancelToken, signals: _Signals,
                 gate: ForegroundGate | None = None) -> None:
        super().__init__()
        self.job_id, self.kind, self.fn, self.token, self.signals = job_id, kind, fn, token, signals
        self.gate = gate
        self.setAutoDelete(True)

    def run(self) -> None:
        def progress(done: int, total: int, message: str = "") -> None:
            self.signals.progress.emit(self.job_id, self.kind, int(done), int(total), message)

        try:
            if self.token.cancelled:
                raise Cancelled()
            with self.gate.held() if self.gate is not None else contextlib.nullcontext():
                result = self.fn(self.token, progress)
        except Cancelled:
            self.signals.cancelled.emit(self.job_id, self.kind)
        except Exception as e:  # errors are data for the GUI
            self.signals.failed.emit(
                JobError(self.job_id, self.kind, type(e).__name__, str(e), traceback.format_exc())
            )
        else:
            self.signals.finished.emit(self.job_id, self.kind, result)


@dataclass
class _Lane:
    pool: QThreadPool
    kinds: set[str]
    foreground: bool


class Worker(QObject):
    """A pool of `threads` threads, plus optional lanes.  Submitting a job of a `kind` cancels
    the previous job of that kind (latest request wins); results of superseded jobs are
    dropped."""

    finished = Signal(int, str, object)
    failed = Signal(object)
    cancelled = Signal(int, str)
    progress = Signal(int, str, int, int, str)

    _ids = itertools.count(1)

    def __init__(self, threads: int = 1, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self.gate = ForegroundGate()
        self._lanes: dict[str, _Lane] = {}
        self._signals = _Signals()
        self._signals.finished.connect(self._on_finished)
        self._signals.failed.connect(self._on_failed)
        self._signals.cancelled.connect(self._on_cancelled)
        self._signals.progress.connect(self._on_progress)
        self._latest: dict[str, int] = {}
        self._tokens: dict[int, CancelToken] = {}
        self._kinds: dict[int, str] = {}  # job id -> kind, while the job is unfinished

    def add_lane(self, name: str, kinds: Iterable[str], threads: int = 1, *, foreground: bool = False) -> QThreadPool:
        """Run jobs of `kinds` on the lane `name` (its own pool of `threads` threads); calling
        again with the same name adds kinds.  A kind belongs to one lane."""
        lane = self._lanes.get(name)
        if lane is None:
            pool = QThreadPool(self)
            pool.setMaxThreadCount(threads)
            lane = self._lanes[name] = _Lane(pool, set(), foreground)
        kinds = set(kinds)
        for other in self._lanes.values():
            other.kinds -= kinds
        lane.kinds |= kinds
        return lane.pool

    def remove_lane(self, name: str) -> None:
        """Its kinds go back to the default pool (jobs already started finish where they are)."""
        lane = self._lanes.get(name)
        if lane is not None:
            lane.kinds.clear()

    def lane_of(self, kind: str) -> str | None:
        return next((n for n, lane in self._lanes.items() if kind in lane.kinds), None)

    def _pools(self) -> list[QThreadPool]:
        return [self.pool] + [lane.pool for lane in self._lanes.values()]

    def submit(self, kind: str, fn: Job, *, supersede: bool = True, priority: int = 0) -> int:
        job_id = next(self._ids)
        if supersede and kind in self._latest:
            self.cancel(self._latest[kind])
        self._latest[kind] = job_id
        token = CancelToken()
        self._tokens[job_id] = token
        self._kinds[job_id] = kind
        name = self.lane_of(kind)
        lane = self._lanes[name] if name is not None else None
        pool = lane.pool if lane is not None else self.pool
        gate = self.gate if lane is not None and lane.foreground else None
        pool.start(_Runnable(job_id, kind, fn, token, self._signals, gate), priority)
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

    def busy(self, lane: str | None = None) -> bool:
        """Any job unfinished (not yet reported), or any of the lane `lane`."""
        if lane is None:
            return bool(self._tokens)
        return any(self.lane_of(k) == lane for k in self._kinds.values())

    def wait(self, msecs: int = -1) -> bool:
        deadline = QDeadlineTimer(msecs) if msecs >= 0 else QDeadlineTimer(QDeadlineTimer.ForeverConstant.Forever)
        return all([p.waitForDone(deadline) for p in self._pools()])

    def shutdown(self, msecs: int = 5000) -> None:
        # No pool.clear(): a queued job whose token is cancelled returns at once and still
        # reports `cancelled`, so `busy()` ends false instead of keeping its token forever.
        self.cancel_all()
        self.wait(msecs)

    def _on_finished(self, job_id: int, kind: str, result: object) -> None:
        self._tokens.pop(job_id, None)
        self._kinds.pop(job_id, None)
        if self.is_current(job_id, kind):
            self.finished.emit(job_id, kind, result)

    def _on_cancelled(self, job_id: int, kind: str) -> None:
        self._tokens.pop(job_id, None)
        self._kinds.pop(job_id, None)
        self.cancelled.emit(job_id, kind)

    def _on_failed(self, error: JobError) -> None:
        self._tokens.pop(error.job_id, None)
        self._kinds.pop(error.job_id, None)
        if self.is_current(error.job_id, error.kind):
            self.failed.emit(error)

    def _on_progress(self, job_id: int, kind: str, done: int, total: int, message: str) -> None:
        if self.is_current(job_id, kind):
            self.progress.emit(job_id, kind, done, total, message)
