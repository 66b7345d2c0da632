"""Large-file COCO paths: worker processes and pipelined inserts give the same bytes, rows and
reports as the inline path, and keep imports all-or-nothing.  Thresholds are lowered so tiny
projects take the large-file paths."""

from __future__ import annotations

import json

import numpy as np
import pytest

from segstudio.core import rle
from segstudio.io import parallel, registry
from segstudio.io.errors import FormatError
from segstudio.io.formats import _coco_export, coco
from segstudio.store.project import Project
from tests.unit.io.helpers import make_project


@pytest.fixture
def big(tmp_path):
    p = make_project(tmp_path / "src", n_images=12, per_image=5, shape=(30, 40),
                     splits=("train", "val", None), write_images=False)
    yield p
    p.close()


def pooled(monkeypatch, on: bool) -> None:
    """Take the worker-pool paths (two workers) or the inline ones, whatever the size."""
    monkeypatch.setenv(parallel.WORKERS_ENV, "2" if on else "0")
    monkeypatch.setattr(_coco_export, "POOL_THRESHOLD", {k: 0 for k in _coco_export.POOL_THRESHOLD})
    monkeypatch.setattr(_coco_export, "BLOCK", {k: 7 for k in _coco_export.BLOCK})
    monkeypatch.setattr(coco, "POOL_THRESHOLD", 0)
    monkeypatch.setattr(coco, "BLOCK", 7)


def body(path) -> dict:
    data = json.loads(path.read_text())
    data["info"].pop("date_created")
    return data


def rows(project: Project) -> list[tuple]:
    return project.conn.execute(
        "SELECT i.rle, i.y0, i.x0, i.h, i.w, i.area, i.z, i.id, i.crowd, i.category_id, m.path"
        " FROM instances i JOIN images m ON m.id = i.image_id ORDER BY m.path, i.z").fetchall()


@pytest.mark.parametrize("mode", ["rle", "auto", "polygons"])
def test_pool_export_writes_the_same_files_and_report(big, tmp_path, monkeypatch, mode):
    out = {}
    for on in (False, True):
        pooled(monkeypatch, on)
        cpu = parallel.worker_cpu_seconds()
        rep = registry.export("coco", big, tmp_path / f"o{on}", {"segmentation": mode})
        assert (parallel.worker_cpu_seconds() > cpu) == on  # the workers really did the work
        out[on] = (rep.to_dict(), {p.name: body(p) for p in (tmp_path / f"o{on}").iterdir()})
    (a_rep, a_files), (b_rep, b_files) = out[False], out[True]
    assert a_files == b_files and len(a_files) == 3
    for r in (a_rep, b_rep):
        r.pop("destination")
        r.pop("files")
    assert a_rep == b_rep and a_rep["instances"] == 60


def test_pool_import_matches_inline_and_reports_empty_masks(big, tmp_path, monkeypatch):
    pooled(monkeypatch, False)
    registry.export("coco", big, tmp_path / "t.json", {"segmentation": "rle", "split": "train"})
    data = json.loads((tmp_path / "t.json").read_text())
    empty = {"size": data["annotations"][3]["segmentation"]["size"],
             "counts": rle.encode(np.zeros((30, 40), bool))["counts"]}
    data["annotations"][3]["segmentation"] = empty
    data["annotations"][3]["attributes"] = {"note": "x"}
    data["annotations"][5]["attributes"] = {"occluded": True}
    data["annotations"][6]["score"] = 0.25
    (tmp_path / "t.json").write_text(json.dumps(data))
    got = {}
    for on in (False, True):
        pooled(monkeypatch, on)
        q = Project.create(tmp_path / f"q{on}")
        cpu = parallel.worker_cpu_seconds()
        dry = registry.import_into("coco", tmp_path / "t.json", q, {"require_images": False, "trust_paths": True},
                                   dry_run=True)
        rep = registry.import_into("coco", tmp_path / "t.json", q, {"require_images": False, "trust_paths": True})
        assert (parallel.worker_cpu_seconds() > cpu) == on
        assert dry.instances == rep.instances == 19 and dry.skipped == rep.skipped
        assert rep.skipped == [("annotations[3] (image " + data["images"][0]["file_name"] + ")", "empty mask")]
        attrs = q.conn.execute("SELECT attributes, score FROM instances ORDER BY image_id, z").fetchall()
        got[on] = (rows(q), attrs, rep.to_dict()["per_category"], [r.status for r in q.images()])
        q.close()
    assert got[False] == got[True]
    assert ('{"occluded": true}', None) in got[True][1] and ("{}", 0.25) in got[True][1]


def test_pool_import_of_a_bad_rle_writes_nothing(big, tmp_path, monkeypatch):
    pooled(monkeypatch, False)
    registry.export("coco", big, tmp_path / "t.json", {"segmentation": "rle", "split": "train"})
    data = json.loads((tmp_path / "t.json").read_text())
    data["annotations"][17]["segmentation"]["counts"] = "0a"  # in the third block of 7
    (tmp_path / "t.json").write_text(json.dumps(data))
    pooled(monkeypatch, True)
    q = Project.create(tmp_path / "q")
    with pytest.raises(FormatError, match=r"annotations\[17\]\.segmentation\.counts.*truncated|truncated"):
        registry.import_into("coco", tmp_path / "t.json", q, {"require_images": False, "trust_paths": True})
    assert q.image_count() == 0 and not list(q.categories())
    with pytest.raises(FormatError, match=r"annotations\[17\]\.segmentation\.counts"):
        registry.validate("coco", tmp_path / "t.json", {"trust_paths": True})


