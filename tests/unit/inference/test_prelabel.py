"""Batch pre-labelling of a project: instances, categories, statuses, cancel and resume."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.core.tasks import CancelToken
from segstudio.inference.base import Detection, SegmentationResult
from segstudio.inference.prelabel import prelabel_project, select_images
from segstudio.store import Project


class RedFinder:
    """An image segmenter: red pixels are 'apple', blue ones 'sky' (via a class map)."""

    model_id = "red-finder"

    def __init__(self):
        self.calls = 0

    def segment(self, rgb, cancel=None, progress=None):
        self.calls += 1
        red = (rgb[..., 0] > 150) & (rgb[..., 2] < 100)
        cmap = np.where(rgb[..., 2] > 150, 1, 0).astype(np.int32)
        dets = [Detection(MaskPatch.from_full(red), "apple", 0.8)] if red.any() else []
        return SegmentationResult(dets, class_map=cmap, class_names=["background", "sky"])


class BatchRedFinder(RedFinder):
    def segment_many(self, images, cancel=None, progress=None):
        self.batches = getattr(self, "batches", 0) + 1
        return [self.segment(im) for im in images]


@pytest.fixture
def project(tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for k in range(5):
        img = np.zeros((24, 32, 3), np.uint8)
        img[2:10, 2 + k : 12 + k] = (220, 0, 0)  # red (RGB; flipped to BGR for cv2 below)
        img[15:20, 20:30] = (0, 0, 220)  # blue
        cv2.imwrite(str(folder / f"im{k}.png"), img[..., ::-1])
    p = Project.create(tmp_path / "proj")
    p.add_folder(folder)
    yield p
    p.close()


def test_prelabel_all_creates_model_instances_and_categories(project):
    ids = [r.id for r in project.images()]
    manual = Instance(1, project.add_category("person").id, MaskPatch.from_full(np.eye(24, 32, dtype=bool)))
    project.save_instances(ids[0], [manual])
    project.set_status(ids[1], "done")
    rep = prelabel_project(project, RedFinder(), "all", background=("background",))
    assert rep.done == 5 and not rep.errors and rep.instances == 10
    names = {c.name for c in project.categories()}
    assert {"apple", "sky", "person"} <= names
    first = project.load_instances(ids[0])
    assert [i.source for i in first] == ["manual", "model", "model"]  # manual work kept
    apple = next(i for i in first if project.categories().get(i.category_id).name == "apple")
    assert apple.score == pytest.approx(0.8) and apple.area == 80
    assert project.image(ids[0]).status == "prelabelled"
    assert project.image(ids[1]).status == "done"  # never demoted
    # running again replaces the model instances instead of piling them up
    prelabel_project(project, RedFinder(), "all", resume=False, background=("background",))
    assert len(project.load_instances(ids[0])) == 3


def test_only_unlabelled_and_selected(project):
    ids = [r.id for r in project.images()]
    project.save_instances(ids[2], [Instance(1, project.add_category("x").id,
                                             MaskPatch.from_full(np.ones((24, 32), bool)))])
    assert ids[2] not in select_images(project, "unlabelled")
    rep = prelabel_project(project, RedFinder(), "selected", selected=[ids[3]])
    assert rep.done == 1 and project.image(ids[4]).status == "new"


def test_cancel_marks_the_run_and_another_model_starts_its_own(project):
    token = CancelToken()

    def progress(done, total, msg):
        if done >= 2:
            token.cancel()

    first = prelabel_project(project, RedFinder(), "unlabelled", batch=1, cancel=token, progress=progress)
    assert first.cancelled and 2 <= first.done < 5
    row = project.conn.execute("SELECT status FROM model_runs WHERE id=?", (first.run_id,)).fetchone()
    assert row[0] == "cancelled"
    other = BatchRedFinder()
    other.model_id = "other-model"
    second = prelabel_project(project, other, "unlabelled")
    assert second.run_id != first.run_id and second.resumed_from == 0
    assert second.done == 5 - first.done  # the images the first run finished are labelled now


def test_resume_skips_images_already_done(project):
    token = CancelToken()
    model = RedFinder()

    def progress(done, total, msg):
        if done >= 2:
            token.cancel()

    first = prelabel_project(project, model, "all", batch=1, cancel=token, progress=progress)
    done_first = first.done
    again = RedFinder()
    second = prelabel_project(project, again, "all")
    assert second.run_id == first.run_id and second.resumed_from == done_first
    assert again.calls == 5 - done_first and second.done == 5 - done_first


def test_batched_models_get_batches_and_bad_images_are_reported(project, tmp_path):
    bad = project.images()[0]
    project.image_path(bad).write_bytes(b"not an image")
    model = BatchRedFinder()
    rep = prelabel_project(project, model, "all", batch=2)
    assert rep.done == 4 and rep.skipped == 1 and model.batches == 2
    assert "im0.png" in rep.errors[0]


def test_the_local_path_imports_neither_ray_nor_the_postgresql_driver(tmp_path):
    """Without --ray nothing of Ray is loaded (an optional extra, and seconds of start-up),
    and a folder project never loads psycopg."""
    import subprocess
    import sys

    folder = tmp_path / "p"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.full((24, 32, 3), 200, np.uint8))
    with Project.create(folder) as p:
        p.add_folder(folder)
    code = ("import sys\nfrom segstudio.cli.main import main\n"
            f"rc = main(['prelabel', {str(folder)!r}, '--model', 'u2netp-salient'])\n"
            "print('RESULT', rc, sorted(m for m in ('ray', 'psycopg') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "RESULT 0 []" in out.stdout, out.stdout + out.stderr
