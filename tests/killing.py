"""SIGKILL a command at a chosen moment and find what it left running (Linux /proc).

`Killable(cmd)` starts the command and records every process descended from it while it runs
(workers, the fork server, the resource tracker: they are reparented once it dies, so they
must be seen before).  `kill()` SIGKILLs the command alone, as the OOM killer or a user's
`kill -9` would; `survivors()` names the recorded processes still alive a few seconds later."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

if not Path("/proc/self/task").is_dir():
    pytest.skip("kill tests read /proc (Linux)", allow_module_level=True)


def descendants(pid: int) -> set[int]:
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        try:
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        for k in map(int, kids):
            if k not in out:
                out.add(k)
                todo.append(k)
    return out


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:100]
    except OSError:
        return "?"


class Killable:
    def __init__(self, args: list[str], env: dict[str, str] | None = None, **popen) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **(env or {})}
        self.proc = subprocess.Popen(args, env=env, **popen)
        self.seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set() and self.proc.poll() is None:
            self.seen |= descendants(self.proc.pid)
            time.sleep(0.01)

    def wait_for(self, condition, timeout: float = 60.0) -> bool:
        """Poll `condition()` until true (True) or the command ended or time ran out (False)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.proc.poll() is None:
            if condition():
                return True
            time.sleep(0.005)
        return False

    def kill(self) -> bool:
        """SIGKILL the command; True if it was still running (a real kill)."""
        self.seen |= descendants(self.proc.pid)
        running = self.proc.poll() is None
        if running:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._stop.set()
        self._thread.join()
        return running

    def survivors(self, grace: float = 5.0) -> list[str]:
        """The processes it started that are still alive after `grace` seconds (killed then)."""
        end = time.monotonic() + grace
        while time.monotonic() < end and any(alive(p) for p in self.seen):
            time.sleep(0.05)
        left = [f"{p}: {cmdline(p)}" for p in sorted(self.seen) if alive(p)]
        for p in self.seen:
            if alive(p):
                with contextlib.suppress(OSError):
                    os.kill(p, signal.SIGKILL)  # never leak them into the rest of the run
        return left
