"""Training runs: their rows (`segstudio.store.training_runs`) and their folders on disk.

A run's artefacts live in `<project>/models/run-<id>/`: `last.pt` (resumable checkpoint),
`best.pt` (best weights), `card.yaml` (the model card), exports under `export/`.
"""

from __future__ import annotations

from pathlib import Path

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

__all__ = ["RUN_STATUSES", "RunError", "RunRecord", "clean_json", "create_run", "get_run", "list_runs",
           "run_dir", "update_run"]


def run_dir(project: Project | Path, run_id: int) -> Path:
    root = project.root if isinstance(project, Project) else Path(project)
    return root / "models" / f"run-{run_id}"
