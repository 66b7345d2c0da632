"""The longer Ray check (issue 20): a local cluster pre-labels a few hundred images with the
built-in model through the CLI; the driver is SIGKILLed mid-job (with its whole process
group: the local cluster goes with it) and the job is run again: it resumes, nothing is
duplicated, and the result equals the local path's.  (The test suite's short version kills a
worker instead: tests/unit/inference/test_ray_batch.py.)

Run: .venv/bin/python scripts/ray_cluster_check.py [--images 200]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.benchkit import load  # noqa: E402
from bench.ray_prelabel import MODEL, ROWS, fresh_project, make_images  # noqa: E402


def cli(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "segstudio", *args], start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=200)
    args = ap.parse_args()
    from segstudio.store import Project

    work = Path(tempfile.mkdtemp(prefix="segstudio-ray-check-"))
    try:
        make_images(work / "images", args.images)
        local, remote = fresh_project(work, work / "images", "local"), fresh_project(work, work / "images", "ray")
        print(f"{args.images} images; local reference run ...  [{load()}]", flush=True)
        out = cli("prelabel", str(local), "--model", MODEL)
        print("  " + out.communicate()[0].strip().splitlines()[-1])
        job = cli("prelabel", str(remote), "--model", MODEL, "--ray", "--ray-cpus", "2")
        with Project.open(remote) as p:
            while job.poll() is None:
                done = p.conn.execute("SELECT COUNT(*) FROM instances").fetchone()[0]
                if done >= args.images // 3:
                    break
                time.sleep(0.2)
        os.killpg(job.pid, signal.SIGKILL)  # the driver and what it started, by process group
        job.wait()
        with Project.open(remote) as p:
            before = p.conn.execute("SELECT COUNT(DISTINCT image_id) FROM instances").fetchone()[0]
        print(f"driver SIGKILLed after {before} images committed  [{load()}]", flush=True)
        again = cli("prelabel", str(remote), "--model", MODEL, "--ray", "--ray-cpus", "2")
        text = again.communicate()[0]
        print("  " + "\n  ".join(line for line in text.strip().splitlines()[-3:]))
        with Project.open(local) as a, Project.open(remote) as b:
            same = a.conn.execute(ROWS).fetchall() == b.conn.execute(ROWS).fetchall()
            dupes = b.conn.execute("SELECT COUNT(*) FROM (SELECT image_id FROM instances GROUP BY image_id"
                                   " HAVING COUNT(*) > 1)").fetchone()[0]
            runs = b.conn.execute("SELECT COUNT(*), MIN(status) FROM model_runs").fetchone()
        print(f"resumed: results {'identical to' if same else 'DIFFERENT from'} the local path; "
              f"{dupes} images with duplicate instances; runs {tuple(runs)}  [{load()}]")
        return 0 if same and not dupes and "resumed run" in text else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
