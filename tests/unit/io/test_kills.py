"""Kill tests (issue 21.7, 21.8, 22.5): SIGKILL an import, an export (into a folder holding an
older export) and a LabelMe import with embedded images while they run.  Afterwards: the
database passes its integrity check, holds all of the import or none of it, no process the
command started is alive, and the next run leaves no staging folder or orphaned image.

Before the fixes: the fork server, its workers and the resource tracker survived 18 of 20
killed imports; staging folders stayed; a killed LabelMe import left its extracted images and a
re-import wrote `*_2.png` copies of them."""

from __future__ import annotations

import base64
import json
import random
import re
import sqlite3
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as cmask

from segstudio.io import registry
from segstudio.store import Project
from tests.killing import Killable
from tests.unit.io.helpers import make_project
from tests.unit.io.test_atomic_export import leftovers, snapshot

N_IMAGES, PER_IMAGE = 300, 100  # 30,000 RLE annotations: the import's worker pool starts
CLI = [sys.executable, "-m", "segstudio"]
ENV = {"SEGSTUDIO_IO_WORKERS": "2"}  # a pool even on one core


def _integrity(root: Path) -> str:
    conn = sqlite3.connect(root / "segstudio.db")
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def _instances(root: Path) -> int:
    with Project.open(root) as p:
        return int(p.conn.execute("SELECT COUNT(*) FROM instances").fetchone()[0])


@pytest.fixture(scope="module")
def big_coco(tmp_path_factory) -> Path:
    """A COCO file of 30,000 compressed-RLE annotations over 300 tiny images."""
    d = tmp_path_factory.mktemp("bigcoco")
    (d / "images").mkdir()
    rng = np.random.default_rng(0)
    shapes = []
    for k in range(8):  # a few distinct masks, reused: the file is quick to make
        m = np.zeros((32, 48), np.uint8, order="F")
        y, x = rng.integers(0, 20, 2)
        m[y:y + 8 + k, x:x + 10] = 1
        r = cmask.encode(m)
        shapes.append((r["counts"].decode(), int(m.sum()), [int(x), int(y), 10, 8 + k]))
    images, anns = [], []
    for i in range(N_IMAGES):
        name = f"images/im{i:04d}.png"
        cv2.imwrite(str(d / name), np.full((32, 48, 3), i % 250, np.uint8))
        images.append({"id": i + 1, "file_name": name, "width": 48, "height": 32})
        for k in range(PER_IMAGE):
            counts, area, bbox = shapes[(i + k) % len(shapes)]
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": 1 + k % 3,
                         "iscrowd": 0, "area": area, "bbox": bbox,
                         "segmentation": {"size": [32, 48], "counts": counts}})
    (d / "coco.json").write_text(json.dumps({
        "images": images, "annotations": anns,
        "categories": [{"id": c, "name": f"c{c}"} for c in (1, 2, 3)]}))
    return d


def _workers_started(run: Killable) -> bool:
    return sum("multiprocessing" in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")
               for p in list(run.seen) if Path(f"/proc/{p}").exists()) >= 3  # server + 2 workers


def test_killed_imports_leave_no_process_and_all_or_nothing(big_coco, tmp_path):
    project = tmp_path / "p"
    assert Killable([*CLI, "init", str(big_coco / "images"), "--project", str(project)]).proc.wait() == 0
    total = N_IMAGES * PER_IMAGE
    rng = random.Random(7)
    mid_work = 0
    for _ in range(3):
        before = _instances(project)
        run = Killable([*CLI, "import", "coco", str(big_coco / "coco.json"), str(project)], env=ENV)
        if run.wait_for(lambda r=run: _workers_started(r)):
            run.wait_for(lambda: False, timeout=rng.uniform(0.0, 0.6))  # somewhere in the work
        mid_work += run.kill()
        assert run.survivors() == [], "processes outlived the killed import"
        assert _integrity(project) == "ok"
        assert _instances(project) in (before, before + total)  # all of it or none of it
    assert mid_work >= 2  # the kills landed while it worked
    done = Killable([*CLI, "import", "coco", str(big_coco / "coco.json"), str(project)], env=ENV)
    assert done.proc.wait() == 0 and done.survivors() == []  # 22.5: nothing outlives the command
    assert _instances(project) % total == 0 and _instances(project) > 0


def _coco_snapshot(folder: Path) -> dict[str, bytes]:
    """`snapshot` with COCO's `date_created` blanked (two runs differ only there)."""
    return {k: re.sub(rb'"date_created": ?"[^"]*"', b'"date_created": ""', v)
            for k, v in snapshot(folder).items()}


