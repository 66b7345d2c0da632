"""Close the loop: pre-label the images nobody has worked on with a trained model, and order
the review queue by the model's uncertainty, least certain first.

Per-image uncertainty (mean normalised entropy and mean top-2 margin) is stored in the
`model_runs` row of the pre-label pass (`metrics.uncertainty[image_id]`), so the schema is
unchanged and every pass is kept: `review_order` reads the latest one.  Each pre-labelled
instance also carries the image's entropy as its `uncertainty` attribute, the key the
review queue of `segstudio.eval` sorts by.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from segstudio.core.geometry import connected_parts
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.store import Project
from segstudio.training.data import load_rgb

PRELABEL_KIND = "prelabel"
UNCERTAINTY_KEYS = ("entropy", "margin")


def _category_for(project: Project, card, name: str, fallback: int | None) -> int | None:
    cats = project.categories()
    if name == "foreground":
        wanted = card.training.get("foreground_category")
        c = cats.by_name(wanted) if wanted else None
        return c.id if c else fallback
    c = cats.by_name(name)
    return c.id if c else None


def prelabel_project(
    project: Project,
    model: Any,
    *,
    image_ids: Sequence[int] | None = None,
    statuses: Sequence[str] = ("new", "prelabelled"),
    category_id: int | None = None,
    min_area: int = 16,
    split_parts: bool | None = None,
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Pre-label images (default: status new or prelabelled; human work is never overwritten).

    `model` is a card path / TrainedCard / segmenter with `segment_with_uncertainty`.
    Semantic models give one instance per class present; foreground models one instance per
    connected part (`split_parts`).  Returns {"images", "order", "uncertainty", "model_run"}.
    """
    from segstudio.training.predict import TrainedSegmenter

    seg = model if hasattr(model, "segment_with_uncertainty") else TrainedSegmenter(model)
    card = seg.card
    split = (card.kind == "foreground") if split_parts is None else split_parts
    if image_ids is not None:
        records = [project.image(i) for i in image_ids]
    else:
        records = [r for r in project.images() if r.status in statuses and r.kind == "image"]
    records = [r for r in records if r.status in ("new", "prelabelled")]
    now = time.time()
    cur = project.conn.execute(
        "INSERT INTO model_runs(model_id, kind, params, status, created_at) VALUES (?,?,?,?,?)",
        (seg.model_id, PRELABEL_KIND, json.dumps({"card": str(card.path), "min_area": min_area,
                                                   "training_run": card.training.get("run_id")}),
         "running", now),
    )
    model_run = int(cur.lastrowid)
    scores: dict[str, dict[str, float]] = {}
    status = "done"
    try:
        for k, rec in enumerate(records):
            if cancel is not None:
                cancel.check()
            report(progress, k, len(records), rec.name)
            rgb = load_rgb(project, rec)
            result, stats = seg.segment_with_uncertainty(rgb, cancel)
            scores[str(rec.id)] = stats
            instances = _instances(project, card, result, stats, category_id, min_area, split, model_run)
            with project.transaction():
                project.replace_instances(rec.id, instances)
                project.set_status(rec.id, "prelabelled")
    except BaseException:
        status = "cancelled"
        raise
    finally:
        order = sorted(scores, key=lambda i: -scores[i]["entropy"])
        project.conn.execute(
            "UPDATE model_runs SET status=?, finished_at=?, metrics=? WHERE id=?",
            (status, time.time(), json.dumps({"uncertainty": scores, "order": [int(i) for i in order]}), model_run),
        )
    report(progress, len(records), len(records), "done")
    return {"images": len(records), "order": [int(i) for i in order], "uncertainty": scores, "model_run": model_run}


def _instances(project, card, result, stats, category_id, min_area, split, model_run) -> list[Instance]:
    out: list[Instance] = []
    cmap = result.class_map
    for idx in np.unique(cmap):
        name = result.class_names[int(idx)]
        if name == "background":
            continue
        cid = _category_for(project, card, name, category_id)
        if cid is None:
            continue
        whole = MaskPatch.from_full(cmap == idx)
        for part in connected_parts(whole) if split else [whole]:
            if part.area < min_area:
                continue
            score = None
            if result.class_scores is not None:
                score = float(result.class_scores[part.y0 : part.y1, part.x0 : part.x1][part.data].mean())
            out.append(Instance(len(out) + 1, cid, part, "model", score,
                                # "uncertainty" is what segstudio.eval's review queue sorts by
                                {"model": card.name, "model_run": model_run,
                                 "uncertainty": round(stats["entropy"], 6),
                                 "margin": round(stats["margin"], 6)}))
    return out


def review_order(project: Project, metric: str = "entropy") -> list[tuple[int, float]]:
    """(image id, uncertainty) from the latest pre-label pass, least certain first.
    entropy: higher = less certain; margin: lower = less certain."""
    if metric not in UNCERTAINTY_KEYS:
        raise ValueError(f"unknown uncertainty metric {metric!r}; use one of {UNCERTAINTY_KEYS}")
    latest: dict[int, float] = {}
    rows = project.conn.execute(
        "SELECT metrics FROM model_runs WHERE kind=? ORDER BY id", (PRELABEL_KIND,)
    )
    for (text,) in rows:
        try:
            unc = json.loads(text).get("uncertainty", {})
        except (json.JSONDecodeError, AttributeError):
            continue
        for iid, stats in unc.items():
            if isinstance(stats, dict) and metric in stats:
                latest[int(iid)] = float(stats[metric])
    existing = {r.id for r in project.images()}
    items = [(i, v) for i, v in latest.items() if i in existing]
    return sorted(items, key=lambda t: -t[1] if metric == "entropy" else t[1])


def card_for_run(project_root: Path, run_id: int) -> Path:
    from segstudio.training.runs import run_dir

    return run_dir(Path(project_root), run_id) / "card.yaml"
