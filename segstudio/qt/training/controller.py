"""Qt side of a training run: starts the Qt-free TrainingProcess, drains its JSON events on a
timer (the GUI thread never blocks) and re-emits them as signals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from segstudio.training.process import TrainingProcess


class TrainingRunner(QObject):
    event = Signal(object)  # every event dict
    finished = Signal(object)  # the final event: finished (status) or error
    running_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, poll_ms: int = 100) -> None:
        super().__init__(parent)
        self.process: TrainingProcess | None = None
        self.run_id: int | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self._poll)

    @property
    def running(self) -> bool:
        return self.process is not None

    def start(self, project_root: str | Path, run_id: int, resume: bool = False) -> None:
        if self.process is not None:
            raise RuntimeError("a training run is already in progress")
        self.run_id = run_id
        self.process = TrainingProcess(project_root, run_id, resume=resume).start()
        self._timer.start()
        self.running_changed.emit(True)

    def cancel(self) -> None:
        if self.process is not None:
            self.process.cancel()

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel and wait (app closing): the child saves its checkpoint and exits."""
        if self.process is None:
            return
        self.process.cancel()
        try:
            self.process.wait(timeout)
        except Exception:
            self.process.kill()
            self.process.wait(5)
        self._poll()

    def _poll(self) -> None:
        proc = self.process
        if proc is None:
            return
        final: dict[str, Any] | None = None
        for e in proc.poll():
            if e["type"] == "exit":
                final = proc.final or {"type": "error", "message": f"exited with code {e['code']}"}
                continue
            self.event.emit(e)
        if final is not None:
            self._timer.stop()
            proc.wait(5)
            self.process = None
            self.running_changed.emit(False)
            self.finished.emit(final)
