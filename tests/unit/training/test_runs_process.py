"""The background training process: JSON-line events, store records, cancel and resume."""

import time

import pytest

from segstudio.store import Project
from segstudio.training.process import TrainingProcess
from segstudio.training.runner import start_run
from segstudio.training.runs import get_run, list_runs, run_dir

TINY = {"input_size": "32", "batch_size": "4", "width": "4", "depth": "2", "epochs": "10", "workers": "1"}
# long enough that a cancel sent after epoch 1 lands before the last epoch, even on an idle machine


def _drain(proc: TrainingProcess, timeout: float = 120.0, until=None) -> list[dict]:
    events, t0 = [], time.monotonic()
    while time.monotonic() - t0 < timeout:
        batch = proc.poll()
        events += batch
        if until is not None and any(until(e) for e in batch):
            return events
        if any(e["type"] == "exit" for e in batch):
            return events
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"training process did not finish: {events[-3:]}")


@pytest.mark.slow
def test_process_trains_records_and_resumes_after_cancel(tiny_project):
    root = tiny_project.root
    run_id = start_run(tiny_project, "semantic", TINY)
    rec = get_run(tiny_project, run_id)
    assert rec.status == "queued" and rec.hyperparams["epochs"] == 10
    assert rec.data_snapshot["classes"][1]["name"] == "box" and len(rec.data_snapshot["train_ids"]) == 6

    proc = TrainingProcess(root, run_id).start()
    events = _drain(proc, until=lambda e: e["type"] == "epoch")
    proc.cancel()
    events += _drain(proc)
    assert proc.wait(30) == 0
    kinds = [e["type"] for e in events]
    assert kinds[:2] == ["loading", "start"] and "step" in kinds
    assert events[-2]["type"] == "finished" and events[-2]["status"] == "cancelled"
    step = next(e for e in events if e["type"] == "step")
    assert {"epoch", "step", "steps", "loss", "eta_s", "images_per_s"} <= set(step)
    rec = get_run(tiny_project, run_id)
    assert rec.status == "cancelled" and rec.resumable and 1 <= len(rec.metrics) < 10

    proc = TrainingProcess(root, run_id, resume=True).start()
    events = _drain(proc)
    assert proc.wait(30) == 0
    assert events[0]["type"] == "loading" and any(e["type"] == "resumed" for e in events)
    final = events[-2]
    assert final["type"] == "finished" and final["status"] == "done", events[-3:]
    rec = get_run(tiny_project, run_id)
    assert rec.status == "done" and rec.finished_at is not None
    assert [m["epoch"] for m in rec.metrics] == list(range(1, 11))
    assert {"val_miou", "train_loss", "val_iou"} <= set(rec.metrics[-1])
    card = run_dir(tiny_project, run_id) / "card.yaml"
    assert card.is_file() and rec.artefacts["card"] == f"models/run-{run_id}/card.yaml"


def test_a_crashing_child_is_reported_and_marked_failed(tiny_project):
    run_id = start_run(tiny_project, "semantic", TINY)
    # Break the data: the image file disappears after the run was recorded.
    first = tiny_project.image(get_run(tiny_project, run_id).data_snapshot["train_ids"][0])
    tiny_project.image_path(first).unlink()
    proc = TrainingProcess(tiny_project.root, run_id).start()
    events = _drain(proc)
    assert proc.wait(30) != 0
    err = next(e for e in events if e["type"] == "error")
    assert first.name in err["message"] and "file not found" in err["message"]
    with Project.open(tiny_project.root) as p:
        rec = get_run(p, run_id)
    assert rec.status == "failed" and "file not found" in rec.artefacts["error"]
    assert [r.id for r in list_runs(tiny_project)] == [run_id]


def test_start_run_rejects_bad_input(tiny_project):
    from segstudio.training.hparams import HyperParamError

    with pytest.raises(HyperParamError, match="epochs"):
        start_run(tiny_project, "semantic", {"epochs": "-1"})
    assert list_runs(tiny_project) == []
