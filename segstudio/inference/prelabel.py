"""Pre-labelling with an image segmenter: the one implementation behind the CLI
(`segstudio prelabel`, `segstudio train --prelabel`), the GUI's batch dialog and closed loop,
and (through `result_instances`) the GUI's one-image pre-label.

Choices (see docs/models.md):
* Results become instances with source "model" and the model's score; classes map to project
  categories by name, created on demand.  Models whose classes are semantic maps may split a
  class into its connected parts (`split_parts`, foreground models) and drop parts smaller
  than `min_area`.
* Re-running replaces the earlier *model* instances of an image and keeps manual and imported
  ones.  The status follows the one rule of `store.status`: new -> prelabelled, human work is
  never demoted.
* A model that reports its uncertainty (`segment_with_uncertainty`, the trained models) gets it
  stored per image in the run's metrics (the review queue's order) and on each instance.
* Every run is a `model_runs` row holding the list of images to do; the ids done so far are
  saved every few images, so an interrupted or cancelled run resumes where it stopped.
* Images are decoded one step ahead on a helper thread while the model runs; segmenters with
  `segment_many` can get small batches (--batch; default 1, batching measured no faster on CPU).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from segstudio.core.geometry import connected_parts
from segstudio.core.instance import Instance
from segstudio.core.tasks import Cancelled, CancelToken, ProgressFn, report
from segstudio.inference.base import ModelError, SegmentationResult
from segstudio.store import Project
from segstudio.store.model_runs import (
    RunMetrics,
    save_model_run,
    start_model_run,
    unfinished_model_run,
)
from segstudio.store.status import UNWORKED, mark_prelabelled

SCOPES = ("all", "unlabelled", "unworked", "selected")
SAVE_EVERY = 16  # images between two saves of a run's progress

CategoryOf = Callable[[str], "int | None"]  # class name -> category id (None: not labelled)


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
    uncertainty: dict[int, dict[str, float]] = field(default_factory=dict)  # models that report it

    @property
    def images_per_second(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0

    @property
    def order(self) -> list[int]:
        """The images of this run, least certain first (models that report uncertainty)."""
        return RunMetrics(uncertainty=self.uncertainty).order


@dataclass(frozen=True)
class PrelabelOptions:
    """How a result becomes instances."""

    background: tuple[str, ...] = ()  # classes that never become instances
    min_area: int = 1
    split_parts: bool = False  # one instance per connected part of a class


def select_images(project: Project, scope: str, selected: Sequence[int] = ()) -> list[int]:
    """all: every still image; unlabelled: new images without labels; unworked: images nobody
    has worked on (new or prelabelled); selected: the ids given."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}; expected one of {SCOPES}")
    if scope == "selected":
        return [int(i) for i in selected]
    if scope == "all":
        return project.image_ids(kind="image")
    if scope == "unworked":
        return project.image_ids(kind="image", statuses=UNWORKED)
    return project.image_ids(kind="image", statuses=("new",), without_labels="gt")


def categories_on_demand(project: Project) -> CategoryOf:
    """Class name -> the project category of that name, created when missing."""
    cats = project.categories()

    def category_of(name: str) -> int:
        cat = cats.by_name(name)
        if cat is None:
            cat = project.add_category(name)
            cats.put(cat)
        return cat.id

    return category_of


def result_instances(
    result: SegmentationResult, category_of: CategoryOf, model_id: str, options: PrelabelOptions,
    *, first_id: int = 1, attributes: dict[str, Any] | None = None,
    image_shape: tuple[int, int] | None = None, where: str = "",
) -> list[Instance]:
    """A model result as new instances (ids from `first_id`), every one of source "model"."""
    out: list[Instance] = []
    for det in result.all_instances(min_area=options.min_area, background=options.background):
        if image_shape is not None and det.mask.image_shape != image_shape:  # said, never dropped
            h, w = det.mask.image_shape
            raise ModelError(f"{where}: the model's mask is {w}x{h}, the project records the image "
                             f"as {image_shape[1]}x{image_shape[0]}; nothing written")
        if det.mask.is_empty:
            continue
        cid = category_of(det.class_name)
        if cid is None:
            continue
        parts = connected_parts(det.mask) if options.split_parts else [det.mask]
        for part in parts:
            if part.area < options.min_area:
                continue
            score = det.score
            if options.split_parts and result.class_scores is not None and len(parts) > 1:
                score = float(result.class_scores[part.y0:part.y1, part.x0:part.x1][part.data].mean())
            out.append(Instance(first_id + len(out), cid, part, "model", round(float(score), 4),
                                {"model": model_id, **(attributes or {})}))
    return out


