"""Benchmark: every review metric on 1,000 images x 20 instances vs pycocotools COCOeval alone.

Synthetic ground truth with known perturbations (shifts, dilation/erosion, relabels, misses,
invented objects, some crowd regions).  Times, in the same run:
  ours   : segstudio.eval.evaluate: optimal matching, TP/FP/FN, per-image and per-class
           IoU/Dice/boundary F, semantic confusion, COCO AP/AR (12 numbers + per class)
  coco   : pycocotools COCOeval(segm) evaluate + accumulate + summarize (AP/AR only), on
           the same masks already encoded as RLE and indexed (loadRes timed separately)
and checks that the AP/AR numbers are identical.

    .venv/bin/python bench/review_metrics.py [--quick] [--images N] [--instances K]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from segstudio.eval import synthetic
from segstudio.eval.cocoref import to_coco
from segstudio.eval.compare import EvalOptions, evaluate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--instances", type=int, default=20)
    ap.add_argument("--classes", type=int, default=5)
    ap.add_argument("--size", default="240x320", help="HxW of the synthetic images")
    ap.add_argument("--quick", action="store_true", help="100 images")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--project", action="store_true",
                    help="also time the end-to-end project path (load both label sets from the store + evaluate)")
    args = ap.parse_args()
    n = 100 if args.quick else args.images
    h, w = (int(v) for v in args.size.split("x"))
    print(f"cores available: {len(os.sched_getaffinity(0))}")
    t = time.perf_counter()
    images = synthetic.make_images(n, args.instances, args.classes, (h, w), p_crowd=0.02, seed=0)
    cats = synthetic.categories(args.classes)
    n_gt = sum(len(i.gt) for i in images)
    n_pred = sum(len(i.pred) for i in images)
    print(f"data: {n} images {w}x{h}, {n_gt} gt / {n_pred} predicted instances, {args.classes} classes "
          f"(generated in {time.perf_counter() - t:.1f} s)")

    import contextlib
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    gt, results = to_coco(images, cats)
    best_ours, best_coco, best_load = [], [], []
    cpu_ours, cpu_coco = [], []
    for _ in range(args.repeat):
        t, c = time.perf_counter(), time.process_time()
        r = evaluate(images, cats, EvalOptions())
        best_ours.append(time.perf_counter() - t)
        cpu_ours.append(time.process_time() - c)
        with contextlib.redirect_stdout(io.StringIO()):
            t = time.perf_counter()
            coco_gt = COCO()
            coco_gt.dataset = gt
            coco_gt.createIndex()
            coco_dt = coco_gt.loadRes(results)
            best_load.append(time.perf_counter() - t)
            t, c = time.perf_counter(), time.process_time()
            ev = COCOeval(coco_gt, coco_dt, "segm")
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
            best_coco.append(time.perf_counter() - t)
            cpu_coco.append(time.process_time() - c)
    ours, coco, load = min(best_ours), min(best_coco), min(best_load)
    same = np.array_equal(r.coco.stats, ev.stats)
    s = r.summary()
    print(f"ours  (all metrics)            : {ours:6.2f} s  ({ours / n * 1000:.2f} ms/image)")
    print(f"COCOeval (AP/AR only)          : {coco:6.2f} s  (+ {load:.2f} s index/loadRes)")
    print(f"ratio ours / COCOeval          : {ours / coco:6.2f}")
    print(f"CPU time (all threads)         : ours {min(cpu_ours):.2f} s, COCOeval {min(cpu_coco):.2f} s "
          f"(ratio {min(cpu_ours) / min(cpu_coco):.2f}); load average {os.getloadavg()[0]:.1f}")
    print(f"AP/AR identical to COCOeval    : {same}  (AP {s['AP']:.4f}, AP50 {s['AP50']:.4f}, AR100 {s['AR100']:.4f})")
    print(f"TP {int(s['tp'])} FP {int(s['fp'])} FN {int(s['fn'])}  mIoU {s['mIoU']:.4f}  mBoundaryF {s['mBoundaryF']:.4f}")
    if args.project:
        import tempfile
        from pathlib import Path

        from segstudio.eval.project_eval import compare_label_sets
        from segstudio.store import Project

        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            with Project.create(Path(tmp) / "p") as p:
                ids = p.add_images((Path(tmp) / im.name, w, h) for im in images)
                for _, name in cats:
                    p.add_category(name)
                p.add_label_set("pred")
                with p.transaction():
                    for iid, im in zip(ids, images):
                        p.replace_instances(iid, im.gt)
                        p.replace_instances(iid, im.pred, label_set="pred")
            build = time.perf_counter() - t
            with Project.open(Path(tmp) / "p") as p:
                t = time.perf_counter()
                rp = compare_label_sets(p, "gt", "pred")
                end = time.perf_counter() - t
            print(f"project end to end (load + all) : {end:6.2f} s  (store written in {build:.1f} s); "
                  f"AP identical to the in-memory run: {np.array_equal(rp.coco.stats, r.coco.stats)}")
    budget = 10.0 * n / 1000
    print(f"target <= {budget:.1f} s for {n} images: {'met' if ours <= budget else 'MISSED'}")


if __name__ == "__main__":
    main()
