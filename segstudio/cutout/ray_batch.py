"""Cutouts on a Ray cluster: `segstudio cutout SRC DST --ray [ADDRESS]`.

The local batch (`cutout.batch.run_batch`) run on chunks of the jobs as Ray tasks: each worker
loads the subject model once, reads its images and writes its cutouts (the output folder must
be one the workers share with the driver, as the inputs are).  Outputs are written whole
(`save_cutout` is atomic), so a chunk Ray reruns after a lost worker rewrites the same files,
and running the command again resumes: finished outputs are skipped unless --replace.  Only
the model path runs here; cutting out a project's annotations needs the project and stays
local.
"""

from __future__ import annotations

import time
from typing import Any

from segstudio.core.tasks import Cancelled, CancelToken, ProgressFn, report
from segstudio.cutout.batch import BatchReport, CutoutJob, run_batch
from segstudio.cutout.settings import CutoutSettings

CHUNK = 8
_MODELS: dict[tuple[str | None, bool], Any] = {}  # per worker process


def cutout_chunk(model: str | None, jobs: list[CutoutJob], settings: CutoutSettings,
                 replace: bool, second_look: bool = True) -> BatchReport:
    saliency = _MODELS.get((model, second_look))
    if saliency is None:
        from segstudio.cutout.saliency import load_saliency

        saliency = _MODELS[(model, second_look)] = load_saliency(model, second_look=second_look)
    return run_batch(jobs, settings, saliency, replace=replace, mask_source="model")


def run_batch_on_ray(jobs: list[CutoutJob], settings: CutoutSettings, model: str | None, *,
                     replace: bool = False, address: str | None = None, num_cpus: int | None = None,
                     chunk: int = CHUNK, cancel: CancelToken | None = None,
                     progress: ProgressFn | None = None, second_look: bool = True) -> BatchReport:
    from segstudio.inference.ray_batch import connect

    ray = connect(address, num_cpus)
    task = ray.remote(max_retries=5)(cutout_chunk)
    settings_ref = ray.put(settings)
    pending = {task.remote(model, jobs[k:k + chunk], settings_ref, replace, second_look): len(jobs[k:k + chunk])
               for k in range(0, len(jobs), chunk)}
    out = BatchReport()
    done, total, t0 = 0, len(jobs), time.perf_counter()
    report(progress, 0, total, "starting on Ray")
    try:
        while pending:
            if cancel is not None:
                cancel.check()
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=0.5)
            for ref in ready:
                part: BatchReport = ray.get(ref)
                done += pending.pop(ref)
                out.written += part.written
                out.skipped += part.skipped
                out.failed += part.failed
                eta = (time.perf_counter() - t0) / done * (total - done)
                report(progress, done, total, f"ETA {eta:.0f} s")
    except (Cancelled, KeyboardInterrupt):
        for ref in pending:
            ray.cancel(ref, force=True)
        out.cancelled = True
    return out
