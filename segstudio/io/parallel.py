"""Ordered chunk work on a small process pool: the COCO RLE fast paths use every core.

* Processes, not threads: the numpy kernels run on cache-sized chunks and spend much of their
  time in Python between numpy calls (holding the GIL), so threads barely scale.
* Fork server (spawn where there is none): exports run in a GUI worker thread, and forking a
  process that has threads can deadlock the child.  The fork server is a fresh
  single-threaded process, started once per session with numpy and the kernels preloaded
  (~0.25 s); every later pool forks from it in ~30 ms.  As with any `multiprocessing` use, a
  script calling this must have the `if __name__ == "__main__":` guard (the `segstudio`
  command, the app and pytest have it); without it each worker re-runs the script's top level
  and fails, and the work runs inline.
* A pipeline, not a barrier: `ChunkPool.imap` submits a few tasks at once and yields results
  in submission order as they arrive, so the caller keeps doing its serial work (SQLite reads
  and inserts, JSON formatting and writing) while the workers convert the next chunks.
* Small jobs run inline (`workers_for`): a pool is not worth its start-up below a threshold.
* Workers exit with the process that owns the pool, even when it is killed (`io.lifeline`);
  the fork server and the resource tracker then exit by themselves.

`SEGSTUDIO_IO_WORKERS=N` sets the worker count of jobs above the threshold (0: always inline).
multiprocessing is imported only when a pool starts (it costs ~35 ms of start-up otherwise).
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

log = logging.getLogger(__name__)

WORKERS_ENV = "SEGSTUDIO_IO_WORKERS"
MAX_WORKERS = 8  # beyond this the callers' serial part dominates anyway
# imported once by the fork server, so each worker starts with them loaded
PRELOAD = ["numpy", "segstudio.io.rle_batch", "segstudio.io.coco_blocks", "segstudio.io.polygon_blocks"]
# the compiled polygon kernels (`io.polygon_jit`), for a fork server started by a job that
# draws polygons (`warm_up(jit=True)`): loaded once there (~0.4 s), not in every worker, and
# not by the fork servers of other jobs
JIT_PRELOAD = "segstudio.io._jit_preload"
_jit_wanted = False
_server_jit = False  # the running fork server was started with JIT_PRELOAD

M = TypeVar("M")
R = TypeVar("R")
T = TypeVar("T")

_worker_cpu_total = 0.0  # CPU seconds of the workers of closed pools


def cpu_count() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def workers_for(items: int, threshold: int, limit: int = MAX_WORKERS) -> int:
    """Worker processes for a job of `items` items: one per core, at most `limit` (more would
    idle when the caller's own serial work bounds the job); 0 (inline) below `threshold` or on
    one core."""
    if items < threshold:
        return 0
    env = os.environ.get(WORKERS_ENV, "").strip()
    if env.isdigit():
        return min(int(env), MAX_WORKERS)
    n = cpu_count()
    return 0 if n < 2 else min(n, limit, MAX_WORKERS)


def worker_cpu_seconds() -> float:
    """CPU seconds spent by the workers of this process's closed pools, for benchmarks: workers
    are children of the fork server, not of this process, so `os.times()` does not see them."""
    return _worker_cpu_total


def _context():
    import multiprocessing

    _stop_helpers_at_exit()
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        from segstudio.io import polygon_jit

        global _server_jit
        jit = _jit_wanted and polygon_jit.enabled()
        if not _server_running():  # the list set now is the one the server starts with
            _server_jit = jit
        ctx.set_forkserver_preload(PRELOAD + ([JIT_PRELOAD] if jit else []))  # no effect once it runs
        return ctx
    return multiprocessing.get_context("spawn")


_stop_registered = False


def _stop_helpers_at_exit() -> None:
    """Stop the helpers when this process exits normally (once registered)."""
    global _stop_registered
    if _stop_registered:
        return
    _stop_registered = True
    from multiprocessing import util

    # a multiprocessing finalizer run after the others (semaphores unregistering from the
    # resource tracker would start a new one) but before multiprocessing's temporary folder,
    # which holds the fork server's socket, is removed (priority -100)
    util.Finalize(None, stop_helpers, exitpriority=-99)


def stop_helpers() -> None:
    """Stop the fork server and the resource tracker this process started, and wait for them.

    Both exit by themselves once this process has gone (they read end-of-file from it), but
    only a moment later: a command that returned would leave processes of ours running.  Runs
    at exit once a pool has been used; harmless when they never started."""
    from multiprocessing import forkserver, resource_tracker

    # private stdlib helpers: never fail an exit over them
    helpers: tuple[tuple[str, Any], ...] = (("fork server", forkserver._forkserver),
                                            ("resource tracker", resource_tracker._resource_tracker))
    for name, helper in helpers:
        try:
            helper._stop()  # closes its lifeline and waits for it to exit
        except Exception:
            log.debug("stopping the %s failed", name, exc_info=True)


def warm_up(jit: bool = False, wait: bool = False) -> None:
    """Start the fork server in a background thread (it imports numpy: ~0.25 s, mostly in its
    own process), so a pool needed a moment later starts at once; no-op without a fork server
    or when it already runs.  `jit`: the job draws polygons; the server also loads the
    compiled kernels (a server already running without them is started again, once).
    `wait`: start it in this thread."""
    global _jit_wanted
    _jit_wanted = _jit_wanted or jit

    def start() -> None:
        try:
            if _context().get_start_method() == "forkserver":
                from multiprocessing import forkserver

                if jit and _server_running() and not _server_jit:
                    # started by another job without the kernels: start it again with them
                    # (once a session), rather than have every worker load them (~0.4 s each)
                    server: Any = forkserver._forkserver  # private, as in stop_helpers
                    server._stop()
                    _context()
                forkserver.ensure_running()
        except Exception:  # the pool will try again, and report, when it is really needed
            log.debug("fork server warm-up failed", exc_info=True)

    if wait:
        start()
        return
    import threading

    threading.Thread(target=start, name="forkserver-warm-up", daemon=True).start()


def _server_running() -> bool:
    from multiprocessing import forkserver

    return getattr(forkserver._forkserver, "_forkserver_pid", None) is not None  # private, as in stop_helpers


def _init_worker(owner_pid: int) -> None:
    """Exit with the process that owns the pool (even SIGKILLed: see io.lifeline), and keep
    freed memory in the worker's heap (glibc): the kernels allocate thousands of ~1 MB
    temporaries a second, which a fresh process would map, unmap and trim again and again --
    measured: 4x the page faults and ~25% more CPU than the same work in a warmed-up process."""
    from segstudio.io.lifeline import exit_with

    exit_with(owner_pid)
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD: its maximum; larger blocks only
        libc.mallopt(-1, 512 << 20)  # M_TRIM_THRESHOLD: give memory back only past 512 MB
    except (OSError, AttributeError):  # not glibc: its defaults
        pass


def _call(fn: Callable[[Any], R], payload: Any) -> tuple[int, float, R]:
    """Run one task in a worker; report the worker's CPU time so far with the result."""
    result = fn(payload)
    return os.getpid(), time.process_time(), result


class ChunkPool:
    """`with ChunkPool(workers) as pool: for meta, result in pool.imap(fn, tasks): ...`

    `workers == 0` runs every task inline in the caller (same results, same order).
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._ex: ProcessPoolExecutor | None = None
        self._cpu: dict[int, float] = {}

    def __enter__(self) -> ChunkPool:
        if self.workers > 0:
            from concurrent.futures import ProcessPoolExecutor

            self._ex = ProcessPoolExecutor(self.workers, mp_context=_context(),
                                           initializer=_init_worker, initargs=(os.getpid(),))
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(cancel=exc_type is not None)

    def close(self, cancel: bool = False) -> None:
        global _worker_cpu_total
        if self._ex is not None:
            self._ex.shutdown(wait=True, cancel_futures=cancel)
            self._ex = None
            _worker_cpu_total += sum(self._cpu.values())
            self._cpu.clear()

    def imap(
        self, fn: Callable[[Any], R], tasks: Iterable[tuple[M, Any]], ahead: int | None = None
    ) -> Iterator[tuple[M, R]]:
        """(meta, fn(payload)) for each (meta, payload) of `tasks`, in order.

        With workers, the first `ahead` tasks (default: two per worker plus one) are submitted
        at once, before the first `next()`: the workers start while the caller goes on with
        other work.  At most `ahead` tasks are in flight, which bounds memory.  `fn` must be a
        module-level function (pickled by name).  A task's exception is raised here, in order.
        If the pool cannot run at all (a worker died), the remaining tasks run inline.
        """
        if self._ex is None:
            return ((meta, fn(payload)) for meta, payload in tasks)
        return _Ordered(self, fn, iter(tasks), ahead or 2 * self.workers + 1)

    def _submit(self, fn: Callable, payload: Any) -> Future:
        assert self._ex is not None
        return self._ex.submit(_call, fn, payload)

    def _result(self, fut: Future) -> Any:
        pid, cpu, result = fut.result()
        self._cpu[pid] = max(cpu, self._cpu.get(pid, 0.0))
        return result


class _Ordered:
    """The iterator behind `ChunkPool.imap` with workers (see there)."""

    def __init__(self, pool: ChunkPool, fn: Callable, tasks: Iterator, window: int) -> None:
        self.pool, self.fn, self.tasks, self.window = pool, fn, tasks, window
        self.pending: deque[tuple[Any, Any, Future | None]] = deque()
        self.inline = False
        self._fill()

    def _fill(self) -> None:
        while len(self.pending) < self.window:
            try:
                meta, payload = next(self.tasks)
            except StopIteration:
                return
            fut = None if self.inline else self.pool._submit(self.fn, payload)
            self.pending.append((meta, payload, fut))

    def __iter__(self) -> _Ordered:
        return self

    def __next__(self) -> tuple[Any, Any]:
        from concurrent.futures.process import BrokenProcessPool

        if not self.pending:
            raise StopIteration
        meta, payload, fut = self.pending.popleft()
        if fut is None:
            result = self.fn(payload)
        else:
            try:
                result = self.pool._result(fut)
            except BrokenProcessPool:
                log.warning("worker processes failed; converting inline", exc_info=True)
                self.inline = True
                self.pending = deque((m, p, None) for m, p, _ in self.pending)
                result = self.fn(payload)
        self._fill()
        return meta, result


def pooled_blocks(
    fn: Callable[[Any], R], tasks: Iterable[tuple[M, Any]], workers: int, ahead: int,
    take: Callable[[M, R], T],
) -> tuple[Iterator[T], Callable[[], None]]:
    """`take(meta, fn(payload))` for each task, in order, computed by `workers` processes (0:
    inline), and a function stopping early.  The first `ahead` tasks are submitted right here,
    so the workers run while the caller goes on.  The pool closes when the blocks end; when they
    fail (in a worker or in `take`) or are stopped, the tasks still queued are cancelled."""
    pool = ChunkPool(workers).__enter__()
    results = pool.imap(fn, tasks, ahead=ahead)

    def blocks() -> Generator[T, None, None]:
        finished = False
        try:
            for meta, result in results:
                yield take(meta, result)
            finished = True
        finally:
            pool.close(cancel=not finished)

    gen = blocks()

    def stop() -> None:
        gen.close()
        pool.close(cancel=True)

    return gen, stop
