"""Training runs: their rows (`segstudio.store.training_runs`) and their folders on disk.

A run's artefacts live in `<project>/models/run-<id>/`: `last.pt` (resumable checkpoint),
`best.pt` (best weights), `card.yaml` (the model card), exports under `export/`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from segstudio.store import Project
from segstudio.store.training_runs import (  # the training side's one import of run records
    RUN_STATUSES,
    RunError,
    RunRecord,
    clean_json,
    create_run,
    get_run,
    list_runs,
    update_run,
)

__all__ = ["RUN_STATUSES", "RunError", "RunRecord", "RunRecorder", "clean_json", "create_run", "get_run",
           "list_runs", "run_dir", "update_run"]


def run_dir(project: Project | Path, run_id: int) -> Path:
    root = project.root if isinstance(project, Project) else Path(project)
    return root / "models" / f"run-{run_id}"


class RunRecorder:
    """Keeps a run's record current while a training loop runs (every epoch's metrics and the
    resumable checkpoint, so the record survives a crash of whoever launched it), then records
    how it ended.  The same for every template: the segmentation loop and the click model's."""

    def __init__(self, project: Project, run_id: int, folder: Path, emit: Callable[[dict[str, Any]], None],
                 resume: bool) -> None:
        self.project, self.run_id, self.folder, self._emit = project, run_id, folder, emit
        self.history: list[dict[str, Any]] = list(get_run(project, run_id).metrics) if resume else []

    def _rel(self, path: Path) -> str:
        return str(path.relative_to(self.project.root))

    def on_event(self, event: dict[str, Any]) -> None:
        """The training loop's events: an epoch is recorded, every event is passed on."""
        if event["type"] == "epoch":
            self.history.append({k: v for k, v in event.items() if k != "type"})
            update_run(self.project, self.run_id, metrics=self.history,
                       artefacts={"checkpoint": self._rel(self.folder / "last.pt")})
        self._emit(event)

    def best(self, best_epoch: int) -> dict[str, Any]:
        """The metrics of the best epoch ({} when there is none)."""
        return self.history[best_epoch - 1] if 0 < best_epoch <= len(self.history) else {}

    def _artefacts(self, result: Any) -> dict[str, Any]:
        return {"checkpoint": self._rel(result.checkpoint), "best_epoch": result.best_epoch}

    def stopped(self, result: Any) -> dict[str, Any] | None:
        """Take the loop's result (`status`, `history`, `checkpoint`, `best`, `best_epoch`): a
        cancelled run is recorded and its final event returned; otherwise None (write the
        card, then `finished`)."""
        self.history[:] = result.history
        if result.status != "cancelled":
            return None
        update_run(self.project, self.run_id, status="cancelled", metrics=self.history,
                   artefacts=self._artefacts(result))
        return {"type": "finished", "status": "cancelled", "run_id": self.run_id, "epochs": len(self.history)}

    def finished(self, result: Any, card: Path) -> dict[str, Any]:
        """Record a completed run with its best weights and card; returns the final event."""
        artefacts = self._artefacts(result) | {"weights": self._rel(result.best), "card": self._rel(card)}
        update_run(self.project, self.run_id, status=result.status, metrics=self.history, artefacts=artefacts,
                   finished=True)
        best = self.best(result.best_epoch)
        return {"type": "finished", "status": result.status, "run_id": self.run_id, "epochs": len(self.history),
                "best_epoch": result.best_epoch, "card": str(card),
                "best": {k: v for k, v in best.items() if not isinstance(v, dict)}}
