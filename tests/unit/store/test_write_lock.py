"""Issue 21.4: writers behind another process's write lock wait visibly and end with one line.

The lock is held by a separate connection (another thread here, another process in the CLI
tests), exactly what a second SegStudio process holds while it writes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.store import Project, ProjectLocked
from segstudio.store.writer import WritePath

HOLDER = """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
c.execute("COMMIT")
"""


class Holder:
    """Holds the write lock of `db` on its own connection until `release()`."""

    def __init__(self, db: Path) -> None:
        self.conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.close()

    def release_after(self, seconds: float) -> threading.Timer:
        t = threading.Timer(seconds, self.release)
        t.start()
        return t


@pytest.fixture
def project(tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.zeros((20, 30, 3), np.uint8))
    p = Project.create(tmp_path / "proj")
    p.add_folder(folder)
    p.add_category("thing")
    yield p
    p.close()


def _inst(iid: int) -> Instance:
    return Instance(iid, 1, MaskPatch(2, 2, np.ones((3, 4), bool), (20, 30)), "manual")


def _count(root: Path) -> int:
    with Project.open(root) as p:
        return len(p.load_instances(1))


def test_a_transaction_waits_for_the_lock_and_says_so(project):
    waits: list[float | None] = []
    project.on_lock_wait = waits.append
    holder = Holder(project.db_path)
    holder.release_after(1.2)
    with project.transaction(wait=10):
        project.save_instances(1, [_inst(1)])
    assert _count(project.root) == 1
    assert waits[-1] is None and len(waits) >= 2  # at least one "waited n s", then "got it"
    assert all(w is not None and w > 0 for w in waits[:-1]) and waits[:-1] == sorted(waits[:-1])


def test_a_lock_held_too_long_is_one_line_naming_the_database_and_nothing_is_written(project):
    holder = Holder(project.db_path)
    try:
        with pytest.raises(ProjectLocked) as info, project.transaction(wait=0.5):
            project.save_instances(1, [_inst(1)])
    finally:
        holder.release()
    msg = str(info.value)
    assert "\n" not in msg and str(project.db_path) in msg and "another SegStudio process" in msg
    assert _count(project.root) == 0
    with project.transaction():  # the connection is usable afterwards
        project.save_instances(1, [_inst(2)])
    assert _count(project.root) == 1


# ------------------------------------------------------------------ the GUI's write path
def test_write_path_writes_at_once_when_the_lock_is_free(project):
    path = WritePath(project, wait=5)
    path((1, 0, "gt"), lambda p: p.save_instances(1, [_inst(1)]))
    assert path.idle and _count(project.root) == 1  # in the database when the call returns
    path.close()


def test_write_path_queues_behind_a_held_lock_without_blocking_and_keeps_the_order(project):
    events: list = []
    path = WritePath(project, wait=20, on_wait=events.append, on_idle=lambda: events.append("idle"))
    holder = Holder(project.db_path)
    key = (1, 0, "gt")
    path(key, lambda p: p.save_instances(1, [_inst(1)]))
    path(key, lambda p: p.save_instances(1, [], deletes=[1]))  # must run after the first
    path(key, lambda p: p.save_instances(1, [_inst(7)]))
    assert not path.idle and path.pending() >= 2  # returned with the lock still held
    assert _count(project.root) == 0
    time.sleep(0.8)
    holder.release()
    assert path.drain(10)
    with Project.open(project.root) as p:
        assert [i.id for i in p.load_instances(1)] == [7]
    assert any(isinstance(e, float) for e in events) and None in events and events[-1] == "idle"
    path.close()


def test_write_path_drops_the_queue_and_names_the_documents_when_the_wait_ends(project):
    failed: list = []
    path = WritePath(project, wait=0.6, on_failed=lambda keys, why: failed.append((keys, why)))
    holder = Holder(project.db_path)
    try:
        path((1, 0, "gt"), lambda p: p.save_instances(1, [_inst(1)]))
        path((1, 3, "gt"), lambda p: p.save_instances(1, [_inst(2)], frame=3))
        assert path.drain(10)
        assert len(failed) == 1
        keys, why = failed[0]
        assert keys == [(1, 0, "gt"), (1, 3, "gt")]
        assert "\n" not in why and "another SegStudio process" in why
        # a later edit of a failed document was made on lost edits: dropped until reverted
        path((1, 0, "gt"), lambda p: p.save_instances(1, [_inst(3)]))
        assert path.idle and path.pending() == 0
    finally:
        holder.release()
    path.reverted([(1, 0, "gt")])
    path((1, 0, "gt"), lambda p: p.save_instances(1, [_inst(4)]))
    with Project.open(project.root) as p:
        assert [i.id for i in p.load_instances(1)] == [4]
    path.close()


# ------------------------------------------------------------------ the command line
def _coco(folder: Path, n: int = 3) -> Path:
    folder.mkdir()
    images, anns = [], []
    for k in range(n):
        cv2.imwrite(str(folder / f"im{k}.png"), np.full((24, 32, 3), 40 * k, np.uint8))
        images.append({"id": k + 1, "file_name": f"im{k}.png", "width": 32, "height": 24})
        anns.append({"id": k + 1, "image_id": k + 1, "category_id": 1, "iscrowd": 0, "area": 100,
                     "bbox": [2, 2, 10, 10], "segmentation": [[2, 2, 12, 2, 12, 12, 2, 12]]})
    path = folder / "coco.json"
    path.write_text(json.dumps({"images": images, "annotations": anns,
                                "categories": [{"id": 1, "name": "cat"}]}))
    return path


def _cli(*args: str, wait: float) -> subprocess.Popen:
    env = {**os.environ, "SEGSTUDIO_LOCK_WAIT": str(wait), "SEGSTUDIO_IO_WORKERS": "0"}
    return subprocess.Popen([sys.executable, "-m", "segstudio", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _hold_in_another_process(db: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_cli_import_behind_a_held_lock_waits_visibly_then_fails_in_one_line(tmp_path):
    coco = _coco(tmp_path / "ds")
    assert _cli("init", str(tmp_path / "ds"), "--project", str(tmp_path / "p"), wait=5).wait() == 0
    holder = _hold_in_another_process(tmp_path / "p" / "segstudio.db", 30)
    try:
        proc = _cli("import", "coco", str(coco), str(tmp_path / "p"), wait=1.5)
        out, err = proc.communicate(timeout=60)
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode == 1
    assert "Traceback" not in err and "waiting for another SegStudio process" in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("segstudio import: error: ") and "segstudio.db" in last
    assert _count_all(tmp_path / "p") == 0


def _count_all(root: Path) -> int:
    with Project.open(root) as p:
        return int(p.conn.execute("SELECT COUNT(*) FROM instances").fetchone()[0])


def test_two_identical_imports_at_once_run_one_after_the_other(tmp_path):
    """Both read the file while a third process writes; before the fix the second to write
    inserted the category again and died with `sqlite3.IntegrityError`."""
    coco = _coco(tmp_path / "ds")
    assert _cli("init", str(tmp_path / "ds"), "--project", str(tmp_path / "p"), wait=5).wait() == 0
    holder = _hold_in_another_process(tmp_path / "p" / "segstudio.db", 3)
    procs = [_cli("import", "coco", str(coco), str(tmp_path / "p"), wait=60) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in procs]
    holder.wait()
    for proc, (_out, err) in zip(procs, results):
        assert proc.returncode == 0, err
        assert "Traceback" not in err and "IntegrityError" not in err
    with Project.open(tmp_path / "p") as p:
        assert [c.name for c in p.categories()] == ["cat"]
        assert p.image_count() == 3
        assert _count_all(tmp_path / "p") == 6  # appended twice, as two imports in a row do
