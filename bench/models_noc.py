"""NoC quality of the click models on a dataset folder (the NoC protocol of eval-interactive).

    .venv/bin/python bench/models_noc.py /work/shared/datasets/davis345 --every 3 [--baseline]
    .venv/bin/python bench/models_noc.py DATASET --models clicknet,grabcut-interactive [--max-side 512]

Every model runs on the same images in the same run, interleaved image by image (A, B, A, B ...),
so the seconds per click compare on a noisy shared machine; the load average is printed next to
them.  Prints NoC@85/90, mIoU@1/3/5/10, the images that never reach 0.90, ms per click and the
per-image set-up; `--csv PREFIX` writes eval-interactive's per-image rows for each model.
`--baseline` adds plain GrabCut (no saliency seed, no local refinement).
`--box` measures box prompts instead: the object's tight ground-truth box, one answer, its IoU
(mean and the share of images at >= 0.90).  `--subject` measures the cutout's Select Subject:
the U²-Netp subject mask as the cutout panel makes it, against that mask's box handed to each
click model as a box prompt.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from segstudio.eval import noc
from segstudio.inference.interactive import GrabCutInteractive, GrabCutParams


def plain_grabcut(work_side: int) -> GrabCutInteractive:
    """The classical baseline: GrabCut over the whole working image on every click, clicks as
    hard constraints, no saliency, no local refinement, plain upsampling."""
    return GrabCutInteractive(
        None, GrabCutParams(work_side=work_side, refine="global", guided=False, sure_frac=0.0)
    )


def _model(name: str, work_side: int):
    from segstudio.inference import registry

    if name == "grabcut-plain-baseline":
        return plain_grabcut(work_side)
    if name.endswith(".pt"):
        from segstudio.inference.click_model import LearnedClickSegmenter

        return LearnedClickSegmenter(name, model_id=Path(name).stem)
    return registry.load(registry.find(name))


def _session(model):
    from segstudio.inference.base import Click, Prompt

    def predict(clicks, prev):
        prompt = Prompt(tuple(Click(float(x), float(y), bool(p)) for x, y, p in clicks), None, prev)
        return model.predict(prompt).mask

    return predict


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--models", default="grabcut-interactive",
                    help="comma-separated model ids (or clicknet .pt weight files)")
    ap.add_argument("--baseline", action="store_true", help="also run plain GrabCut")
    ap.add_argument("--every", type=int, default=1, help="every K-th image (davis345: 3)")
    ap.add_argument("--limit", type=int, default=0, help="first N images (after --every)")
    ap.add_argument("--max-clicks", type=int, default=20)
    ap.add_argument("--max-side", type=int, default=0)
    ap.add_argument("--rule", default="distance", choices=["distance", "area"])
    ap.add_argument("--work-side", type=int, default=GrabCutParams().work_side)
    ap.add_argument("--csv", help="write per-image rows to PREFIX-<model>.csv")
    ap.add_argument("--box", action="store_true", help="box prompts with the tight ground-truth box")
    ap.add_argument("--subject", action="store_true", help="Select Subject: saliency mask vs its box to each model")
    args = ap.parse_args()

    from segstudio.io.images import load_image

    samples = noc.select(noc.find_samples(args.dataset), args.limit, args.every)
    names = [m for m in args.models.split(",") if m]
    if args.baseline:
        names.append("grabcut-plain-baseline")
    models = {n: _model(n, args.work_side) for n in names}
    runs: dict[str, list[noc.ImageRun]] = {n: [] for n in names}
    if args.box or args.subject:
        return box_prompts(args, samples, models)
    loads = [os.getloadavg()[0]]
    t0 = time.perf_counter()
    print(f"{args.dataset.name}: {len(samples)} images, rule {args.rule}, max {args.max_clicks} clicks"
          + (f", long side <= {args.max_side}" if args.max_side else "") + f"; load {loads[0]:.1f}", flush=True)
    for i, s in enumerate(samples):
        for n, model in models.items():  # interleaved: every model on this image, then the next
            def make(rgb, model=model):
                model.set_image(rgb)
                return _session(model)

            runs[n] += noc.evaluate([s], make, lambda p: load_image(p).rgb8(), args.max_clicks, args.rule,
                                    max_side=args.max_side)
        if (i + 1) % 10 == 0:
            loads.append(os.getloadavg()[0])
            print(f"  {i + 1}/{len(samples)} ({time.perf_counter() - t0:.0f} s, load {loads[-1]:.1f})", flush=True)
    loads.append(os.getloadavg()[0])
    load_txt = f"load average {min(loads):.1f}-{max(loads):.1f}"
    summaries = {}
    for n in names:
        s = noc.summarize(runs[n], args.max_clicks)
        summaries[n] = s
        print(f"{args.dataset.name} {n}: " + ", ".join(s.lines()) + f" ({load_txt})")
        if args.csv:
            noc.write_csv(Path(f"{args.csv}-{n.replace('/', '_')}.csv"), runs[n], args.max_clicks)
    if len(names) > 1:
        a, b = summaries[names[0]], summaries[names[1]]
        print(f"{names[0]} / {names[1]}: NoC@90 {a.noc90:.2f} vs {b.noc90:.2f}, "
              f"ms per click ratio {a.seconds_per_click / b.seconds_per_click:.2f} ({load_txt})")
    return 0


def box_prompts(args, samples, models) -> int:
    import numpy as np

    from segstudio.inference.base import Prompt
    from segstudio.io.images import load_image

    subject = None
    if args.subject:
        from segstudio.cutout.saliency import load_saliency

        subject = load_saliency()
        models = {"u2netp subject (Select Subject today)": None, **models}
    ious: dict[str, list[float]] = {n: [] for n in models}
    secs: dict[str, list[float]] = {n: [] for n in models}
    loads = [os.getloadavg()[0]]
    for s in samples:
        gt, ignore = noc.load_mask(s)
        rgb, gt, ignore = noc.reduce(load_image(s.image).rgb8(), gt, ignore, args.max_side)
        ref = gt
        if subject is not None:
            t = time.perf_counter()
            ref = subject(rgb) >= 0.5
            first = next(iter(models))
            secs[first].append(time.perf_counter() - t)
            ious[first].append(noc.iou(ref, gt, ignore))
            if not ref.any():
                ref = np.ones_like(gt)
        ys, xs = np.nonzero(ref)
        box = (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))
        for n, model in models.items():
            if model is None:
                continue
            model.set_image(rgb)
            t = time.perf_counter()
            mask = model.predict(Prompt((), box)).mask
            secs[n].append(time.perf_counter() - t)
            ious[n].append(noc.iou(mask, gt, ignore))
        loads.append(os.getloadavg()[0])
    load_txt = f"load average {min(loads):.1f}-{max(loads):.1f}"
    for n in models:
        v = np.array(ious[n])
        what = "Select Subject" if args.subject else "box prompt (tight GT box)"
        print(f"{args.dataset.name} {n} {what}: mean IoU {v.mean():.3f}, "
              f">= 0.90 on {(v >= 0.9).mean():.0%} of {len(v)} images, "
              f"{1000 * float(np.median(secs[n])):.0f} ms median ({load_txt})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
