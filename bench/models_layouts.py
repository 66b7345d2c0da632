"""Click models of each SAM-family layout: embedding time per image and click latency p50/p95
after the embedding, with the tiny test models of each layout (always) and with the real
catalogue weights where they are installed in the user models folder (skipped with a message
otherwise).  The catalogue's expected costs are printed beside the real rows.

Baseline, measured in the same run and interleaved with every layout (A,B,A,B…): the built-in
`grabcut-plain` click model on the same image and clicks.  The machine is shared: the load
average is printed next to every figure.

    python bench/models_layouts.py [--rounds 3] [--clicks 20] [--size 1024x768]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def loadavg() -> str:
    try:
        return open("/proc/loadavg").read().split()[0]
    except OSError:
        return "?"


def test_image(h: int, w: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    img = rng.normal(110, 20, (h, w, 3)).clip(0, 255).astype(np.uint8)
    yy, xx = np.mgrid[:h, :w]
    obj = (yy - h / 2) ** 2 + (xx - w / 3) ** 2 < (min(h, w) / 4) ** 2
    img[obj] = (210, 50, 40)
    return img


def clicks(h: int, w: int, n: int):
    from segstudio.inference.base import Click, Prompt

    rng = np.random.default_rng(1)
    out, cl = [], []
    for k in range(n):
        if k % 4 == 0:
            cl = []
        cl.append(Click(float(rng.uniform(0.2, 0.45) * w), float(rng.uniform(0.3, 0.7) * h), k % 4 != 3))
        out.append(Prompt(tuple(cl)))
    return out


def measure(model, img, prompts, fresh_cache) -> tuple[float, list[float]]:
    if fresh_cache is not None:
        model.cache = fresh_cache()
    t0 = time.perf_counter()
    model.set_image(img)
    embed = time.perf_counter() - t0
    lat = []
    prev = None
    for p in prompts:
        if len(p.clicks) > 1 and prev is not None:
            from segstudio.inference.base import Prompt

            p = Prompt(p.clicks, p.box, prev)
        t = time.perf_counter()
        prev = model.predict(p).mask
        lat.append(time.perf_counter() - t)
    return embed, lat


def pct(xs, q):
    return float(np.percentile(np.asarray(xs) * 1000, q))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--clicks", type=int, default=20)
    ap.add_argument("--size", default="1024x768")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    img = test_image(h, w)
    prompts = clicks(h, w, args.clicks)

    from segstudio.inference import registry
    from segstudio.inference.cache import EmbeddingCache
    from segstudio.inference.catalogue import load_catalogue
    from segstudio.inference.install import state
    from segstudio.inference.runtime import onnx_session
    from segstudio.inference.sam_layouts import EfficientSamOnnx, Sam2Onnx
    from segstudio.inference.sam_onnx import SamOnnx
    from tests.unit.inference.tiny_layouts import (
        export_tiny_efficientsam,
        export_tiny_sam1,
        export_tiny_sam2,
    )

    tmp = Path(tempfile.mkdtemp(prefix="bench-layouts-"))
    e1, d1 = export_tiny_sam1(tmp)
    e2, d2 = export_tiny_efficientsam(tmp)
    e3, d3 = export_tiny_sam2(tmp)
    models = {
        "tiny sam": SamOnnx("tiny-sam", onnx_session(e1), onnx_session(d1), 64),
        "tiny efficientsam": EfficientSamOnnx("tiny-eff", onnx_session(e2), onnx_session(d2), 64),
        "tiny sam2": Sam2Onnx("tiny-sam2", onnx_session(e3), onnx_session(d3)),
    }
    expected = {}
    cat = load_catalogue()
    for e in cat.entries:
        if state(e).installed:
            card = registry.find(e.id)
            models[e.id] = registry.load(card)
            expected[e.id] = (e.encoder_s, e.click_ms, e.cost_basis)
        else:
            print(f"skipped {e.id}: real weights not installed (segstudio models pull {e.id}); "
                  f"catalogue expects ~{e.encoder_s:g} s/image, ~{e.click_ms:g} ms/click ({e.cost_basis})")
    baseline = registry.load(registry.find("grabcut-plain"))
    results = {name: ([], []) for name in [*models, "baseline grabcut-plain"]}
    for _ in range(args.rounds):  # interleaved: baseline, model, baseline, model, ...
        for name, m in models.items():
            emb, lat = measure(baseline, img, prompts, None)
            results["baseline grabcut-plain"][0].append(emb)
            results["baseline grabcut-plain"][1].extend(lat)
            emb, lat = measure(m, img, prompts, EmbeddingCache)
            results[name][0].append(emb)
            results[name][1].extend(lat)
    base_p50 = pct(results["baseline grabcut-plain"][1], 50)
    print(f"image {w}x{h}, {args.clicks} clicks x {args.rounds} rounds; CPUs {os.cpu_count()}")
    print(f"{'model':<22} {'embed s (median)':>16} {'click p50 ms':>12} {'p95 ms':>8} "
          f"{'p50 / baseline':>14}  load")
    for name, (embs, lats) in results.items():
        p50 = pct(lats, 50)
        line = (f"{name:<22} {statistics.median(embs):>16.3f} {p50:>12.1f} {pct(lats, 95):>8.1f} "
                f"{p50 / base_p50:>14.2f}  {loadavg()}")
        if name in expected:
            enc_s, click_ms, basis = expected[name]
            line += f"   catalogue: ~{enc_s:g} s, ~{click_ms:g} ms ({basis})"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
