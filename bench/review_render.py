"""Benchmark: review-mode work per image on large images (what an edit or a key press costs).

Measures, for an image of SIZE with K ground-truth instances and their perturbed predictions:
  live     : per-image re-evaluation after an edit: instance matching (on the GUI thread)
             and pixel metrics with boundary F (on the review worker)
  overlay  : prediction outline layer
  diff     : difference layer
  split    : split layer from two fill layers (as on each divider drag: the split alone)
against the floor of touching one RGBA image once (np.copy of H x W x 4 bytes), same run.

    .venv/bin/python bench/review_render.py [--quick] [--size 3000x4000] [--instances 100]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from segstudio.core.document import ImageDocument
from segstudio.eval import review_layers as layers
from segstudio.eval import synthetic
from segstudio.eval.compare import EvalOptions
from segstudio.eval.review_items import evaluate_document


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="3000x4000", help="HxW")
    ap.add_argument("--instances", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="1500x2000, 50 instances")
    args = ap.parse_args()
    if args.quick:
        args.size, args.instances = "1500x2000", 50
    h, w = (int(v) for v in args.size.split("x"))
    img = synthetic.make_images(1, args.instances, 5, (h, w), seed=2)[0]
    gt = ImageDocument((h, w), img.gt, image_id=1)
    pred = ImageDocument((h, w), img.pred, image_id=1, label_set="pred")
    cats = synthetic.categories(5)
    colors = {c: (40 * c, 100, 200) for c, _ in cats}
    floor_src = np.zeros((h, w, 4), np.uint8)
    floor = best(lambda: floor_src.copy(), args.repeat)
    left = layers.fill_layer((h, w), gt, colors)
    right = layers.fill_layer((h, w), pred, colors, by_score=True)
    rows = [
        ("live matching (GUI thread)", best(lambda: evaluate_document(gt, pred, cats, EvalOptions(), pixel=False), args.repeat)),
        ("live pixel metrics (background)", best(lambda: evaluate_document(gt, pred, cats, EvalOptions()), args.repeat)),
        ("prediction overlay layer", best(lambda: layers.prediction_layer((h, w), pred), args.repeat)),
        ("difference layer", best(lambda: layers.difference_layer((h, w), list(gt), list(pred)), args.repeat)),
        ("split layer (divider drag)", best(lambda: layers.split_layer(left, right, w / 3), args.repeat)),
        ("two fill layers (enter split)", best(lambda: (layers.fill_layer((h, w), gt, colors),
                                                         layers.fill_layer((h, w), pred, colors)), args.repeat)),
    ]
    print(f"image {w}x{h}, {len(img.gt)} gt / {len(img.pred)} predicted instances")
    print(f"{'floor: copy one RGBA image':<32} {floor * 1000:8.1f} ms")
    for name, t in rows:
        print(f"{name:<32} {t * 1000:8.1f} ms   x{t / floor:6.1f} floor")


if __name__ == "__main__":
    main()
