"""One training job end to end, the same code in the CLI, the background process and tests:
collect data -> record the run -> train with checkpoints -> write the model card.

`start_run` records a run (hyperparameters, data snapshot) and returns its id; `execute`
trains it (or resumes it) and keeps the store's record current after every epoch, so the
record survives a crash of whoever launched it.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from segstudio.core.tasks import CancelToken
from segstudio.store import Project
from segstudio.training import data as data_mod
from segstudio.training.cards import CARD_NAME, TrainedCard
from segstudio.training.runs import RunError, RunRecorder, create_run, get_run, run_dir, update_run
from segstudio.training.templates import get_template

EventFn = Callable[[dict[str, Any]], None]
ARCH_KEYS = ("width", "depth", "backbone")


def start_run(
    project: Project,
    template_name: str,
    overrides: dict[str, Any] | None = None,
    *,
    image_ids: Sequence[int] | None = None,
    statuses: Sequence[str] = ("done",),
    categories: Sequence[str] | None = None,
) -> int:
    """Validate hyperparameters, snapshot the data selection and record a queued run."""
    template = get_template(template_name)
    hp = template.resolve(overrides)
    data = data_mod.collect(
        project, mode=template.mode, statuses=statuses, image_ids=image_ids, categories=categories,
        ignore_unlabelled=bool(hp.get("ignore_unlabelled", False)), val_fraction=float(hp["val_fraction"]),
        seed=int(hp["seed"]),
    )
    return create_run(project, template.name, hp, data.snapshot())


def execute(
    project_root: str | Path,
    run_id: int,
    *,
    resume: bool = False,
    cancel: CancelToken | None = None,
    on_event: EventFn | None = None,
    device: str | None = None,
) -> dict[str, Any]:
    """Train run `run_id`; returns the final event ({"type": "finished", "status": ...})."""
    emit = on_event or (lambda e: None)
    with Project.open(project_root) as project:
        run = get_run(project, run_id)
        if run.finished:
            raise RunError(f"training run {run_id} is already {run.status}")
        if resume and not (run_dir(project, run_id) / "last.pt").is_file():
            resume = False  # nothing saved yet: start from the beginning
        update_run(project, run_id, status="running")
        try:
            final = _execute(project, run, resume, cancel, emit, device)
        except BaseException as e:
            update_run(project, run_id, status="failed",
                       artefacts={"error": f"{type(e).__name__}: {e}"})
            if isinstance(e, Exception):
                emit({"type": "error", "message": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()})
            raise
        emit(final)
        return final


def _execute(project: Project, run, resume: bool, cancel, emit: EventFn, device) -> dict[str, Any]:
    template = get_template(run.template)
    hp = dict(run.hyperparams)
    data = data_mod.TrainingData.from_snapshot(run.data_snapshot)
    now = data_mod.fingerprint(project, data.train_ids + data.val_ids)
    if now != data.fingerprint:
        emit({"type": "warning", "message": "labels changed since the run was created; training on the current labels"})
    folder = run_dir(project, run.id)
    folder.mkdir(parents=True, exist_ok=True)
    if template.mode == "click":
        from segstudio.training.click.project_run import execute_click

        return execute_click(project, run, hp, data, folder, resume, cancel, emit)
    short = math.ceil(int(hp["input_size"]) * 1.25)
    emit({"type": "loading", "images": len(data.train_ids) + len(data.val_ids)})
    train_pairs = data_mod.load_pairs(project, data, data.train_ids, short)
    val_pairs = data_mod.load_pairs(project, data, data.val_ids, short)
    from segstudio.training import loop  # torch: only once the data is known to be readable

    record = RunRecorder(project, run.id, folder, emit, resume)
    result = loop.train(train_pairs, val_pairs, data, template, hp, folder, resume=resume,
                        cancel=cancel, on_event=record.on_event, device=device)
    stopped = record.stopped(result)
    if stopped is not None:
        return stopped
    card = write_card(project, run.id, template.name, template.mode, hp, data, record.history, result.best_epoch)
    from segstudio.training.export import ExportError, add_onnx

    try:
        add_onnx(card)  # the model layer's registry loads trained models through ONNX
    except ExportError as e:
        emit({"type": "warning", "message": f"the model works, but no ONNX copy: {e}"})
    return record.finished(result, card)


def write_card(project: Project, run_id: int, template: str, kind: str, hp: dict[str, Any],
               data: data_mod.TrainingData, history: list[dict[str, Any]], best_epoch: int) -> Path:
    folder = run_dir(project, run_id)
    arch = {"template": template} | {k: hp[k] for k in ARCH_KEYS if k in hp}
    best = history[best_epoch - 1] if 0 < best_epoch <= len(history) else {}
    card = TrainedCard(
        name=f"{project.root.name}-run-{run_id}",
        kind=kind,
        format="torch",
        weights="best.pt",
        input_size=int(hp["input_size"]),
        class_names=data.class_names,
        class_colors=[c.color for c in data.classes],
        architecture=arch,
        training={"run_id": run_id, "template": template, "hyperparams": hp, "best_epoch": best_epoch,
                  "val_miou": best.get("val_miou"), "val_fg_iou": best.get("val_fg_iou"),
                  "train_images": len(data.train_ids), "val_images": len(data.val_ids),
                  "data_fingerprint": data.fingerprint,
                  "foreground_category": _first_category(project, data) if kind == "foreground" else None},
    )
    return card.write(folder / CARD_NAME)


def _first_category(project: Project, data: data_mod.TrainingData) -> str | None:
    """The category pre-labels of a foreground model get: the first one it was trained on."""
    ids = data.classes[-1].category_ids
    cats = project.categories()
    for cid in ids:
        c = cats.get(cid)
        if c is not None:
            return c.name
    return None
