"""Project store benchmark (issue 2).

1. A project of N synthetic image records (default 100,000): open it and list every record
   (what the image list needs), in a fresh process so RSS is the app's, not this script's.
   Baseline in the same run: raw sqlite3 connect + SELECT of the same rows.
2. Committing one edit of an instance on a 4000x3000 image (a 1500x1200 blob with a hole),
   through the real path (document -> command -> persister -> one transaction).
   Baseline in the same run: a bare INSERT OR REPLACE of a same-sized text blob + COMMIT.

Run: .venv/bin/python bench/store_bench.py [--images 100000] [--edits 50]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from segstudio.core import commands as C  # noqa: E402
from segstudio.core.history import History  # noqa: E402
from segstudio.core.instance import Instance  # noqa: E402
from segstudio.core.masks import MaskPatch  # noqa: E402
from segstudio.store import Project  # noqa: E402

OPEN_PROBE = """
import sys, time, json, psutil
t0 = time.perf_counter()
from segstudio.store import Project
p = Project.open(sys.argv[1])
records = p.images()
counts = p.counts_by_status()
t1 = time.perf_counter()
print(json.dumps({"seconds": t1 - t0, "records": len(records), "rss_mb": psutil.Process().memory_info().rss / 2**20}))
"""

RAW_PROBE = """
import sys, time, json, sqlite3, psutil
t0 = time.perf_counter()
c = sqlite3.connect(sys.argv[1] + '/segstudio.db')
rows = c.execute('SELECT id, path, width, height, status, split, kind, frame_count, review_status FROM images').fetchall()
t1 = time.perf_counter()
print(json.dumps({"seconds": t1 - t0, "records": len(rows), "rss_mb": psutil.Process().memory_info().rss / 2**20}))
"""


def make_project(root: Path, n: int) -> None:
    project = Project.create(root)
    now = time.time()
    statuses = ["new", "prelabelled", "in_progress", "in_review", "done"]
    with project.transaction() as c:
        c.executemany(
            "INSERT INTO images(path, width, height, status, added_at, updated_at) VALUES (?,?,?,?,?,?)",
            ((f"images/{i // 1000:03d}/img_{i:06d}.jpg", 1024, 768, statuses[i % 5], now, now) for i in range(n)),
        )
    project.close()


def probe(code: str, root: Path, reps: int = 3) -> dict:
    runs = []
    for _ in range(reps):
        out = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True,
                             check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        runs.append(json.loads(out.stdout))
    return {"seconds": statistics.median(r["seconds"] for r in runs), "rss_mb": max(r["rss_mb"] for r in runs),
            "records": runs[0]["records"]}


def bench_commit(root: Path, edits: int) -> tuple[list[float], list[float]]:
    import cv2

    project = Project.create(root)
    project.add_images([(root / "big.jpg", 4000, 3000)])
    doc = project.load_document(1)
    project.attach(doc)
    history = History()
    mask = np.zeros((3000, 4000), np.uint8)
    cv2.ellipse(mask, ((2000, 1500), (1500, 1200), 0), 1, -1)
    cv2.circle(mask, (2000, 1500), 200, 0, -1)
    inst = Instance(doc.allocate_id(), 1, MaskPatch.from_full(mask))
    history.push(C.add_instance(doc, inst))
    dab = np.ones((40, 40), bool)
    times = []
    for k in range(edits):
        new_mask = doc.get(inst.id).mask.paint(dab, 1500 + k, 2700 + k)  # grow the edge: a brush dab
        cmd = C.replace_mask(doc, inst.id, new_mask, "Brush stroke")
        t0 = time.perf_counter()
        history.push(cmd)  # -> document change -> persister -> one transaction
        times.append(time.perf_counter() - t0)
    blob_len = len(project.conn.execute("SELECT rle FROM instances").fetchone()[0])
    project.close()
    raw = sqlite3.connect(root / "raw.db", isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=NORMAL")
    raw.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, blob TEXT)")
    blob = "x" * blob_len
    raw_times = []
    for _ in range(edits):
        t0 = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("INSERT OR REPLACE INTO t(id, blob) VALUES (1, ?)", (blob,))
        raw.execute("COMMIT")
        raw_times.append(time.perf_counter() - t0)
    return times, raw_times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=100_000)
    ap.add_argument("--edits", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "big"
        t0 = time.perf_counter()
        make_project(root, args.images)
        print(f"built a project of {args.images:,} image records in {time.perf_counter() - t0:.1f} s")
        ours = probe(OPEN_PROBE, root)
        raw = probe(RAW_PROBE, root)
        print(f"open + list {ours['records']:,} records: {ours['seconds'] * 1000:.0f} ms median "
              f"(raw sqlite SELECT {raw['seconds'] * 1000:.0f} ms; ratio {ours['seconds'] / raw['seconds']:.2f}x) "
              f"- goal <= 1000 ms")
        print(f"peak RSS of the opening process: {ours['rss_mb']:.0f} MB (raw sqlite process {raw['rss_mb']:.0f} MB)"
              " - goal <= 300 MB")
        times, raw_times = bench_commit(Path(tmp) / "edit", args.edits)
        med, p95 = statistics.median(times) * 1000, float(np.percentile(times, 95)) * 1000
        rmed = statistics.median(raw_times) * 1000
        print(f"commit one edit of a 4000x3000-image instance: {med:.2f} ms median, {p95:.2f} ms p95 "
              f"(bare INSERT+COMMIT of the same blob size {rmed:.2f} ms; ratio {med / rmed:.1f}x) - goal <= 10 ms")


if __name__ == "__main__":
    main()
