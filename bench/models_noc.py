"""NoC quality of the built-in interactive model on a dataset folder (standard NoC protocol).

    .venv/bin/python bench/models_noc.py /work/shared/datasets/davis345 --limit 40 [--no-saliency]

Prints NoC@85/90 and mIoU@1/3/5 and, in the same run, optionally the plain-GrabCut baseline
(no saliency seed, no local refinement) for comparison (--baseline).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from segstudio.eval import noc
from segstudio.inference.interactive import (
    GrabCutInteractive,
    GrabCutParams,
    make_click_session,
)


def plain_grabcut(work_side: int) -> GrabCutInteractive:
    """The classical baseline: GrabCut over the whole working image on every click, clicks as
    hard constraints, no saliency, no local refinement, plain upsampling."""
    return GrabCutInteractive(
        None, GrabCutParams(work_side=work_side, refine="global", guided=False, sure_frac=0.0)
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--limit", type=int, default=0, help="first N images (evenly spaced)")
    ap.add_argument("--max-clicks", type=int, default=20)
    ap.add_argument("--rule", default="area", choices=["area", "distance"])
    ap.add_argument("--no-saliency", action="store_true")
    ap.add_argument("--baseline", action="store_true", help="also run plain GrabCut")
    ap.add_argument("--work-side", type=int, default=GrabCutParams().work_side)
    args = ap.parse_args()

    from segstudio.inference.u2net import SalientSegmenter
    from segstudio.io.images import load_image

    samples = noc.find_samples(args.dataset)
    if args.limit and args.limit < len(samples):
        step = len(samples) / args.limit
        samples = [samples[int(i * step)] for i in range(args.limit)]

    configs = [("built-in", GrabCutInteractive(None if args.no_saliency else SalientSegmenter(),
                                               GrabCutParams(work_side=args.work_side)))]
    if args.baseline:
        configs.append(("plain GrabCut baseline", plain_grabcut(args.work_side)))
    for name, model in configs:

        def make(rgb, model=model):
            model.set_image(rgb)
            return make_click_session(model)

        t0 = time.perf_counter()
        runs = noc.evaluate(samples, make, lambda p: load_image(p).rgb8(), args.max_clicks, args.rule)
        s = noc.summarize(runs, args.max_clicks)
        print(f"{args.dataset.name} {name}: " + ", ".join(s.lines()) + f" ({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
