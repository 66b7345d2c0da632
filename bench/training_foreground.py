"""Benchmark: fine-tune the foreground template (U²-Netp) on DAVIS frames, 2 CPU cores.

Builds a project from ../shared/datasets/davis345 (one category, "foreground"), marks
`--train` images done, fine-tunes for a fixed budget (epochs x images at input size, stated
in the output), and reports foreground IoU on `--val` other images before and after
fine-tuning, plus training images/s.  "Before" is the same network with the built-in
weights through the same pre-processing; the built-in salient segmenter of the model layer
(its own pre-processing) is reported as a second baseline.

    .venv/bin/python bench/training_foreground.py            # 50 train / 100 val, 2 epochs at 256
    .venv/bin/python bench/training_foreground.py --quick    # 12 / 20, 1 epoch
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from segstudio.core.instance import Instance  # noqa: E402
from segstudio.core.masks import MaskPatch  # noqa: E402
from segstudio.store import Project  # noqa: E402

DAVIS = ROOT.parent / "shared" / "datasets" / "davis345"


def build(project_dir: Path, n_train: int, n_val: int, seed: int) -> tuple[Project, list[int], list[int], dict[int, np.ndarray]]:
    names = sorted(p.stem for p in (DAVIS / "img").glob("*.jpg"))
    order = np.random.default_rng(seed).permutation(len(names))
    train = [names[i] for i in order[:n_train]]
    val = [names[i] for i in order[n_train : n_train + n_val]]
    project = Project.create(project_dir)
    cat = project.add_category("foreground")
    items = []
    for n in train + val:
        img = cv2.imread(str(DAVIS / "img" / f"{n}.jpg"))
        items.append((DAVIS / "img" / f"{n}.jpg", img.shape[1], img.shape[0]))
    ids = project.add_images(items)
    gts = {}
    for iid, n in zip(ids, train + val):
        gt = cv2.imread(str(DAVIS / "gt" / f"{n}.png")).max(axis=2) > 0
        gts[iid] = gt
    train_ids, val_ids = ids[: len(train)], ids[len(train) :]
    for iid in train_ids:
        project.save_instances(iid, [Instance(1, cat.id, MaskPatch.from_full(gts[iid]))])
        project.set_status(iid, "done")
    return project, train_ids, val_ids, gts


def iou(pred: np.ndarray, gt: np.ndarray) -> float:
    union = np.count_nonzero(pred | gt)
    return np.count_nonzero(pred & gt) / union if union else 1.0


def evaluate(project: Project, val_ids: list[int], gts, predict) -> tuple[float, float]:
    from segstudio.training.data import load_rgb

    scores, t0 = [], time.perf_counter()
    for iid in val_ids:
        rgb = load_rgb(project, project.image(iid))
        scores.append(iou(predict(rgb), gts[iid]))
    return float(np.mean(scores)), (time.perf_counter() - t0) / len(val_ids)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", type=int, default=50)
    ap.add_argument("--val", type=int, default=100)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--input-size", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1e-5)
    ap.add_argument("--warmup", type=int, default=0)
    ap.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                    help="extra template hyperparameters (augmentation, freeze_encoder, ...)")
    ap.add_argument("--before", type=float, default=None,
                    help="skip the 'before' evaluation and use this IoU (same seed and split as an earlier run)")
    ap.add_argument("--salient", action="store_true", help="also score the model layer's salient segmenter (320 px)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="12 train / 20 val images, 1 epoch")
    ap.add_argument("--keep", type=Path, default=None, help="build the project here and keep it")
    args = ap.parse_args()
    if args.quick:
        args.train, args.val, args.epochs = 12, 20, 1
    if not DAVIS.is_dir():
        print(f"{DAVIS}: dataset not found", file=sys.stderr)
        return 2
    import torch

    torch.set_num_threads(args.threads)
    from segstudio.inference.u2net import SalientSegmenter
    from segstudio.training.cards import TrainedCard
    from segstudio.training.hparams import parse_assignments
    from segstudio.training.predict import TrainedSegmenter
    from segstudio.training.runner import execute, start_run

    tmp = Path(tempfile.mkdtemp(prefix="segstudio-bench-"))
    project_dir = args.keep or tmp / "davis"
    project, train_ids, val_ids, gts = build(project_dir, args.train, args.val, args.seed)
    print(f"project: {project_dir} ({len(train_ids)} train, {len(val_ids)} val images, torch threads {args.threads})")
    budget = (f"{args.epochs} epochs x {len(train_ids)} images at {args.input_size}x{args.input_size}, "
              f"batch {args.batch_size}, AdamW lr {args.lr} cosine, warm-up {args.warmup}, frozen batch norm"
              + (f", {' '.join(args.sets)}" if args.sets else ""))
    print(f"fixed budget: {budget}")

    # before: the built-in weights, through the trained-model path and the model layer
    from segstudio.inference.u2net import BUILTIN_WEIGHTS

    base_dir = tmp / "builtin"
    base_dir.mkdir()
    shutil.copy2(BUILTIN_WEIGHTS, base_dir / "weights.pt")
    import torch as _t

    state = _t.load(base_dir / "weights.pt", weights_only=True)
    _t.save({("net." + k): v for k, v in state.items()}, base_dir / "weights.pt")
    card = TrainedCard("builtin", "foreground", "torch", "weights.pt", args.input_size,
                       ["background", "foreground"], {"template": "foreground"})
    card.write(base_dir / "card.yaml")
    before = TrainedSegmenter(base_dir / "card.yaml")
    if args.before is None:
        iou_before, s_before = evaluate(project, val_ids, gts, lambda rgb: before.segment(rgb).class_map == 1)
    else:
        iou_before, s_before = args.before, float("nan")
    iou_salient = float("nan")
    if args.salient:
        salient = SalientSegmenter()
        iou_salient, _ = evaluate(project, val_ids, gts, lambda rgb: salient.saliency(rgb) > 0.5)
    print(f"before: val IoU {iou_before:.4f} ({s_before:.2f} s/image)", flush=True)

    run_id = start_run(project, "foreground", {
        "epochs": args.epochs, "input_size": args.input_size, "batch_size": args.batch_size,
        "lr": args.lr, "val_fraction": 0.0, "patience": 0, "seed": args.seed, "workers": args.threads,
        "warmup_epochs": args.warmup,
    } | parse_assignments(args.sets), image_ids=train_ids)
    t0 = time.perf_counter()
    steps = []
    final = execute(project_dir, run_id, on_event=lambda e: steps.append(e) if e["type"] == "epoch" else None)
    wall = time.perf_counter() - t0
    for e in steps:
        print(f"  epoch {e['epoch']}: loss {e['train_loss']:.4f}, {e['images_per_s']:.2f} img/s", flush=True)
    after = TrainedSegmenter(final["card"])
    iou_after, s_after = evaluate(project, val_ids, gts, lambda rgb: after.segment(rgb).class_map == 1)
    ips = float(np.mean([e["images_per_s"] for e in steps]))

    print()
    print(f"{'model':<44} {'val IoU':>8} {'s/image':>8}")
    print(f"{'built-in salient segmenter (model layer)':<44} {iou_salient:8.4f}")
    print(f"{'built-in U2-Netp, before fine-tuning':<44} {iou_before:8.4f} {s_before:8.3f}")
    print(f"{'fine-tuned U2-Netp (run ' + str(run_id) + ')':<44} {iou_after:8.4f} {s_after:8.3f}")
    print(f"IoU gain: {iou_after - iou_before:+.4f} ({iou_after / max(iou_before, 1e-9):.3f}x)")
    print(f"training: {ips:.2f} images/s, {wall:.0f} s wall for the run (incl. loading, checkpoints, ONNX copy)")
    import os

    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared machine)")
    project.close()
    if args.keep is None:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
