"""Click-to-proposal latency of the built-in interactive model on ~1 MP images.

    .venv/bin/python bench/models_latency.py [--quick] [--dataset /work/shared/datasets/davis345]

Images are resized to ~1 MP (1155x866 for 4:3, 1333x750 for 16:9).  A simulated user clicks
(NoC protocol) up to 8 times per image; we time `predict_fast` (the proposal the GUI shows
first, once the image is prepared: click-to-proposal) and report p50/p95 for first clicks,
refinement clicks and all clicks; beside it the final answer after `predict_refined` (the
zoomed-saliency stage, which replaces the proposal when it arrives) and the per-image
preparation (`set_image`, the saliency map).  The plain GrabCut baseline (whole working image,
no local refinement) runs in the same rounds, interleaved image by image.  p95 is given per
round (min and median over rounds) and pooled; --quick still times >= 100 clicks per model.
CPU seconds and the load average are printed because the machine is shared.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def to_1mp(rgb: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, w = rgb.shape[:2]
    s = (1_000_000 / (h * w)) ** 0.5
    size = (round(w * s), round(h * s))
    return (cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR),
            cv2.resize(gt.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0)


def pct(a, q):
    return float(np.percentile(a, q)) * 1000 if len(a) else float("nan")


def run_image(model, sample, clicks_per_image, load, r: dict) -> None:
    """One image through the NoC protocol; appends to the lists of `r`."""
    from segstudio.eval import noc
    from segstudio.inference.base import Click, Prompt

    rgb, gt = to_1mp(*load(sample))
    cpu0 = time.process_time()
    t = time.perf_counter()
    model.set_image(rgb)
    r["prep"].append(time.perf_counter() - t)
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
        (r["first"] if k == 0 else r["refine"]).append(time.perf_counter() - t)
        better = model.predict_refined(prompt, fast.mask)  # the follow-up stage, if any
        r["final"].append(time.perf_counter() - t)
        r["cpu_all"].append(time.process_time() - tc)
        pred = (better if better is not None else fast).mask
        prev = pred
    r["cpu"] += time.process_time() - cpu0


def new_result() -> dict:
    return {"first": [], "refine": [], "prep": [], "cpu": 0.0, "cpu_all": [], "final": []}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, default=Path("/work/shared/datasets/davis345"))
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--clicks", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=2, help="passes over the images (min/median of per-round p95)")
    ap.add_argument("--quick", action="store_true", help="10 images, 6 clicks, 2 rounds (>= 100 clicks per model)")
    args = ap.parse_args()
    if args.quick:
        args.images, args.clicks = 10, 6

    import benchkit

    from segstudio.eval import noc
    from segstudio.inference.interactive import GrabCutInteractive, GrabCutParams
    from segstudio.inference.u2net import SalientSegmenter
    from segstudio.io.images import load_image

    samples = noc.find_samples(args.dataset)
    step = max(1, len(samples) // args.images)
    samples = samples[::step][: args.images]

    def load(s):
        return load_image(s.image).rgb8(), noc.load_mask(s)[0]

    print(f"{len(samples)} images at ~1 MP, up to {args.clicks} clicks each, {args.rounds} rounds, each image "
          f"through the built-in model then the baseline (interleaved); {benchkit.load()}")
    configs = [
        ("built-in (saliency seed, zoomed saliency, hybrid refinement)",
         GrabCutInteractive(SalientSegmenter())),
        ("plain GrabCut baseline (global every click)",
         GrabCutInteractive(None, GrabCutParams(refine="global", guided=False, sure_frac=0.0))),
    ]
    rounds = {name: [] for name, _ in configs}
    p95s = {name: benchkit.Series("p95") for name, _ in configs}
    finals = {name: benchkit.Series("final p95") for name, _ in configs}
    for _round in range(args.rounds):
        res = {name: new_result() for name, _ in configs}
        for sample in samples:
            for name, model in configs:  # A, B per image: both see the same load
                run_image(model, sample, args.clicks, load, res[name])
        for name in rounds:  # per-round figures, with the load average at the round's end
            rounds[name].append(res[name])
            p95s[name].add(pct(res[name]["first"] + res[name]["refine"], 95))
            finals[name].add(pct(res[name]["final"], 95))
    verdicts = benchkit.Verdicts()
    for name, runs in rounds.items():
        pooled = {k: [v for r in runs for v in r[k]] for k in ("first", "refine", "prep", "cpu_all", "final")}
        pooled["all"] = pooled["first"] + pooled["refine"]
        round_p95, final = p95s[name], finals[name]
        print(f"{name}:\n  click-to-proposal p50 {pct(pooled['all'], 50):.0f} ms, p95 {pct(pooled['all'], 95):.0f} ms "
              f"({len(pooled['all'])} clicks; per-round p95 {round_p95.text(' ms', digits=0)})"
              f"\n  first click p50 {pct(pooled['first'], 50):.0f} / p95 {pct(pooled['first'], 95):.0f} ms; "
              f"refinement p50 {pct(pooled['refine'], 50):.0f} / p95 {pct(pooled['refine'], 95):.0f} ms"
              f"\n  final answer (after the zoomed-saliency stage) p50 {pct(pooled['final'], 50):.0f} ms, "
              f"p95 {pct(pooled['final'], 95):.0f} ms (per-round p95 {final.text(' ms', digits=0)})"
              f"\n  set_image (per image, before the first click) p50 {pct(pooled['prep'], 50):.0f} ms, "
              f"p95 {pct(pooled['prep'], 95):.0f} ms ({len(pooled['prep'])} images)"
              f"\n  CPU per click (both stages) p50 {pct(pooled['cpu_all'], 50):.0f} ms, "
              f"p95 {pct(pooled['cpu_all'], 95):.0f} ms; CPU {sum(r['cpu'] for r in runs):.1f} s")
    a, b = (p95s[n] for n, _ in configs)
    print(f"ratio of median per-round p95, built-in / baseline: {benchkit.ratio(a, b):.2f}; {benchkit.load()}")
    verdicts.goal(a.median <= 150, f"click-to-proposal p95 <= 150 ms (median of rounds {a.median:.0f} ms)")
    return verdicts.exit_code()


if __name__ == "__main__":
    raise SystemExit(main())
