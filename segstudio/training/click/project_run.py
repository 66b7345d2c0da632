"""The `click` training template on a project: fine-tune the click model on the project's
accepted instances, keep the run record current, and write a model card the AI Assist picker
lists (`models/run-N/card.yaml`: kind interactive, framework clicknet).

Called by segstudio.training.runner for runs whose template's mode is "click"; the CLI, the
background training process and the GUI dialog all arrive here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from segstudio.inference.cards import write_card
from segstudio.store import Project
from segstudio.training.cards import CARD_NAME
from segstudio.training.data import DataError, TrainingData
from segstudio.training.runs import RunRecorder, run_dir


def execute_click(project: Project, run, hp: dict[str, Any], data: TrainingData, folder: Path,
                  resume: bool, cancel, emit) -> dict[str, Any]:
    from segstudio.training.click import data as click_data

    emit({"type": "loading", "images": len(data.train_ids) + len(data.val_ids)})
    train = click_data.load_project_objects(project, data, data.train_ids)
    val = click_data.load_project_objects(project, data, data.val_ids)
    if not train:
        raise DataError(f"{project.root}: the selected images have no instances to train the click model on")
    from segstudio.inference.click_net import BUILTIN_CLICK_WEIGHTS
    from segstudio.training.click.loop import train_click

    init = None
    if hp.get("start", "builtin") == "builtin":
        if not BUILTIN_CLICK_WEIGHTS.is_file():
            raise DataError(f"{BUILTIN_CLICK_WEIGHTS}: the built-in click model is not installed; "
                            "set start=saliency")
        init = BUILTIN_CLICK_WEIGHTS
    record = RunRecorder(project, run.id, folder, emit, resume)
    result = train_click(train, val, hp, folder, init=init, resume=resume, cancel=cancel, on_event=record.on_event)
    stopped = record.stopped(result)
    if stopped is not None:
        return stopped
    card = write_click_card(project, run.id, hp, data, len(train), len(val), result.best_epoch,
                            record.best(result.best_epoch))
    return record.finished(result, card)


def write_click_card(project: Project, run_id: int, hp: dict[str, Any], data: TrainingData,
                     n_train: int, n_val: int, best_epoch: int, best: dict[str, Any]) -> Path:
    folder = run_dir(project, run_id)
    name = f"{project.root.name}-run-{run_id}"
    noc = best.get("val_noc90")
    summary = f"; validation NoC@90 {noc:.2f} on {n_val} objects" if noc is not None else ""
    card = {
        "id": name,
        "name": f"Click model fine-tuned on {project.root.name} (run {run_id})",
        "kind": "interactive",
        "framework": "clicknet",
        "mode": "click",  # training/cards.py reads semantic/foreground cards only: it skips this one
        "files": {"model": "best.pt"},
        "licence": "weights: as the project's labels; network code Apache-2.0; base model: see "
                   "segstudio/resources/models/NOTICE.md",
        "description": f"The built-in click model fine-tuned on {n_train} objects of this project{summary}.",
        "training": {"run_id": run_id, "template": "click", "hyperparams": hp, "best_epoch": best_epoch,
                     "train_objects": n_train, "val_objects": n_val,
                     "val_noc90": noc, "val_miou1": best.get("val_miou1"),
                     "train_images": len(data.train_ids), "val_images": len(data.val_ids),
                     "data_fingerprint": data.fingerprint},
    }
    return write_card(card, folder / CARD_NAME)
