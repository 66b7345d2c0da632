"""Click-to-proposal latency of the built-in interactive model on ~1 MP images.

    .venv/bin/python bench/models_latency.py [--quick] [--dataset /work/shared/datasets/davis345]

Images are resized to ~1 MP (1155x866 for 4:3, 1333x750 for 16:9).  A simulated user clicks
(NoC protocol) up to 8 times per image; we time `predict_fast` (the proposal the GUI shows
first, once the image is prepared: click-to-proposal) and report p50/p95 for first clicks,
refinement clicks and all clicks; then the final answer after `predict_refined` (the
zoomed-saliency stage, which replaces the proposal when it arrives); plus the
per-image preparation (`set_image`, the saliency map) separately.  In the same run, the plain
GrabCut baseline (whole working image, no local refinement) is timed for comparison.
CPU seconds and the load average are printed because the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import cv2
import numpy as np


def to_1mp(rgb: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, w = rgb.shape[:2]
    s = (1_000_000 / (h * w)) ** 0.5
    size = (round(w * s), round(h * s))
    return (cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR),
            cv2.resize(gt.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0)


def pct(a, q):
    return float(np.percentile(a, q)) * 1000 if len(a) else float("nan")


def run(model, samples, clicks_per_image, load) -> dict:
    from segstudio.eval import noc
    from segstudio.inference.base import Click, Prompt

    first, refine, prep, cpu_all, final = [], [], [], [], []
    cpu0 = time.process_time()
    for s in samples:
        rgb, gt = to_1mp(*load(s))
        t = time.perf_counter()
        model.set_image(rgb)
        prep.append(time.perf_counter() - t)
        pred = np.zeros_like(gt)
        clicks: list = []
        prev = None
        for k in range(clicks_per_image):
            c = noc.next_click(pred, gt)
            if c is None:
                break
            clicks.append(Click(float(c[0]), float(c[1]), c[2]))
            prompt = Prompt(tuple(clicks), None, prev)
            t, tc = time.perf_counter(), time.process_time()
            fast = model.predict_fast(prompt)  # what the GUI shows first
            (first if k == 0 else refine).append(time.perf_counter() - t)
            better = model.predict_refined(prompt, fast.mask)  # the follow-up stage, if any
            final.append(time.perf_counter() - t)
            cpu_all.append(time.process_time() - tc)
            pred = (better if better is not None else fast).mask
            prev = pred
    cpu = time.process_time() - cpu0
    allc = first + refine
    return {"first": first, "refine": refine, "all": allc, "prep": prep, "cpu": cpu, "cpu_all": cpu_all,
            "final": final}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, default=Path("/work/shared/datasets/davis345"))
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--clicks", type=int, default=8)
    ap.add_argument("--quick", action="store_true", help="6 images, 5 clicks")
    args = ap.parse_args()
    if args.quick:
        args.images, args.clicks = 6, 5

    from segstudio.eval import noc
    from segstudio.inference.interactive import GrabCutInteractive, GrabCutParams
    from segstudio.inference.u2net import SalientSegmenter
    from segstudio.io.images import load_image

    samples = noc.find_samples(args.dataset)
    step = max(1, len(samples) // args.images)
    samples = samples[::step][: args.images]

    def load(s):
        return load_image(s.image).rgb8(), noc.load_mask(s)[0]

    print(f"{len(samples)} images at ~1 MP, up to {args.clicks} clicks each; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    configs = [
        ("built-in (saliency seed, zoomed saliency, hybrid refinement)",
         GrabCutInteractive(SalientSegmenter())),
        ("plain GrabCut baseline (global every click)",
         GrabCutInteractive(None, GrabCutParams(refine="global", guided=False, sure_frac=0.0))),
    ]
    results = {}
    for name, model in configs:
        r = run(model, samples, args.clicks, load)
        results[name] = r
        print(f"{name}:\n  click-to-proposal p50 {pct(r['all'], 50):.0f} ms, p95 {pct(r['all'], 95):.0f} ms "
              f"(first click p50 {pct(r['first'], 50):.0f} / p95 {pct(r['first'], 95):.0f} ms; "
              f"refinement p50 {pct(r['refine'], 50):.0f} / p95 {pct(r['refine'], 95):.0f} ms; "
              f"{len(r['all'])} clicks)\n  final answer (after the zoomed-saliency stage) p50 {pct(r['final'], 50):.0f} ms, "
              f"p95 {pct(r['final'], 95):.0f} ms\n  CPU time per click (both stages) p50 {pct(r['cpu_all'], 50):.0f} ms, "
              f"p95 {pct(r['cpu_all'], 95):.0f} ms (what an idle core would take)\n  image preparation p50 {pct(r['prep'], 50):.0f} ms; "
              f"CPU {r['cpu']:.1f} s")
    a, b = results[configs[0][0]], results[configs[1][0]]
    print(f"ratio p95 built-in / baseline: wall {pct(a['all'], 95) / pct(b['all'], 95):.2f}, "
          f"CPU {pct(a['cpu_all'], 95) / pct(b['cpu_all'], 95):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
