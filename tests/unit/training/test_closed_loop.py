"""Train -> pre-label the rest -> review order by uncertainty."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from segstudio.core.instance import Instance  # noqa: E402
from segstudio.core.masks import MaskPatch  # noqa: E402
from segstudio.training.closed_loop import prelabel_with_trained, review_order  # noqa: E402
from segstudio.training.predict import uncertainty  # noqa: E402
from segstudio.training.runner import execute, start_run  # noqa: E402

from .conftest import build_project  # noqa: E402


class _Nothing:
    """A segmenter that finds nothing and measures no uncertainty."""

    model_id = "nothing"

    def segment(self, rgb, cancel=None, progress=None):
        from segstudio.inference.base import SegmentationResult

        return SegmentationResult()


def test_uncertainty_measures():
    sure = np.zeros((3, 4, 4), np.float32)
    sure[0] = 1
    unsure = np.full((3, 4, 4), 1 / 3, np.float32)
    assert uncertainty(sure)["entropy"] == pytest.approx(0, abs=1e-5)
    assert uncertainty(sure)["margin"] == pytest.approx(1)
    assert uncertainty(unsure)["entropy"] == pytest.approx(1, abs=1e-5)
    assert uncertainty(unsure)["margin"] == pytest.approx(0, abs=1e-6)


def test_train_then_prelabel_remaining_images_least_certain_first(tmp_path):
    project = build_project(tmp_path / "p", n=10, done=6)
    images = project.images()
    manual = images[7]
    project.set_status(manual.id, "in_progress")
    keep = MaskPatch.from_full(np.eye(32, dtype=bool))
    project.save_instances(manual.id, [Instance(1, 1, keep)])
    run_id = start_run(project, "semantic", {"epochs": 6, "input_size": 32, "width": 8, "depth": 2,
                                             "lr": 0.02, "workers": 1, "rotate": 0})
    final = execute(project.root, run_id)
    assert final["status"] in ("done", "early_stopped")
    steps = []
    summary = prelabel_with_trained(project, final["card"], progress=lambda d, t, m: steps.append((d, t)))
    todo = [r.id for r in images[6:] if r.id != manual.id]
    assert summary.done == len(todo) == 3 and steps[-1] == (3, 3)
    assert sorted(summary.order) == sorted(todo)
    for iid in todo:
        rec = project.image(iid)
        assert rec.status == "prelabelled"
        insts = project.load_instances(iid)
        assert insts and all(i.source == "model" for i in insts)
        assert {i.category_id for i in insts} <= {c.id for c in project.categories()}
        assert all(0 <= i.attributes["uncertainty"] <= 1 for i in insts)
    # human work is untouched
    assert project.image(manual.id).status == "in_progress"
    assert project.load_instances(manual.id)[0].mask.equals(keep)
    # the order is by stored entropy, descending, and is persisted in model_runs
    order = review_order(project)
    values = [v for _, v in order]
    assert [i for i, _ in order] == summary.order and values == sorted(values, reverse=True)
    row = project.conn.execute("SELECT kind, status, metrics FROM model_runs").fetchone()
    assert row[0] == "prelabel" and row[1] == "done"
    assert set(json.loads(row[2])["uncertainty"]) == {str(i) for i in todo}
    by_margin = review_order(project, "margin")
    assert [v for _, v in by_margin] == sorted(v for _, v in by_margin)
    # a second pass replaces (not duplicates) the model's instances
    n_before = {iid: len(project.load_instances(iid)) for iid in todo}
    prelabel_with_trained(project, final["card"])
    assert {iid: len(project.load_instances(iid)) for iid in todo} == n_before
    # a plain pre-label afterwards (no uncertainty) keeps the queue's order and the review's
    # per-image uncertainty (was: the newest run alone was read, and it had none)
    from segstudio.eval.project_eval import stored_uncertainty
    from segstudio.inference.prelabel import prelabel_project

    before = review_order(project)
    prelabel_project(project, _Nothing(), "all")
    assert review_order(project) == before
    assert stored_uncertainty(project) == dict(before)
    project.close()
