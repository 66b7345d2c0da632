"""A dependency-free progress bar for long CLI work (stderr; quiet when not a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    def __init__(self, total: int, label: str = "", stream: TextIO | None = None, enabled: bool | None = None,
                 lines_every: float = 0.0) -> None:
        """`lines_every` > 0: when the stream is not a terminal (a log file, a pipe), write a
        plain progress line at most every that many seconds instead of staying quiet."""
        self.total = max(0, total)
        self.label = label
        self.stream = stream or sys.stderr
        tty = self.stream.isatty()
        self.enabled = tty if enabled is None else enabled
        self.lines_every = 0.0 if tty else lines_every
        self.done = 0
        self._start = time.monotonic()
        self._last = 0.0
        self._first: tuple[float, int] | None = None  # (when, done) at the first report

    def eta(self) -> float | None:
        """Seconds left at this run's own rate, or None before there is one.  Counted from
        the first report, so a resumed job's earlier images (and start-up before the first
        report, such as a cluster's) do not make the estimate look shorter than it is."""
        if self._first is None or self.done >= self.total:
            return None
        since, first_done = self._first
        made = self.done - first_done
        if made <= 0:
            return None
        return (time.monotonic() - since) / made * (self.total - self.done)

    def __call__(self, done: int, total: int | None = None, message: str = "") -> None:
        """Usable directly as a progress callback: (done, total, message)."""
        if total is not None:
            self.total = total
        self.done = done
        now = time.monotonic()
        if self._first is None:
            self._first = (now, done)
        if self.lines_every > 0:
            if now - self._last >= self.lines_every or done >= self.total:
                self._last = now
                self._line(message)
        elif self.enabled and (now - self._last > 0.1 or done >= self.total):
            self._last = now
            self._draw(message)

    def _line(self, message: str) -> None:
        elapsed = time.monotonic() - self._start
        frac = self.done / self.total if self.total else 1.0
        left = self.eta()
        eta = f", ETA {left:.0f} s" if left is not None else ""
        self.stream.write(f"{self.label}: {self.done}/{self.total} ({frac:.0%}) {elapsed:.0f} s{eta} {message}\n")
        self.stream.flush()

    def advance(self, n: int = 1, message: str = "") -> None:
        self(self.done + n, None, message)

    def _draw(self, message: str) -> None:
        total = self.total or 1
        frac = min(1.0, self.done / total)
        width = 30
        filled = int(frac * width)
        left = self.eta()
        eta = f"ETA {left:5.1f}s" if left is not None else "ETA   ...."
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(
            f"\r{self.label} [{bar}] {self.done}/{self.total} {frac:4.0%} {eta} {message[:30]:<30}"
        )
        if self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.done < self.total:
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class LockWaitReporter:
    """Says on stderr that a writer waits for another process's write lock: once when the wait
    starts, then every `every` seconds, and when it ends (store.locking calls it).  Printed
    whether or not stderr is a terminal: a command that seems to hang must say why."""

    def __init__(self, command: str, stream: TextIO | None = None, every: float = 5.0) -> None:
        self.command = command
        self.stream = stream or sys.stderr
        self.every = every
        self._said_at: float | None = None

    def __call__(self, waited: float | None) -> None:
        if waited is None:
            if self._said_at is not None:
                self.stream.write(f"segstudio {self.command}: the other process finished; going on\n")
                self.stream.flush()
            self._said_at = None
            return
        if self._said_at is not None and waited - self._said_at < self.every:
            return
        self._said_at = waited
        self.stream.write(f"segstudio {self.command}: waiting for another SegStudio process to "
                          f"finish writing to the project ({waited:.0f} s)…\n")
        self.stream.flush()
