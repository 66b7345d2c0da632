"""Per-click latency of the learned click model at ~1 MP, against the GrabCut model in the same run.

    .venv/bin/python bench/models_click_latency.py [--images 20] [--clicks 8] [--weights clicknet.pt]

Images are resized to ~1 MP.  A simulated user clicks (NoC protocol, distance rule) up to
--clicks times per image.  Per click we time the proposal the GUI shows first (`predict_fast`)
and the final answer (`predict`: the learned model's zoomed second look after a first click,
GrabCut's zoomed-saliency stage).  The two models take turns image by image (A, B, A, B ...)
so a busy shared machine hurts both alike; wall and CPU seconds, p50/p95 and the ratios are
printed with the load average.  Image preparation (`set_image`) is reported apart.
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


def pct(a, q) -> float:
    return float(np.percentile(a, q)) * 1000 if len(a) else float("nan")


def one_image(model, rgb, gt, clicks_per_image: int, rec: dict) -> None:
    from segstudio.eval import noc
    from segstudio.inference.base import Click, Prompt

    t = time.perf_counter()
    model.set_image(rgb)
    rec["prep"].append(time.perf_counter() - t)
    pred = np.zeros_like(gt)
    clicks: list = []
    prev = None
    for _ in range(clicks_per_image):
        c = noc.next_click(pred, gt)
        if c is None:
            break
        clicks.append(Click(float(c[0]), float(c[1]), c[2]))
        prompt = Prompt(tuple(clicks), None, prev)
        t, tc = time.perf_counter(), time.process_time()
        fast = model.predict_fast(prompt)
        rec["fast"].append(time.perf_counter() - t)
        better = model.predict_refined(prompt, fast.mask)
        rec["final"].append(time.perf_counter() - t)
        rec["cpu"].append(time.process_time() - tc)
        pred = (better if better is not None else fast).mask
        prev = pred


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, default=Path("/work/shared/datasets/davis345"))
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--clicks", type=int, default=8)
    ap.add_argument("--weights", type=Path, help="clicknet weights (default: the built-in ones)")
    args = ap.parse_args()

    from segstudio.eval import noc
    from segstudio.inference.click_model import LearnedClickSegmenter
    from segstudio.inference.interactive import GrabCutInteractive
    from segstudio.inference.u2net import SalientSegmenter
    from segstudio.io.images import load_image

    samples = noc.find_samples(args.dataset)
    samples = samples[:: max(1, len(samples) // args.images)][: args.images]
    models = {"clicknet": LearnedClickSegmenter(args.weights), "grabcut-interactive": GrabCutInteractive(SalientSegmenter())}
    recs = {n: {"prep": [], "fast": [], "final": [], "cpu": []} for n in models}
    loads = [os.getloadavg()[0]]
    print(f"{len(samples)} images of {args.dataset.name} at ~1 MP, up to {args.clicks} clicks each; "
          f"{os.cpu_count()} CPUs, load {loads[0]:.1f}", flush=True)
    for s in samples:
        rgb, gt = to_1mp(load_image(s.image).rgb8(), noc.load_mask(s)[0])
        for n, m in models.items():
            one_image(m, rgb, gt, args.clicks, recs[n])
        loads.append(os.getloadavg()[0])
    load_txt = f"load average {min(loads):.1f}-{max(loads):.1f}"
    for n, r in recs.items():
        print(f"{n}: proposal p50 {pct(r['fast'], 50):.0f} ms, p95 {pct(r['fast'], 95):.0f} ms; "
              f"final p50 {pct(r['final'], 50):.0f} ms, p95 {pct(r['final'], 95):.0f} ms; "
              f"CPU per click p50 {pct(r['cpu'], 50):.0f} ms, p95 {pct(r['cpu'], 95):.0f} ms; "
              f"set_image p50 {pct(r['prep'], 50):.0f} ms ({len(r['fast'])} clicks; {load_txt})")
    a, b = recs["clicknet"], recs["grabcut-interactive"]
    print(f"ratio clicknet / grabcut-interactive: proposal p95 {pct(a['fast'], 95) / pct(b['fast'], 95):.2f}, "
          f"final p95 {pct(a['final'], 95) / pct(b['final'], 95):.2f}, "
          f"CPU p95 {pct(a['cpu'], 95) / pct(b['cpu'], 95):.2f} ({load_txt})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
