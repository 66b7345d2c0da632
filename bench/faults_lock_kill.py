"""Held write lock and SIGKILL figures (issue 21.4, 21.7, 22.5).

1. The GUI's write path (`store.writer.WritePath`), interleaved rounds:
   A (baseline) one edit with the lock free: the call returns when the edit is committed;
   B one edit while another connection holds the write lock: how long the caller (the GUI
     thread) is blocked, then how long after the lock is released the edit is in the database.
   Ratio B/A of the caller's blocked time: the window must not wait for the other process.
2. A CLI writer (`segstudio import`) behind a lock held longer than SEGSTUDIO_LOCK_WAIT: the
   seconds until its one-line error, against the wait asked for.
3. Kills: `segstudio import` of a 30,000-annotation compressed-RLE COCO file (its worker pool
   starts) SIGKILLed at random moments while the workers run; processes it started that are
   still alive 5 s later, over N runs.

Run: .venv/bin/python bench/faults_lock_kill.py [--rounds 10] [--kills 10]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.benchkit import Series, load  # noqa: E402
from segstudio.core.instance import Instance  # noqa: E402
from segstudio.core.masks import MaskPatch  # noqa: E402
from segstudio.store import Project  # noqa: E402
from segstudio.store.writer import WritePath  # noqa: E402
from tests.killing import Killable  # noqa: E402


def _project(root: Path) -> Project:
    (root / "imgs").mkdir(parents=True)
    cv2.imwrite(str(root / "imgs" / "a.png"), np.zeros((300, 400, 3), np.uint8))
    p = Project.create(root / "p")
    p.add_folder(root / "imgs")
    p.add_category("thing")
    return p


def write_path_rounds(rounds: int, hold_s: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = _project(Path(tmp))
        path = WritePath(project, wait=60)
        free, held_call, held_saved = Series("free"), Series("held: call"), Series("held: saved after release")
        mask = MaskPatch(10, 10, np.ones((120, 150), bool), (300, 400))
        iid = 0
        for _ in range(rounds):
            iid += 1
            t0 = time.perf_counter()
            path((1, 0, "gt"), lambda p, i=iid: p.save_instances(1, [Instance(i, 1, mask, "manual")]))
            free.add(time.perf_counter() - t0)
            holder = sqlite3.connect(project.db_path, isolation_level=None, check_same_thread=False)
            holder.execute("BEGIN IMMEDIATE")
            iid += 1
            t0 = time.perf_counter()
            path((1, 0, "gt"), lambda p, i=iid: p.save_instances(1, [Instance(i, 1, mask, "manual")]))
            held_call.add(time.perf_counter() - t0)
            time.sleep(hold_s)
            released = time.perf_counter()
            holder.execute("COMMIT")
            holder.close()
            path.drain(60)
            held_saved.add(time.perf_counter() - released)
        path.close()
        project.close()
    print(f"  A lock free, edit committed in the call: {free.text(' ms', 1000)}")
    print(f"  B lock held: the caller is blocked     {held_call.text(' ms', 1000)}  "
          f"ratio B/A {held_call.median / free.median:.2f}")
    print(f"  B the queued edit is committed {held_saved.text(' ms', 1000)} after the lock is released")


def cli_give_up(wait: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _project(root).close()
        coco = root / "c.json"
        coco.write_text(json.dumps({"images": [], "annotations": [], "categories": [{"id": 1, "name": "x"}]}))
        holder = sqlite3.connect(root / "p" / "segstudio.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        env = {**os.environ, "SEGSTUDIO_LOCK_WAIT": str(wait), "PYTHONPATH": str(ROOT)}
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "segstudio", "import", "coco", str(coco), str(root / "p")],
                              env=env, capture_output=True, text=True)
        took = time.perf_counter() - t0
        holder.execute("ROLLBACK")
        lines = proc.stderr.strip().splitlines()
        print(f"  exit {proc.returncode} after {took:.2f} s (wait asked: {wait:.1f} s; {load()})")
        print(f"  stderr: {len(lines)} lines; first: {lines[0]!r}")
        print(f"          last: {lines[-1]!r}")


def kills(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        src = _big_coco(root / "src")
        cli = [sys.executable, "-m", "segstudio"]
        assert subprocess.run([*cli, "init", str(src / "images"), "--project", str(root / "p")],
                              capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).returncode == 0
        rng = random.Random(1)
        left_runs, mid, total_left = 0, 0, 0
        for _ in range(n):
            run = Killable([*cli, "import", "coco", str(src / "coco.json"), str(root / "p")],
                           env={"SEGSTUDIO_IO_WORKERS": "2"}, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            run.wait_for(lambda r=run: len(r.seen) >= 3)
            run.wait_for(lambda: False, timeout=rng.uniform(0, 0.8))
            mid += run.kill()
            left = run.survivors()
            left_runs += bool(left)
            total_left += len(left)
        print(f"  {n} imports killed ({mid} while running): {left_runs} left processes behind "
              f"({total_left} processes in all); {load()}")


def _big_coco(d: Path) -> Path:
    from pycocotools import mask as cmask

    (d / "images").mkdir(parents=True)
    m = np.zeros((32, 48), np.uint8, order="F")
    m[5:15, 8:20] = 1
    r = cmask.encode(m)
    counts = r["counts"].decode()
    images, anns = [], []
    for i in range(300):
        cv2.imwrite(str(d / "images" / f"im{i:04d}.png"), np.full((32, 48, 3), i % 250, np.uint8))
        images.append({"id": i + 1, "file_name": f"images/im{i:04d}.png", "width": 48, "height": 32})
        for _ in range(100):
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": 1, "iscrowd": 0,
                         "area": 120, "bbox": [8, 5, 12, 10], "segmentation": {"size": [32, 48], "counts": counts}})
    (d / "coco.json").write_text(json.dumps({"images": images, "annotations": anns,
                                             "categories": [{"id": 1, "name": "c"}]}))
    return d


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--hold", type=float, default=0.5, help="seconds the lock is held in part 1")
    ap.add_argument("--wait", type=float, default=3.0, help="SEGSTUDIO_LOCK_WAIT for part 2")
    ap.add_argument("--kills", type=int, default=10)
    a = ap.parse_args()
    print(f"1. GUI write path, {a.rounds} interleaved rounds, lock held {a.hold} s in B ({load()})")
    write_path_rounds(a.rounds, a.hold)
    print(f"2. CLI import behind a lock held past SEGSTUDIO_LOCK_WAIT ({load()})")
    cli_give_up(a.wait)
    print(f"3. SIGKILLed imports with a worker pool ({load()})")
    kills(a.kills)


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
