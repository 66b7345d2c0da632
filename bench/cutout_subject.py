"""Select Subject: one look at the whole photo against the default second look at the subject's crop.

    .venv/bin/python bench/cutout_subject.py ../shared/datasets/davis345 [--every 3]

Both run on the same images in the same run, image by image (one look, two looks, ...), with
the built-in U²-Netp; prints mean IoU of the subject mask (map >= 0.5) against the ground truth,
the share of images at IoU >= 0.90, the median time per image and the time ratio, with the load
average.  The ground truth is DAVIS's / COCO-MVal's object mask (binarised, max > 0).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from segstudio.cutout.saliency import load_saliency
from segstudio.eval import noc
from segstudio.io.images import load_image


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--every", type=int, default=1, help="every Nth image (an even spread)")
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    samples = noc.select(noc.find_samples(args.dataset), args.limit, args.every)
    models = {"one look": load_saliency(second_look=False), "two looks (default)": load_saliency()}
    ious: dict[str, list[float]] = {n: [] for n in models}
    secs: dict[str, list[float]] = {n: [] for n in models}
    loads = [os.getloadavg()[0]]
    for s in samples:
        gt, ignore = noc.load_mask(s)
        rgb = load_image(s.image).rgb8()
        for name, model in models.items():
            t = time.perf_counter()
            soft = model(rgb)
            secs[name].append(time.perf_counter() - t)
            ious[name].append(noc.iou(soft >= 0.5, gt, ignore))
        loads.append(os.getloadavg()[0])
    load_txt = f"load average {min(loads):.1f}-{max(loads):.1f}"
    print(f"{args.dataset.name}: {len(samples)} images ({load_txt})")
    for name in models:
        v = np.array(ious[name])
        print(f"  {name}: mean IoU {v.mean():.3f}, >= 0.90 on {(v >= 0.9).mean():.0%}, "
              f"{1000 * float(np.median(secs[name])):.0f} ms median")
    a, b = (float(np.median(secs[n])) for n in models)
    print(f"  time ratio two looks / one look: {b / a:.2f}x ({load_txt})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
