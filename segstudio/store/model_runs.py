"""The `model_runs` table: one row per pre-label pass of a model over a project.

`RunMetrics` is the one schema of the row's `metrics` JSON, written and read only here:

    {"done": [image ids finished so far],              # an interrupted run resumes after them
     "uncertainty": {"<image id>": {"entropy": e, "margin": m}},   # models that report it
     "images_per_second": r, "errors": ["<file>: <why>", ...]}

`latest_uncertainty` merges every pass, the newest value of each image winning, so a plain
pre-label (no uncertainty) never hides what an earlier pass measured.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from segstudio.store.project import Project
from segstudio.store.rows import inserted_id

PRELABEL = "prelabel"
UNCERTAINTY_KEYS = ("entropy", "margin")
MAX_ERRORS = 50  # errors kept in a run's metrics


@dataclass
class RunMetrics:
    done: list[int] = field(default_factory=list)
    uncertainty: dict[int, dict[str, float]] = field(default_factory=dict)
    images_per_second: float | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def order(self) -> list[int]:
        """Image ids, least certain (highest entropy) first."""
        return sorted(self.uncertainty, key=lambda i: -self.uncertainty[i].get("entropy", 0.0))

    def to_json(self) -> str:
        out: dict[str, Any] = {"done": sorted(self.done)}
        if self.uncertainty:
            out["uncertainty"] = {str(i): s for i, s in self.uncertainty.items()}
            out["order"] = self.order  # for readers of the database other than SegStudio
        if self.images_per_second is not None:
            out["images_per_second"] = round(self.images_per_second, 3)
        if self.errors:
            out["errors"] = self.errors[:MAX_ERRORS]
        return json.dumps(out)

    @classmethod
    def from_json(cls, text: str | None) -> RunMetrics:
        """Tolerant: what does not fit the schema is left out (a row another tool wrote)."""
        try:
            raw = json.loads(text or "{}")
        except ValueError:
            return cls()
        if not isinstance(raw, dict):
            return cls()
        m = cls()
        done = raw.get("done")
        if isinstance(done, list):
            m.done = [int(i) for i in done if isinstance(i, int)]
        unc = raw.get("uncertainty")
        if isinstance(unc, dict):
            for key, stats in unc.items():
                try:
                    iid = int(key)
                    if isinstance(stats, dict):
                        m.uncertainty[iid] = {k: float(stats[k]) for k in UNCERTAINTY_KEYS if k in stats}
                    else:  # a bare number: the entropy
                        m.uncertainty[iid] = {"entropy": float(stats)}
                except (TypeError, ValueError):
                    continue
        if isinstance(raw.get("images_per_second"), (int, float)):
            m.images_per_second = float(raw["images_per_second"])
        if isinstance(raw.get("errors"), list):
            m.errors = [str(e) for e in raw["errors"]]
        return m


@dataclass(frozen=True)
class ModelRun:
    id: int
    model_id: str
    kind: str
    params: dict[str, Any]
    status: str
    metrics: RunMetrics


def start_model_run(project: Project, model_id: str, params: dict[str, Any], kind: str = PRELABEL) -> int:
    with project.transaction() as c:
        cur = c.execute(
            "INSERT INTO model_runs(model_id, kind, params, status, created_at) VALUES (?,?,?,?,?)",
            (model_id, kind, json.dumps(params), "running", time.time()),
        )
        return inserted_id(cur)


def unfinished_model_run(project: Project, model_id: str, scope: str, kind: str = PRELABEL) -> ModelRun | None:
    """The newest run of `model_id` over `scope` that stopped before the end, if any."""
    row = project.conn.execute(
        "SELECT id, params, status, metrics FROM model_runs WHERE model_id=? AND kind=?"
        " AND status IN ('running', 'cancelled') ORDER BY id DESC LIMIT 1",
        (model_id, kind),
    ).fetchone()
    if row is None:
        return None
    try:
        params = json.loads(row[1] or "{}")
    except ValueError:
        return None
    if not isinstance(params, dict) or params.get("scope") != scope:
        return None
    return ModelRun(int(row[0]), model_id, kind, params, row[2], RunMetrics.from_json(row[3]))


def save_model_run(project: Project, run_id: int, metrics: RunMetrics, status: str | None = None) -> None:
    """Store the metrics so far; with a status (running, done, cancelled) set it too, and the
    finishing time unless it is running again."""
    with project.transaction() as c:  # waits for another process's write visibly (store.locking)
        if status is None:
            c.execute("UPDATE model_runs SET metrics=? WHERE id=?", (metrics.to_json(), run_id))
        else:
            finished = None if status == "running" else time.time()
            c.execute("UPDATE model_runs SET metrics=?, status=?, finished_at=? WHERE id=?",
                      (metrics.to_json(), status, finished, run_id))


def latest_uncertainty(project: Project, kind: str = PRELABEL) -> dict[int, dict[str, float]]:
    """Per-image uncertainty over every run of `kind`, the newest value of each image winning."""
    merged: dict[int, dict[str, float]] = {}
    rows = project.conn.execute(
        "SELECT metrics FROM model_runs WHERE kind=? ORDER BY created_at, id", (kind,)
    )
    for (text,) in rows:
        merged.update(RunMetrics.from_json(text).uncertainty)
    return merged