def test_pool_import_replace_mode_and_validate(big, tmp_path, monkeypatch):
    pooled(monkeypatch, True)
    registry.export("coco", big, tmp_path / "v.json", {"segmentation": "rle", "split": "val"})
    q = Project.create(tmp_path / "q")
    registry.import_into("coco", tmp_path / "v.json", q, {"require_images": False, "trust_paths": True})
    rep = registry.import_into("coco", tmp_path / "v.json", q,
                               {"require_images": False, "trust_paths": True, "mode": "replace"})
    assert rep.instances == 20 and sum(len(q.load_instances(r.id)) for r in q.images()) == 20
    val = registry.validate("coco", tmp_path / "v.json", {"trust_paths": True})
    assert val.instances == 20 and sum(val.per_category.values()) == 20


def test_chunk_pool_keeps_order_and_raises_in_order():
    tasks = [(k, k) for k in range(40)]
    with parallel.ChunkPool(2) as pool:
        assert [m for m, _ in pool.imap(_square_or_fail, tasks)] == list(range(40))
    with parallel.ChunkPool(2) as pool:
        assert [r for _, r in pool.imap(_square_or_fail, tasks, ahead=3)] == [k * k for k in range(40)]
    with parallel.ChunkPool(2) as pool, pytest.raises(ValueError, match="13"):
        for meta, _ in pool.imap(_square_or_fail, [(k, -k if k == 13 else k) for k in range(40)]):
            assert meta < 13
    assert parallel.worker_cpu_seconds() > 0
    with parallel.ChunkPool(0) as pool:
        assert [r for _, r in pool.imap(_square_or_fail, tasks)] == [k * k for k in range(40)]


@pytest.mark.parametrize("workers", [0, 2])
def test_pooled_blocks_take_in_order_and_close_the_pool(monkeypatch, workers):
    closed: list[bool] = []
    real_close = parallel.ChunkPool.close

    def close(self, cancel=False):
        if self._ex is not None or workers == 0:
            closed.append(cancel)
        real_close(self, cancel)

    monkeypatch.setattr(parallel.ChunkPool, "close", close)
    tasks = [(k, k) for k in range(20)]
    blocks, _ = parallel.pooled_blocks(_square_or_fail, tasks, workers, 3, lambda m, r: (m, r))
    assert list(blocks) == [(k, k * k) for k in range(20)]
    assert closed[0] is False  # ran to the end: nothing to cancel

    def take(meta, result):
        if meta == 5:
            raise RuntimeError("block 5 refused")
        return result

    closed.clear()
    blocks, _ = parallel.pooled_blocks(_square_or_fail, tasks, workers, 3, take)
    with pytest.raises(RuntimeError, match="block 5"):
        list(blocks)
    assert closed[0] is True  # failed in take: the queued tasks are cancelled

    closed.clear()
    blocks, stop = parallel.pooled_blocks(_square_or_fail, tasks, workers, 3, take)
    assert next(blocks) == 0
    stop()
    assert closed[0] is True and list(blocks) == []


def test_small_jobs_stay_inline(monkeypatch):
    monkeypatch.delenv(parallel.WORKERS_ENV, raising=False)
    assert parallel.workers_for(10, 100) == 0
    monkeypatch.setattr(parallel, "cpu_count", lambda: 16)
    assert parallel.workers_for(1000, 100) == parallel.MAX_WORKERS and parallel.workers_for(1000, 100, 2) == 2
    monkeypatch.setattr(parallel, "cpu_count", lambda: 1)
    assert parallel.workers_for(1000, 100) == 0
    monkeypatch.setenv(parallel.WORKERS_ENV, "3")
    assert parallel.workers_for(1000, 100) == 3 and parallel.workers_for(10, 100) == 0


def _square_or_fail(x: int) -> int:
    if x < 0:
        raise ValueError(f"task {-x} failed")
    return x * x


def test_rle_export_keeps_scores_attributes_and_crowd(big, tmp_path, monkeypatch):
    big.conn.execute("UPDATE instances SET score = 0.125, attributes = ?, crowd = 1 WHERE id = 2",
                     (json.dumps({"note": "a\\b"}),))
    big.conn.commit()
    for on in (False, True):
        pooled(monkeypatch, on)
        registry.export("coco", big, tmp_path / f"o{on}", {"segmentation": "rle"})
        anns = [a for f in sorted((tmp_path / f"o{on}").iterdir())
                for a in json.loads(f.read_text())["annotations"]]
        marked = [a for a in anns if "score" in a]
        assert len(marked) == 12 and all(a["iscrowd"] == 1 for a in marked)
        assert {(a["score"], a["attributes"]["note"]) for a in marked} == {(0.125, "a\\b")}
        assert all("score" not in a and "attributes" not in a and a["iscrowd"] == 0
                   for a in anns if a not in marked)


def test_cancelled_pool_import_writes_nothing(big, tmp_path, monkeypatch):
    from segstudio.core.tasks import Cancelled, CancelToken

    pooled(monkeypatch, False)
    registry.export("coco", big, tmp_path / "t.json", {"segmentation": "rle", "split": "train"})
    pooled(monkeypatch, True)
    token = CancelToken()

    def progress(done, total, msg):
        if msg == "writing":  # inside the transaction, after the first block went in
            token.cancel()

    q = Project.create(tmp_path / "q")
    with pytest.raises(Cancelled):
        registry.import_into("coco", tmp_path / "t.json", q, {"require_images": False, "trust_paths": True},
                             progress=progress, cancel=token)
    assert q.image_count() == 0 and not list(q.categories())