def test_killed_exports_into_an_older_export_leave_one_of_them_whole(big_coco, tmp_path):
    project = tmp_path / "p"
    with Project.create(project) as p:
        registry.import_into("coco", big_coco / "coco.json", p)
    dst = tmp_path / "out"
    with make_project(tmp_path / "q", n_images=4) as q:  # the older export: other images, copied
        registry.export("coco", q, dst, {"copy_images": True})
    old = _coco_snapshot(dst)
    assert any(k.startswith("images/") for k in old)
    with Project.open(project) as p:
        registry.export("coco", p, tmp_path / "fresh", {})
    new = _coco_snapshot(tmp_path / "fresh")
    rng = random.Random(3)
    for _ in range(3):
        run = Killable([*CLI, "export", "coco", str(project), str(dst)], env=ENV)
        run.wait_for(lambda r=run: _workers_started(r))  # the pool converts the masks
        run.wait_for(lambda: False, timeout=rng.uniform(0.0, 1.0))
        run.kill()
        assert run.survivors() == []
        assert _coco_snapshot(dst) in (old, new)  # one of them, whole
        old = _coco_snapshot(dst)
    nxt = Killable([*CLI, "export", "coco", str(project), str(dst)], env=ENV)  # the next run
    assert nxt.proc.wait() == 0 and nxt.survivors() == []
    assert leftovers(dst) == []  # no staging folder of the killed runs is left
    assert _coco_snapshot(dst) == new  # and no file of the older, bigger export (its images/)


def _labelme_folder(folder: Path, n: int) -> None:
    """`n` LabelMe files whose images exist only as embedded imageData."""
    folder.mkdir()
    rng = np.random.default_rng(5)
    for i in range(n):
        img = rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)
        ok, png = cv2.imencode(".png", img)
        doc = {"version": "5.4.1", "flags": {}, "imagePath": f"gone/img{i:04d}.png",
               "imageData": base64.b64encode(png.tobytes()).decode(), "imageHeight": 24,
               "imageWidth": 32, "shapes": [{"label": "cat", "points": [[2, 2], [20, 2], [20, 15]],
                                             "shape_type": "polygon", "group_id": None, "flags": {}}]}
        (folder / f"img{i:04d}.json").write_text(json.dumps(doc))


def test_a_killed_labelme_import_with_embedded_images_leaves_nothing_after_the_next_run(tmp_path):
    src = tmp_path / "lm"
    _labelme_folder(src, 600)
    project = tmp_path / "p"
    Project.create(project).close()
    extracted = project / "imported_images"
    killed_mid_way = False
    for delay in (0.0, 0.05, 0.15):
        run = Killable([*CLI, "import", "labelme", str(src), str(project)])
        run.wait_for(lambda: extracted.is_dir() and any(extracted.iterdir()))
        run.wait_for(lambda: False, timeout=delay)
        if run.kill() and _instances(project) == 0 and any(extracted.iterdir()):
            killed_mid_way = True  # images written, nothing committed: orphans
        assert run.survivors() == [] and _integrity(project) == "ok"
        assert _instances(project) in (0, 600)
        if _instances(project):
            break
    assert killed_mid_way
    done = Killable([*CLI, "import", "labelme", str(src), str(project), "--mode", "replace"])
    assert done.proc.wait() == 0
    with Project.open(project) as p:
        used = p.image_paths_under("imported_images")
        assert p.image_count() == 600 and len(used) == 600
    files = sorted(f"imported_images/{f.name}" for f in extracted.iterdir())
    assert files == sorted(used)  # no orphan is left, no copy was made
    again = Killable([*CLI, "import", "labelme", str(src), str(project), "--mode", "replace"])
    assert again.proc.wait() == 0
    assert sorted(f"imported_images/{f.name}" for f in extracted.iterdir()) == files  # no *_2.png
    with Project.open(project) as p:
        assert p.image_count() == 600


def test_a_labelme_dataset_under_a_hidden_folder_is_found(tmp_path):
    """Found on the way: every file was skipped when any folder *above* the dataset was hidden
    (~/.cache/...), not only hidden folders inside it."""
    (tmp_path / ".cache").mkdir()
    src = tmp_path / ".cache" / "lm"
    _labelme_folder(src, 2)
    (src / ".hidden").mkdir()
    (src / ".hidden" / "x.json").write_text("{not json")  # inside the dataset: still skipped
    with Project.create(tmp_path / "p") as p:
        rep = registry.import_into("labelme", src, p)
        assert rep.images == 2 and p.image_count() == 2
