"""Batch pre-labelling of a project with an image segmenter (Qt-free; the CLI and the GUI worker
run this same code).

Choices (see docs/models.md):
* Results become instances with source "model" and the model's score; classes map to project
  categories by name, created on demand.
* Re-running replaces the earlier *model* instances of an image and keeps manual and imported
  ones.  Status: new -> prelabelled; images already in progress, in review or done keep their
  status (a pre-label never demotes human work).
* Every run is a `model_runs` row holding the list of images to do; the ids done so far are
  saved every few images, so an interrupted or cancelled run resumes where it stopped.
* Images are decoded one step ahead on a helper thread while the model runs; segmenters with
  `segment_many` can get small batches (--batch; default 1, batching measured no faster on CPU).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from segstudio.core.instance import Instance
from segstudio.core.tasks import Cancelled, CancelToken, ProgressFn, report
from segstudio.inference.base import ModelError, SegmentationResult

SCOPES = ("all", "unlabelled", "selected")


@dataclass
class PrelabelReport:
    run_id: int
    done: int = 0
    skipped: int = 0
    instances: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cancelled: bool = False
    resumed_from: int = 0

    @property
    def images_per_second(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0


def select_images(project: Any, scope: str, selected: Sequence[int] = ()) -> list[int]:
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}; expected one of {SCOPES}")
    if scope == "selected":
        return [int(i) for i in selected]
    ids = [r.id for r in project.images() if r.kind == "image"]
    if scope == "unlabelled":
        labelled = {
            int(r[0]) for r in project.conn.execute("SELECT DISTINCT image_id FROM instances WHERE label_set='gt'")
        }
        ids = [i for i in ids if i not in labelled and project.image(i).status == "new"]
    return ids


def _unfinished_run(project: Any, model_id: str, scope: str) -> tuple[int, list[int], set[int]] | None:
    row = project.conn.execute(
        "SELECT id, params, metrics FROM model_runs WHERE model_id=? AND kind='prelabel' "
        "AND status IN ('running', 'cancelled') ORDER BY id DESC LIMIT 1",
        (model_id,),
    ).fetchone()
    if row is None:
        return None
    params, metrics = json.loads(row[1] or "{}"), json.loads(row[2] or "{}")
    if params.get("scope") != scope:
        return None
    return int(row[0]), [int(i) for i in params.get("image_ids", [])], set(metrics.get("done", []))


def _save_progress(project: Any, run_id: int, done: set[int], status: str | None = None, **extra) -> None:
    metrics = json.dumps({"done": sorted(done), **extra})
    with project.transaction() as c:  # waits for another process's write visibly (store.locking)
        if status is None:
            c.execute("UPDATE model_runs SET metrics=? WHERE id=?", (metrics, run_id))
        else:
            c.execute(
                "UPDATE model_runs SET metrics=?, status=?, finished_at=? WHERE id=?",
                (metrics, status, time.time(), run_id),
            )


def apply_result(project: Any, image_id: int, result: SegmentationResult, model_id: str,
                 background: Sequence[str] = ()) -> int:
    """Write a model result as the image's model instances; returns how many were written.
    One transaction: the instances kept are read under the lock that writes the new ones, so
    an edit made meanwhile in the GUI (another process) is never overwritten."""
    with project.transaction():
        return _apply_result(project, image_id, result, model_id, background)


def _apply_result(project: Any, image_id: int, result: SegmentationResult, model_id: str,
                  background: Sequence[str]) -> int:
    rec = project.image(image_id)
    existing = project.load_instances(image_id)
    kept = [i for i in existing if i.source != "model"]
    next_id = max((i.id for i in existing), default=0) + 1
    cats = project.categories()
    new = []
    for det in result.all_instances(min_area=1, background=tuple(background)):
        if det.mask.image_shape != rec.shape:  # said, never dropped in silence
            h, w = det.mask.image_shape
            raise ModelError(f"{project.image_path(rec)}: the model's mask is {w}x{h}, the project "
                             f"records the image as {rec.width}x{rec.height}; nothing written")
        if det.mask.is_empty:
            continue
        cat = cats.by_name(det.class_name)
        if cat is None:  # classes become categories on demand
            cat = project.add_category(det.class_name)
            cats.put(cat)
        new.append(Instance(next_id, cat.id, det.mask, "model", round(float(det.score), 4),
                            {"model": model_id}))
        next_id += 1
    with project.transaction():
        project.replace_instances(image_id, kept + new)
        if rec.status in ("new", "prelabelled"):
            project.set_status(image_id, "prelabelled")
    return len(new)


def _load_rgb(project: Any, image_id: int) -> np.ndarray:
    from segstudio.io.images import load_image

    return load_image(project.image_path(image_id)).rgb8()


def _loaded(project: Any, ids: Sequence[int], pool: ThreadPoolExecutor) -> Iterator[tuple[int, Any]]:
    """(image id, rgb or the exception) in order, decoding the next image while one is used."""
    futures: list[tuple[int, Future]] = []
    it = iter(ids)
    for _ in range(2):
        i = next(it, None)
        if i is not None:
            futures.append((i, pool.submit(_load_rgb, project, i)))
    while futures:
        i, f = futures.pop(0)
        nxt = next(it, None)
        if nxt is not None:
            futures.append((nxt, pool.submit(_load_rgb, project, nxt)))
        try:
            yield i, f.result()
        except Exception as exc:  # a corrupt or missing image is reported, not fatal
            yield i, exc


def prelabel_project(
    project: Any,
    model: Any,
    scope: str = "unlabelled",
    selected: Sequence[int] = (),
    resume: bool = True,
    batch: int = 1,
    background: Sequence[str] = (),
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
) -> PrelabelReport:
    """Pre-label the images of `scope` with `model` (an ImageSegmenter)."""
    model_id = getattr(model, "model_id", type(model).__name__)
    prior = _unfinished_run(project, model_id, scope) if resume and scope != "selected" else None
    if prior is not None:
        run_id, ids, done = prior
        with project.transaction() as c:
            c.execute("UPDATE model_runs SET status='running' WHERE id=?", (run_id,))
    else:
        ids = select_images(project, scope, selected)
        done = set()
        with project.transaction() as c:
            cur = c.execute(
                "INSERT INTO model_runs(model_id, kind, params, status, created_at) VALUES (?,?,?,?,?)",
                (model_id, "prelabel", json.dumps({"scope": scope, "image_ids": ids}), "running", time.time()),
            )
        run_id = int(cur.lastrowid)
    rep = PrelabelReport(run_id, resumed_from=len(done))
    todo = [i for i in ids if i not in done]
    total = len(ids)
    t0 = time.perf_counter()
    many = getattr(model, "segment_many", None)
    batch = max(1, batch if many is not None else 1)
    report(progress, len(done), total, "starting")
    pending: list[tuple[int, np.ndarray]] = []

    def flush() -> None:
        if not pending:
            return
        if many is not None and len(pending) > 1:
            results = many([im for _, im in pending], cancel)
        else:
            results = [model.segment(im, cancel) for _, im in pending]
        for (iid, _), res in zip(pending, results):
            try:
                rep.instances += apply_result(project, iid, res, model_id, background)
                rep.done += 1
            except ModelError as exc:
                rep.errors.append(str(exc))
                rep.skipped += 1
            done.add(iid)
        pending.clear()
        if rep.done % 16 < batch:
            _save_progress(project, run_id, done)
        report(progress, len(done), total, f"{rep.done} images")

    try:
        with ThreadPoolExecutor(1, thread_name_prefix="prelabel-io") as pool:
            for iid, rgb in _loaded(project, todo, pool):
                if cancel is not None:
                    cancel.check()
                if isinstance(rgb, Exception):
                    rep.errors.append(f"{project.image_path(iid)}: {rgb}")
                    rep.skipped += 1
                    done.add(iid)
                    continue
                pending.append((iid, rgb))
                if len(pending) >= batch:
                    flush()
            flush()
    except Cancelled:
        rep.cancelled = True
        rep.seconds = time.perf_counter() - t0
        _save_progress(project, run_id, done, "cancelled")
        return rep
    rep.seconds = time.perf_counter() - t0
    _save_progress(project, run_id, done, "done", images_per_second=round(rep.images_per_second, 3),
                   errors=rep.errors[:50])
    report(progress, total, total, "done")
    return rep
