"""Training in a separate process, so the GUI stays smooth and a crash (out of memory, a
native fault in torch) cannot take the app down.

The child is `python -m segstudio.training.worker`; its stdout is a stream of JSON lines
(events: start, step, epoch, warning, early_stop, finished, error), read by a thread into a
queue that the GUI drains on a timer.  Cancel writes "cancel" to the child's stdin; if the
parent dies, the child sees end-of-file and stops after saving what it has.  Qt-free, so the
CLI and the tests drive it the same way.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path
from typing import Any


class TrainingProcess:
    def __init__(self, project_root: str | Path, run_id: int, *, resume: bool = False,
                 device: str | None = None, env: dict[str, str] | None = None) -> None:
        self.project_root = Path(project_root)
        self.run_id = run_id
        self.resume = resume
        self.device = device
        self.env = env
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.final: dict[str, Any] | None = None
        self._proc: subprocess.Popen | None = None
        self._stderr_tail: deque[str] = deque(maxlen=40)
        self._threads: list[threading.Thread] = []

    def start(self) -> TrainingProcess:
        cmd = [sys.executable, "-m", "segstudio.training.worker", str(self.project_root), str(self.run_id)]
        if self.resume:
            cmd.append("--resume")
        if self.device:
            cmd += ["--device", self.device]
        env = dict(os.environ) | (self.env or {})
        env.setdefault("PYTHONUNBUFFERED", "1")
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8", env=env, bufsize=1,
        )
        for target, name in ((self._read_stdout, "train-events"), (self._read_stderr, "train-stderr")):
            t = threading.Thread(target=target, daemon=True, name=name)
            t.start()
            self._threads.append(t)
        return self

    # ----------------------------------------------------------------- reading
    def _read_stdout(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                self._stderr_tail.append(line)  # stray prints from libraries
                continue
            if event.get("type") in ("finished", "error"):
                self.final = event
            self.events.put(event)
        code = self._proc.wait()
        if self.final is None or (code != 0 and self.final.get("type") != "error"):
            # The child died without saying why (killed, native crash): say it for it.
            tail = "".join(self._stderr_tail).strip()[-2000:]
            event = {"type": "error", "message": f"training process exited with code {code}"
                     + (f": {tail.splitlines()[-1]}" if tail else ""), "traceback": tail}
            self.final = event
            _mark_failed(self.project_root, self.run_id, event["message"])
            self.events.put(event)
        self.events.put({"type": "exit", "code": code})

    def _read_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr_tail.append(line)

    def poll(self) -> list[dict[str, Any]]:
        """Every event received since the last call (non-blocking)."""
        out = []
        while True:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                return out

    # ----------------------------------------------------------------- control
    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self._proc is None else self._proc.poll()

    def cancel(self) -> None:
        """Ask the child to stop after the current step (it keeps its last checkpoint)."""
        if self._proc is None or self._proc.stdin is None:
            return
        try:
            self._proc.stdin.write("cancel\n")
            self._proc.stdin.flush()
            self._proc.stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            pass

    def kill(self) -> None:
        if self.running:
            assert self._proc is not None
            self._proc.kill()

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the child and its reader threads; returns the exit code."""
        assert self._proc is not None
        code = self._proc.wait(timeout)
        for t in self._threads:
            t.join(timeout)
        return code


def _mark_failed(project_root: Path, run_id: int, message: str) -> None:
    from segstudio.store import Project, ProjectError
    from segstudio.training.runs import RunError, get_run, update_run

    try:
        with Project.open(project_root) as project:
            if get_run(project, run_id).status in ("running", "queued"):
                update_run(project, run_id, status="failed", artefacts={"error": message})
    except (ProjectError, RunError, OSError):
        pass
