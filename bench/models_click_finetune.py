"""Fine-tuning the click model on a project's own labels: NoC before/after on held-out sequences.

    nice -n 10 .venv/bin/python bench/models_click_finetune.py [--project /tmp/davis-click]
        [--set epochs=6 --set lr=2e-5 ...] [--every 1] [--base clicknet.pt]

Builds a SegStudio project from davis345 (one ground-truth instance per frame, category
"object"). davis345's frames come from the DAVIS-2016 sequences in alphabetical order: frames
000-207 are the 30 training sequences (bear ... train) and 208-344 the 20 validation sequences
(blackswan ... soapbox).  The training frames are marked done, the validation frames are put in
the project's test split (never trained on).  Then the `click` template trains exactly as
`segstudio train PROJECT --template click` does (in this process), and the base and the
fine-tuned model run the NoC protocol (distance rule, 20 clicks) on the held-out frames, image by
image in turns; figures with the load average.  Reusing --project skips the build.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

TRAIN_FRAMES = range(0, 208)
TEST_FRAMES = range(208, 345)


def build(root: Path, dataset: Path) -> None:
    import cv2

    from segstudio.core.instance import Instance
    from segstudio.core.masks import MaskPatch
    from segstudio.eval import noc
    from segstudio.store import Project

    samples = {int(s.name): s for s in noc.find_samples(dataset)}
    with Project.create(root) as p:
        cat = p.add_category("object")
        items = []
        for i in (*TRAIN_FRAMES, *TEST_FRAMES):
            im = cv2.imread(str(samples[i].image), cv2.IMREAD_REDUCED_COLOR_2)  # only the size matters
            h, w = im.shape[0] * 2, im.shape[1] * 2
            items.append((samples[i].image, w, h))
        ids = p.add_images(items)
        for i, iid in zip((*TRAIN_FRAMES, *TEST_FRAMES), ids):
            gt, _ = noc.load_mask(samples[i])
            p.save_instances(iid, [Instance(1, cat.id, MaskPatch.from_full(gt))])
            if i in TRAIN_FRAMES:
                p.set_status(iid, "done")
            else:
                p.set_split(iid, "test")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, default=Path("/work/shared/datasets/davis345"))
    ap.add_argument("--project", type=Path, default=Path("/tmp/davis-click-finetune"))
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--every", type=int, default=1, help="evaluate every K-th held-out frame")
    ap.add_argument("--base", type=Path, help="base weights (default: the built-in click model)")
    ap.add_argument("--card", type=Path, help="skip training: evaluate this fine-tuned card")
    args = ap.parse_args()

    from segstudio.eval import noc
    from segstudio.inference import registry
    from segstudio.inference.base import Click, Prompt
    from segstudio.inference.click_model import LearnedClickSegmenter
    from segstudio.store import Project
    from segstudio.training import runner
    from segstudio.training.hparams import parse_assignments

    if not (args.project / "project.db").exists() and not Project.is_project(args.project):
        build(args.project, args.dataset)
    t0 = time.time()
    if args.card is None:
        with Project.open(args.project) as p:
            run_id = runner.start_run(p, "click", parse_assignments(args.set))
        last = [0.0]

        def on_event(e: dict) -> None:
            if e["type"] == "epoch" or (e["type"] == "step" and time.time() - last[0] > 60):
                last[0] = time.time()
                print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in e.items()}, flush=True)

        final = runner.execute(args.project, run_id, on_event=on_event)
        print(f"fine-tune: {final['status']}, {final['epochs']} epochs in {(time.time() - t0) / 60:.0f} min, "
              f"card {final['card']}", flush=True)
        card = Path(final["card"])
    else:
        card = args.card
    tuned = registry.load(registry.find(str(card)))
    base = LearnedClickSegmenter(args.base)
    samples = {int(s.name): s for s in noc.find_samples(args.dataset)}
    test = [samples[i] for i in TEST_FRAMES][:: args.every]
    models = {"base": base, "fine-tuned": tuned}
    runs: dict[str, list] = {n: [] for n in models}
    loads = [os.getloadavg()[0]]
    from segstudio.io.images import load_image

    for s in test:
        for n, m in models.items():
            def make(rgb, m=m):
                m.set_image(rgb)

                def predict(clicks, prev):
                    return m.predict(Prompt(tuple(Click(float(x), float(y), bool(p)) for x, y, p in clicks),
                                            None, prev)).mask

                return predict

            runs[n] += noc.evaluate([s], make, lambda p: load_image(p).rgb8(), 20, "distance")
        loads.append(os.getloadavg()[0])
    load_txt = f"load average {min(loads):.1f}-{max(loads):.1f}"
    for n in models:
        sm = noc.summarize(runs[n], 20)
        print(f"davis345 held-out sequences (frames 208-344, every {args.every}) {n}: "
              + ", ".join(sm.lines()) + f" ({load_txt})")
    a, b = (np.array([r.noc(0.9, 20) for r in runs[k]]) for k in ("base", "fine-tuned"))
    print(f"fine-tuned better on {(b < a).sum()} images, worse on {(b > a).sum()}, same on {(b == a).sum()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
