"""Pre-label throughput of the built-in salient-object model vs rembg, same images, same run.

    .venv/bin/python bench/models_prelabel.py [--quick] [--images 40]
        [--rembg-python /tmp/rembg/venv/bin/python]

Ours: `prelabel_project` end to end on a temporary project (decode on a helper thread, U²-Netp
weights run by onnxruntime from the cached export, threshold, instance written to SQLite).  rembg: `rembg.remove(...,
only_mask=True)` with session "u2netp" over the same files, mask PNG written, in a separate venv
(rembg is not a SegStudio dependency) with the same u2netp.onnx in ~/.u2net/ (md5
8e83ca70e441ab06c318d82300c84806).  Model loading is excluded on both sides (one warm-up image).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REMBG_SCRIPT = r"""
import sys, time, pathlib
from PIL import Image
from rembg import new_session, remove
out = pathlib.Path(sys.argv[1]); paths = sys.argv[2:]
session = new_session("u2netp")
remove(Image.open(paths[0]).convert("RGB"), session=session, only_mask=True)  # warm-up
t = time.perf_counter(); c = time.process_time()
for p in paths:
    m = remove(Image.open(p).convert("RGB"), session=session, only_mask=True)
    m.save(out / (pathlib.Path(p).stem + ".png"))
print(time.perf_counter() - t, time.process_time() - c)
"""


def ours(paths: list[Path], tmp: Path) -> tuple[float, float, int]:
    from segstudio.inference import registry
    from segstudio.inference.prelabel import prelabel_project
    from segstudio.io.images import load_image
    from segstudio.store import Project

    folder = tmp / "imgs"
    folder.mkdir()
    for p in paths:
        (folder / p.name).symlink_to(p)
    card = registry.find("u2netp-salient")
    model = registry.load(card)
    model.segment(load_image(paths[0]).rgb8())  # warm-up: weights loaded, threads spun
    with Project.create(tmp / "proj") as project:
        project.add_folder(folder)
        t, c = time.perf_counter(), time.process_time()
        rep = prelabel_project(project, model, "all", background=card.background)
        return time.perf_counter() - t, time.process_time() - c, rep.instances


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, default=Path("/work/shared/datasets/davis345/img"))
    ap.add_argument("--images", type=int, default=40)
    ap.add_argument("--quick", action="store_true", help="16 images")
    ap.add_argument("--rembg-python", default="/tmp/rembg/venv/bin/python")
    args = ap.parse_args()
    n = 16 if args.quick else args.images
    paths = sorted(p for p in args.dataset.iterdir() if p.suffix.lower() in (".jpg", ".png"))
    paths = paths[:: max(1, len(paths) // n)][:n]
    print(f"{len(paths)} images from {args.dataset}; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        wall, cpu, inst = ours(paths, tmp)
        print(f"SegStudio prelabel (u2netp-salient, onnxruntime from the torch weights): {len(paths) / wall:.2f} images/s wall "
              f"({wall:.1f} s, CPU {cpu:.1f} s, {inst} instances)")
        if not Path(args.rembg_python).exists():
            print(f"rembg venv not found at {args.rembg_python}: comparison skipped")
            return 0
        (tmp / "rembg").mkdir()
        res = subprocess.run([args.rembg_python, "-c", REMBG_SCRIPT, str(tmp / "rembg"), *map(str, paths)],
                             capture_output=True, text=True)
        if res.returncode != 0:
            print("rembg failed:", res.stderr.strip().splitlines()[-1:] or res.returncode)
            return 1
        rwall, rcpu = map(float, res.stdout.split()[-2:])
        print(f"rembg remove(only_mask) (u2netp, onnxruntime): {len(paths) / rwall:.2f} images/s wall "
              f"({rwall:.1f} s, CPU {rcpu:.1f} s)")
        print(f"ratio SegStudio / rembg: {rwall / wall:.2f}x (wall), {rcpu / cpu:.2f}x (CPU)")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
