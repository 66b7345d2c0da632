"""The `training_runs` table: one row per training run (template, hyperparameters, the data it
saw, status, per-epoch metrics, artefacts).  The run's files live in its folder
(`segstudio.training.runs.run_dir`)."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import Any

from segstudio.store.project import Project
from segstudio.store.rows import inserted_id

RUN_STATUSES = ("queued", "running", "done", "early_stopped", "cancelled", "failed")


class RunError(ValueError):
    """No such run, or a run in a state that does not allow the request."""


@dataclass(frozen=True)
class RunRecord:
    id: int
    template: str
    hyperparams: dict[str, Any]
    data_snapshot: dict[str, Any]
    status: str
    created_at: float
    finished_at: float | None
    metrics: list[dict[str, Any]]
    artefacts: dict[str, Any]

    @property
    def finished(self) -> bool:
        return self.status in ("done", "early_stopped")

    @property
    def resumable(self) -> bool:
        return self.status in ("cancelled", "failed", "running") and "checkpoint" in self.artefacts


def clean_json(value: Any) -> Any:
    """NaN/inf become null so the stored JSON stays standard (SQLite JSON functions, other tools)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    return value


_COLS = "id, template, hyperparams, data_snapshot, status, created_at, finished_at, metrics, artefacts"


def _record(row: tuple) -> RunRecord:
    rid, tpl, hp, snap, status, created, finished, metrics, arte = row
    return RunRecord(int(rid), tpl, json.loads(hp), json.loads(snap), status, created, finished,
                     json.loads(metrics), json.loads(arte))


def create_run(project: Project, template: str, hyperparams: dict[str, Any], snapshot: dict[str, Any]) -> int:
    with project.transaction() as c:
        cur = c.execute(
            "INSERT INTO training_runs(template, hyperparams, data_snapshot, status, created_at)"
            " VALUES (?,?,?,?,?)",
            (template, json.dumps(clean_json(hyperparams)), json.dumps(clean_json(snapshot)), "queued", time.time()),
        )
        return inserted_id(cur)


def get_run(project: Project, run_id: int) -> RunRecord:
    row = project.conn.execute(f"SELECT {_COLS} FROM training_runs WHERE id=?", (run_id,)).fetchone()
    if row is None:
        raise RunError(f"{project.root}: no training run {run_id}")
    return _record(row)


def list_runs(project: Project) -> list[RunRecord]:
    return [_record(r) for r in project.conn.execute(f"SELECT {_COLS} FROM training_runs ORDER BY id")]


def update_run(
    project: Project,
    run_id: int,
    *,
    status: str | None = None,
    metrics: list[dict[str, Any]] | None = None,
    artefacts: dict[str, Any] | None = None,
    finished: bool = False,
) -> None:
    """Update a run in one transaction; `artefacts` are merged into the stored ones."""
    if status is not None and status not in RUN_STATUSES:
        raise ValueError(f"unknown run status {status!r}")
    with project.transaction() as c:
        row = c.execute("SELECT artefacts FROM training_runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            raise RunError(f"{project.root}: no training run {run_id}")
        if status is not None:
            c.execute("UPDATE training_runs SET status=? WHERE id=?", (status, run_id))
        if metrics is not None:
            c.execute("UPDATE training_runs SET metrics=? WHERE id=?", (json.dumps(clean_json(metrics)), run_id))
        if artefacts:
            merged = json.loads(row[0]) | artefacts
            c.execute("UPDATE training_runs SET artefacts=? WHERE id=?", (json.dumps(clean_json(merged)), run_id))
        c.execute("UPDATE training_runs SET finished_at=? WHERE id=?", (time.time() if finished else None, run_id))
