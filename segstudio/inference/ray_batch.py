"""Pre-labelling on a Ray cluster: `segstudio prelabel PROJECT --model ID --ray [ADDRESS]`.

The same code as the local path (`inference.prelabel`), split where a cluster helps: Ray
tasks on the workers read the images (`_load_rgb`) and run the model (`model.segment`); the
driver - the only process that talks to the project - commits the results as they come back,
one transaction per finished chunk holding the chunk's instances *and* its "done" marks in the
run's `model_runs` row.  So:

- resume after a crash of the driver: the run's row says which images are done; only the
  others are sent again (`prelabel_on_ray(..., resume=True)`, the default);
- a lost worker: Ray runs the chunk again elsewhere (`max_retries`); the driver takes the one
  result Ray hands back per chunk and skips images already done, and writing a result
  replaces the image's earlier model instances - never duplicates;
- cancel: pending chunks are cancelled, the run is left 'cancelled' (resumable).

Ray is imported here only (an optional extra: `pip install 'segstudio[cluster]'`); without
`--ray` nothing of it is loaded.  Workers load the model once per worker process (by card id
or card file, which must exist on the workers), and read images by the driver's path: cluster
machines mount the image folder at the same place.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

from segstudio.core.tasks import Cancelled, CancelToken, ProgressFn, report
from segstudio.inference.base import ModelError
from segstudio.inference.prelabel import (
    PrelabelOptions,
    PrelabelReport,
    _load_rgb,
    apply_result,
    open_run,
)
from segstudio.store import Project
from segstudio.store.model_runs import (
    RunMetrics,
    save_model_run,
)

CHUNK = 8  # images per task: big enough to hide the task overhead, small enough to spread
_MODELS: dict[tuple, Any] = {}  # per worker process: model spec -> loaded model


def require_ray():
    try:
        import ray
    except ImportError:
        raise ModelError("--ray needs Ray: pip install 'segstudio[cluster]'") from None
    return ray


def _model(spec: tuple[str, tuple[str, ...]]) -> Any:
    model = _MODELS.get(spec)
    if model is None:
        from pathlib import Path

        from segstudio.inference import registry

        card = registry.find(spec[0], [Path(p) for p in spec[1]])
        model = _MODELS[spec] = registry.load(card)
    return model


class _PathsOnly:
    """What `_load_rgb` needs of a project on a worker: the image's path."""

    def __init__(self, paths: dict[int, str]) -> None:
        self._paths = paths

    def image_path(self, image_id: int) -> str:
        return self._paths[image_id]


def segment_chunk(spec: tuple[str, tuple[str, ...]], items: list[tuple[int, str]]) -> list[tuple[int, Any]]:
    """On a worker: (image id, SegmentationResult or an error message) per image."""
    model = _model(spec)
    project = _PathsOnly(dict(items))
    out: list[tuple[int, Any]] = []
    for image_id, path in items:
        try:
            rgb = _load_rgb(project, image_id)
        except Exception as exc:  # noqa: BLE001 - a corrupt or missing image is reported, not fatal
            out.append((image_id, f"{path}: {exc}"))
            continue
        out.append((image_id, model.segment(rgb, None)))
    return out


def connect(address: str | None, num_cpus: int | None = None) -> Any:
    """Join the cluster at `address` ('auto': the one started on this machine by `ray start`),
    or start a local one (all this machine's CPUs, or `num_cpus`)."""
    ray = require_ray()
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": "WARNING",
                                  "log_to_driver": False}
        if address:
            ray.init(address=address, **kwargs)
        else:
            # Ray's memory monitor kills tasks when the *machine* is short of memory, whoever
            # uses it; a local batch job should not die for another program's memory
            os.environ.setdefault("RAY_memory_monitor_refresh_ms", "0")
            ray.init(num_cpus=num_cpus or os.cpu_count() or 1, **kwargs)
    return ray


def prelabel_on_ray(
    project: Project,
    model: str,
    models_dirs: Sequence[str] = (),
    *,
    model_id: str | None = None,
    scope: str = "unlabelled",
    selected: Sequence[int] = (),
    resume: bool = True,
    background: Sequence[str] = (),
    address: str | None = None,
    num_cpus: int | None = None,
    chunk: int = CHUNK,
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
) -> PrelabelReport:
    """Pre-label `scope` with the model `model` (an id or a card file, as `--model` takes it)
    on Ray; `model_id` is the id runs and instances carry (the loaded model's, as locally)."""
    ray = connect(address, num_cpus)
    spec = (model, tuple(str(p) for p in models_dirs))
    model_id = model_id or model
    run_id, ids, metrics = open_run(project, model_id, scope, selected, resume, {"engine": "ray"})
    done = set(metrics.done)
    rep = PrelabelReport(run_id, resumed_from=len(done))
    options = PrelabelOptions(tuple(background))
    todo = [i for i in ids if i not in done]
    total = len(ids)
    t0 = time.perf_counter()
    report(progress, len(done), total, "starting on Ray")
    task = ray.remote(max_retries=5, retry_exceptions=False)(segment_chunk)
    spec_ref = ray.put(spec)
    pending = [task.remote(spec_ref, [(i, str(project.image_path(i))) for i in todo[k:k + chunk]])
               for k in range(0, len(todo), chunk)]
    try:
        while pending:
            if cancel is not None:
                cancel.check()
            ready, pending = ray.wait(pending, num_returns=1, timeout=0.5)
            for ref in ready:
                _commit(project, run_id, ray.get(ref), done, rep, model_id, options, metrics)
                report(progress, len(done), total, f"{rep.done} this run")  # the bar adds the ETA
    except (Cancelled, KeyboardInterrupt):
        for ref in pending:
            ray.cancel(ref, force=True)
        rep.cancelled = True
        rep.seconds = time.perf_counter() - t0
        metrics.done, metrics.errors = sorted(done), rep.errors
        save_model_run(project, run_id, metrics, "cancelled")
        return rep
    rep.seconds = time.perf_counter() - t0
    metrics.done, metrics.errors, metrics.images_per_second = sorted(done), rep.errors, rep.images_per_second
    save_model_run(project, run_id, metrics, "done")
    report(progress, total, total, "done")
    return rep


def _commit(project: Project, run_id: int, results: list[tuple[int, Any]], done: set[int],
            rep: PrelabelReport, model_id: str, options: PrelabelOptions, metrics: RunMetrics) -> None:
    """One chunk's results and its done marks, in one transaction.  `done` and `rep` change
    only once it has committed: a chunk interrupted mid-way (Ctrl+C, a refused write) leaves
    its images to do, so a cancelled run never marks an image done that holds no result."""
    written: list[int] = []
    errors: list[str] = []
    instances = 0
    with project.transaction():
        for image_id, res in results:
            if image_id in done or image_id in written:
                continue  # a chunk run twice (a lost worker) is written once
            if isinstance(res, str):
                errors.append(res)
            else:
                try:
                    instances += apply_result(project, image_id, res, model_id, options)
                except ModelError as exc:
                    errors.append(str(exc))
            written.append(image_id)
        metrics.done = sorted(done.union(written))
        save_model_run(project, run_id, metrics)
    done.update(written)
    rep.errors += errors
    rep.skipped += len(errors)
    rep.done += len(written) - len(errors)
    rep.instances += instances
