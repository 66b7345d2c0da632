"""Pre-label throughput on a local Ray cluster vs the local path (issue 20), same run.

N small synthetic images (a disc on a plain ground, 240x320), the built-in U²-Netp model.
Interleaved rounds, each on a fresh copy of the project: A: the local path
(`inference.prelabel.prelabel_project`, one process); B: `inference.ray_batch.prelabel_on_ray`
on a cluster of this machine's CPUs started once before the rounds (its start-up is reported
apart).  Both results are checked identical.  Figures: images/s of each, Ray's overhead
(1 - B/A), per-image cost (the model's seconds per image, for docs/scale.md).

Goal: overhead <= 15 % on this machine.

Run: .venv/bin/python bench/ray_prelabel.py [--images 300] [--rounds 2] [--quick]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.benchkit import Series, load  # noqa: E402

MODEL = "u2netp-salient"
ROWS = "SELECT image_id, id, category_id, rle, area, score FROM instances ORDER BY 1, 2"


def make_images(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(3)
    for k in range(n):
        im = np.full((240, 320, 3), rng.integers(150, 240), np.uint8)
        cv2.circle(im, (int(rng.integers(80, 240)), int(rng.integers(70, 170))), int(rng.integers(25, 60)),
                   tuple(int(c) for c in rng.integers(0, 120, 3)), -1)
        cv2.imwrite(str(folder / f"im{k:04d}.jpg"), im)


def fresh_project(work: Path, images: Path, name: str):
    from segstudio.store import Project

    root = work / name
    if root.exists():
        shutil.rmtree(root)
    with Project.create(root) as p:
        p.add_folder(images)
    return root


def commit_rates(model, work: Path, n: int, chunk: int = 8) -> None:
    """How many pre-labelled images per second the driver can write: the results of `n` images
    committed `chunk` per transaction (as the Ray driver does), into SQLite and PostgreSQL."""
    from segstudio.inference.prelabel import _apply_result
    from segstudio.io.images import load_image
    from segstudio.store import Project
    from tests.pg_local import LocalPostgres

    paths = sorted((work / "images").iterdir())[:n]
    results = [model.segment(load_image(p).rgb8(), None) for p in paths]
    server = LocalPostgres.start(fsync=True)
    try:
        targets = {"SQLite": None, "PostgreSQL (loopback, fsync on)": server.create_database("rates") + "/rates"}
        for name, url in targets.items():
            best = 0.0
            for rnd in range(3):
                if url is None:
                    root = fresh_project(work, work / "images", f"rate-{rnd}")
                    project = Project.open(root)
                else:
                    project = Project.create(f"{url}{rnd}", image_root=work / "images")
                    project.add_folder(work / "images")
                t = time.perf_counter()
                for k in range(0, n, chunk):
                    with project.transaction():
                        for i in range(k, min(n, k + chunk)):
                            _apply_result(project, i + 1, results[i], model.model_id, ())
                best = max(best, n / (time.perf_counter() - t))
                project.close()
            print(f"  driver commit rate into {name}: {best:.0f} images/s ({chunk} per transaction, "
                  f"best of 3)  [{load()}]", flush=True)
    finally:
        server.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--cpus", type=int, default=None, help="CPUs of the Ray cluster (default: all)")
    ap.add_argument("--quick", action="store_true", help="60 images, 1 round")
    args = ap.parse_args()
    if args.quick:
        args.images, args.rounds = 60, 1
    from segstudio.inference import registry
    from segstudio.inference.prelabel import prelabel_project
    from segstudio.inference.ray_batch import connect, prelabel_on_ray
    from segstudio.store import Project

    work = Path(tempfile.mkdtemp(prefix="segstudio-ray-bench-"))
    try:
        make_images(work / "images", args.images)
        print(f"pre-label {args.images} images 240x320 with {MODEL}: local path vs Ray  [{load()}]",
              flush=True)
        t0 = time.perf_counter()
        ray = connect(None, args.cpus)
        started = time.perf_counter() - t0
        print(f"  Ray cluster started in {started:.1f} s ({int(ray.cluster_resources()['CPU'])} CPUs)"
              f"  [{load()}]", flush=True)
        model = registry.load(registry.find(MODEL))
        local, on_ray = Series("local"), Series("ray")
        reference = None
        for rnd in range(args.rounds):
            root = fresh_project(work, work / "images", "local")
            with Project.open(root) as p:
                rep = prelabel_project(p, model, "unlabelled")
                rows = p.conn.execute(ROWS).fetchall()
            local.add(rep.done / rep.seconds)
            print(f"  round {rnd + 1} local: {rep.done / rep.seconds:.2f} images/s "
                  f"({rep.seconds / rep.done * 1000:.0f} ms per image)  [{load()}]", flush=True)
            reference = reference or rows
            root = fresh_project(work, work / "images", "ray")
            with Project.open(root) as p:
                t = time.perf_counter()
                rep = prelabel_on_ray(p, MODEL, model_id=model.model_id)
                seconds = time.perf_counter() - t
                rows = p.conn.execute(ROWS).fetchall()
            on_ray.add(rep.done / seconds)
            same = "identical to the local path" if rows == reference else "DIFFERENT from the local path"
            print(f"  round {rnd + 1} Ray:   {rep.done / seconds:.2f} images/s; results {same}  "
                  f"[{load()}]", flush=True)
            if rows != reference:
                return 1
        overhead = 1 - on_ray.median / local.median
        print(f"summary  [{load()}]")
        print(f"  local {local.text(' images/s')}")
        print(f"  Ray   {on_ray.text(' images/s')}")
        print(f"  Ray overhead vs local: {overhead:+.1%} (goal <= 15 %: "
              f"{'met' if overhead <= 0.15 else 'NOT met'}); cluster start-up {started:.1f} s apart")
        print(f"  per-image cost (local, median): {1000 / local.median:.0f} ms")
        ray.shutdown()
        commit_rates(model, work, min(args.images, 48))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