def apply_result(project: Project, image_id: int, result: SegmentationResult, model_id: str,
                 options: PrelabelOptions | None = None, attributes: dict[str, Any] | None = None,
                 category_of: CategoryOf | None = None) -> int:
    """Write a model result as the image's model instances; returns how many were written.
    One transaction: the instances kept are read under the lock that writes the new ones, so
    an edit made meanwhile in the GUI (another process) is never overwritten."""
    with project.transaction():
        rec = project.image(image_id)
        existing = project.load_instances(image_id)
        kept = [i for i in existing if i.source != "model"]
        new = result_instances(
            result, category_of or categories_on_demand(project), model_id,
            options or PrelabelOptions(), first_id=max((i.id for i in existing), default=0) + 1,
            attributes=attributes, image_shape=rec.shape, where=str(project.image_path(rec)))
        project.replace_instances(image_id, kept + new)
        mark_prelabelled(project, [image_id])
    return len(new)


def _load_rgb(project: Project, image_id: int) -> np.ndarray:
    from segstudio.io.images import load_image

    return load_image(project.image_path(image_id)).rgb8()


def _loaded(project: Project, ids: Sequence[int], pool: ThreadPoolExecutor) -> Iterator[tuple[int, Any]]:
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


def open_run(project: Project, model_id: str, scope: str, selected: Sequence[int], resume: bool,
             params: dict[str, Any] | None = None) -> tuple[int, list[int], RunMetrics]:
    """(run id, the images of the run, its metrics so far): an unfinished run of `model_id` over
    `scope`, running again, when `resume`; else a new run over the images of `scope`."""
    prior = unfinished_model_run(project, model_id, scope) if resume and scope != "selected" else None
    if prior is not None:
        save_model_run(project, prior.id, prior.metrics, "running")
        return prior.id, [int(i) for i in prior.params.get("image_ids", [])], prior.metrics
    ids = select_images(project, scope, selected)
    return start_model_run(project, model_id, {"scope": scope, "image_ids": ids, **(params or {})}), ids, RunMetrics()


def prelabel_project(
    project: Project,
    model: Any,
    scope: str = "unlabelled",
    selected: Sequence[int] = (),
    resume: bool = True,
    batch: int = 1,
    background: Sequence[str] = (),
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
    *,
    min_area: int = 1,
    split_parts: bool = False,
    category_of: CategoryOf | None = None,
    params: dict[str, Any] | None = None,
) -> PrelabelReport:
    """Pre-label the images of `scope` with `model` (an ImageSegmenter; one with
    `segment_with_uncertainty` also gets its uncertainty stored).  `category_of` maps class
    names to categories (default: by name, created on demand); `params` are stored with the
    run (what model file, which training run)."""
    model_id = getattr(model, "model_id", type(model).__name__)
    options = PrelabelOptions(tuple(background), max(1, min_area), split_parts)
    measured = getattr(model, "segment_with_uncertainty", None)
    run_id, ids, metrics = open_run(project, model_id, scope, selected, resume, params)
    done = set(metrics.done)
    rep = PrelabelReport(run_id, resumed_from=len(done), uncertainty=metrics.uncertainty)
    todo = [i for i in ids if i not in done]
    total = len(ids)
    t0 = time.perf_counter()
    many = getattr(model, "segment_many", None)
    batch = max(1, batch if many is not None and measured is None else 1)
    category_of = category_of or categories_on_demand(project)
    report(progress, len(done), total, "starting")
    pending: list[tuple[int, np.ndarray]] = []

    def save(status: str | None = None) -> None:
        metrics.done = sorted(done)
        metrics.errors = rep.errors
        if status == "done":
            metrics.images_per_second = rep.images_per_second
        save_model_run(project, run_id, metrics, status)

    def segment(rgbs: list[np.ndarray]) -> list[tuple[SegmentationResult, dict[str, float] | None]]:
        if measured is not None:
            return [measured(rgb, cancel) for rgb in rgbs]
        if many is not None and len(rgbs) > 1:
            return [(r, None) for r in many(rgbs, cancel)]
        return [(model.segment(rgb, cancel), None) for rgb in rgbs]

    def flush() -> None:
        if not pending:
            return
        for (iid, _), (res, stats) in zip(pending, segment([im for _, im in pending])):
            attrs = None
            if stats is not None:
                metrics.uncertainty[iid] = {k: float(v) for k, v in stats.items()}
                # "uncertainty" is what segstudio.eval's review queue sorts instances by
                attrs = {"model_run": run_id, "uncertainty": round(float(stats["entropy"]), 6),
                         "margin": round(float(stats["margin"]), 6)}
            try:
                rep.instances += apply_result(project, iid, res, model_id, options, attrs, category_of)
                rep.done += 1
            except ModelError as exc:
                rep.errors.append(str(exc))
                rep.skipped += 1
            done.add(iid)
        pending.clear()
        if rep.done % SAVE_EVERY < batch:
            save()
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
        save("cancelled")
        return rep
    rep.seconds = time.perf_counter() - t0
    save("done")
    report(progress, total, total, "done")
    return rep
