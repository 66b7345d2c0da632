"""The project's write lock: writers wait for it visibly and give up with a one-line error.

SQLite lets one connection write at a time (`BEGIN IMMEDIATE` takes the lock; WAL readers never
wait).  Left to itself, a writer behind another process's long transaction sleeps inside SQLite
for the whole busy timeout and then raises `sqlite3.OperationalError: database is locked`: the
CLI printed a traceback and the GUI froze.  Here the lock is taken in short slices so the
writer can say it is waiting (`on_wait(seconds)`, every ~0.5 s: the CLI prints "waiting for
another SegStudio process", the GUI shows it in the status bar), and after `wait` seconds it
raises `ProjectLocked`, a `ProjectError` whose message is one line naming the database.

`SEGSTUDIO_LOCK_WAIT` (seconds) sets the default wait; statements outside a transaction wait
as long inside SQLite (busy timeout) and then fail with `sqlite3.OperationalError`.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from segstudio.store.errors import ProjectError

DEFAULT_WAIT_S = 60.0
REPORT_EVERY_S = 0.5
_SLICE_MS = 100  # SQLite's own busy wait per attempt: short, so the waiting is reported

# Called with the seconds waited so far (about every REPORT_EVERY_S), then once with None when
# the lock is taken (giving up raises ProjectLocked instead).  Never called when the lock is
# free at once.
WaitReporter = Callable[[float | None], None]
_default_reporter: WaitReporter | None = None


class ProjectLocked(ProjectError):
    """Another process held the project's write lock longer than this writer would wait."""


def default_wait() -> float:
    try:
        return max(0.0, float(os.environ.get("SEGSTUDIO_LOCK_WAIT", DEFAULT_WAIT_S)))
    except ValueError:
        return DEFAULT_WAIT_S


def set_default_reporter(reporter: WaitReporter | None) -> WaitReporter | None:
    """Who hears about waits of projects opened without their own `on_wait`; returns the old."""
    global _default_reporter
    old, _default_reporter = _default_reporter, reporter
    return old


def default_reporter() -> WaitReporter | None:
    return _default_reporter


def is_locked_error(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and (
        "locked" in str(exc) or "busy" in str(exc)
    )


def locked_message(db: Path, waited: float) -> str:
    return (f"{db}: another SegStudio process has held the project's write lock for "
            f"{waited:.0f} s; nothing was written (try again when it has finished)")


def begin_immediate(conn: sqlite3.Connection, db: Path, wait: float,
                    on_wait: WaitReporter | None, busy_ms: int) -> None:
    """`BEGIN IMMEDIATE`, retried for up to `wait` seconds; ProjectLocked after that."""
    start = time.monotonic()
    deadline = start + wait
    reported_at = start
    waited = False
    slice_ms = max(0, min(_SLICE_MS, int(wait * 1000)))
    conn.execute(f"PRAGMA busy_timeout = {slice_ms}")
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as e:
                if not is_locked_error(e):
                    raise
            now = time.monotonic()
            if now >= deadline:
                raise ProjectLocked(locked_message(db, now - start)) from None
            if on_wait is not None and now - reported_at >= REPORT_EVERY_S:
                reported_at = now
                waited = True
                on_wait(now - start)
            if slice_ms == 0:
                time.sleep(min(0.02, max(0.0, deadline - now)))
    finally:
        conn.execute(f"PRAGMA busy_timeout = {busy_ms}")
    if waited and on_wait is not None:
        on_wait(None)
