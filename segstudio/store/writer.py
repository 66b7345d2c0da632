"""The GUI's write path: document edits that never block the caller on another process's lock.

`WritePath(project)` is the `sink` of the documents' persisters.  With nothing queued it runs
each write at once on the caller's connection, waiting at most `QUICK_WAIT_S` for the lock: an
edit is in the database when the gesture ends, as without it.  When another process holds the
write lock, the write goes to a thread of its own (own connection) that waits for the lock,
reporting how long (`on_wait`), and writes the queue in order; later writes queue behind it so
edits keep their order.

If the lock is not released within the wait, or a queued write fails for another reason,
every queued write is dropped and `on_failed(keys, message)` names the documents whose edits
are lost.  Until the caller has shown those documents again as the database holds them and
called `reverted(keys)`, further writes for them are dropped too: they were made on top of
edits the database does not have.  Callbacks run on the writer thread (the GUI forwards them
through queued signals)."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Hashable

from segstudio.store.errors import ProjectError
from segstudio.store.locking import ProjectLocked, WaitReporter, default_wait
from segstudio.store.persister import Write
from segstudio.store.project import Project

log = logging.getLogger(__name__)

QUICK_WAIT_S = 0.005  # the caller's own attempt: at most a few ms on the GUI thread


class WritePath:
    def __init__(self, project: Project, *, wait: float | None = None,
                 on_wait: WaitReporter | None = None,
                 on_failed: Callable[[list[Hashable], str], None] | None = None,
                 on_idle: Callable[[], None] | None = None) -> None:
        self.project = project
        self.wait = default_wait() if wait is None else wait
        self.on_wait = on_wait
        self.on_failed = on_failed
        self.on_idle = on_idle  # the queue emptied with every write done
        self._queue: deque[tuple[Hashable, Write]] = deque()
        self._failed: set[Hashable] = set()
        self._read_only: dict[int, str] = {}  # image id -> why its edits are refused
        self._busy = False  # the thread is writing the queue's first job
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    # ------------------------------------------------------------ caller side
    @property
    def idle(self) -> bool:
        with self._cond:
            return not self._queue and not self._busy

    def pending(self) -> int:
        with self._cond:
            return len(self._queue)

    def __call__(self, key: Hashable, write: Write) -> None:
        """Write now if the lock is free, else queue it.  Raises (nothing written) only when
        the immediate write fails for a reason other than the lock."""
        image_id = key[0] if isinstance(key, tuple) and key else None
        why = self._read_only.get(image_id) if image_id is not None else None
        if why:
            raise ProjectError(why)  # nothing written; the caller shows the saved state
        with self._cond:
            if key in self._failed:
                return  # built on lost edits; the document is about to show the saved state
            if self._closed:
                raise ProjectError(f"{self.project.root}: the project is closing; edit not saved")
            queued = bool(self._queue) or self._busy
        if not queued:
            try:
                with self.project.transaction(wait=QUICK_WAIT_S):
                    write(self.project)
                return
            except ProjectLocked:
                pass
        with self._cond:
            self._queue.append((key, write))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="segstudio-store-writer",
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def set_read_only(self, image_id: int, why: str | None) -> None:
        """Refuse every write to `image_id` with `why` (someone else has it open); None: accept
        them again."""
        if why:
            self._read_only[image_id] = why
        else:
            self._read_only.pop(image_id, None)

    def reverted(self, keys) -> None:
        """The caller shows `keys` as saved again: their new edits are written once more."""
        with self._cond:
            self._failed.difference_update(keys)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queued write is written or dropped; True when idle."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._busy, timeout)

    def close(self) -> None:
        """Finish the queue (waiting for the lock as usual), then stop the thread."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    # ------------------------------------------------------------ thread side
    def _run(self) -> None:
        try:
            own = self.project.reopen()
        except ProjectError as e:
            with self._cond:
                self._thread = None  # the next queued write starts a new one
            self._fail(str(e))
            return
        own.lock_wait = self.wait
        own.on_lock_wait = self.on_wait
        try:
            while True:
                with self._cond:
                    self._cond.wait_for(lambda: self._queue or self._closed)
                    if not self._queue:
                        return  # closed, nothing left
                    _key, write = self._queue[0]
                    self._busy = True
                try:
                    with own.transaction():
                        write(own)
                except (ProjectError, sqlite3.Error) as e:
                    self._fail(str(e))
                    continue
                with self._cond:
                    self._queue.popleft()
                    self._busy = False
                    emptied = not self._queue
                    self._cond.notify_all()
                if emptied and self.on_idle is not None:
                    self.on_idle()
        finally:
            own.close()

    def _fail(self, message: str) -> None:
        with self._cond:  # still busy until the caller is told, so `drain` waits for it
            keys = list(dict.fromkeys(k for k, _ in self._queue))
            self._queue.clear()
            self._failed.update(keys)
            self._busy = True
        log.warning("edits of %s not saved: %s", keys, message)
        try:
            if self.on_failed is not None:
                self.on_failed(keys, message)
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()
