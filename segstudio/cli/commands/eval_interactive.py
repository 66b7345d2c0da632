"""`segstudio eval-interactive DATASET --model ID`: the NoC protocol of click-model research.

    segstudio eval-interactive DATASET --model ID [--max-clicks 20] [--rule distance|area]
        [--max-side 512] [--limit N] [--every K] [--csv OUT]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from segstudio.cli.commands._model_args import add_model_args, load_model
from segstudio.cli.main import CliError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval-interactive", help="NoC evaluation of a click model on a dataset",
        description="Simulated clicks, as in RITM/f-BRS: each next click goes to the error pixel "
                    "farthest from any error boundary (rule 'distance'), positive on missed "
                    "object, negative on false object. Reports NoC@85, NoC@90, mean IoU after 1, "
                    "3, 5, 10 clicks, and the model's time per click and per image set-up. DATASET "
                    "holds img/+gt/, images/+masks/ or data_GT/+boundary_GT/; in single-channel "
                    "masks 0 is background, 128 ignored (neither error nor in IoU), anything else "
                    "object; colour masks: any non-black pixel is object.")
    p.add_argument("dataset", type=Path)
    add_model_args(p)
    p.add_argument("--max-clicks", type=int, default=20)
    p.add_argument("--rule", choices=["distance", "area"], default="distance",
                   help="next click: farthest from any error boundary (RITM reference code, default) "
                        "or inside the largest error region by area")
    p.add_argument("--max-side", type=int, default=0, metavar="PX",
                   help="evaluate at this long side at most (image area-averaged, masks nearest); "
                        "0 = the images' own size (default)")
    p.add_argument("--every", type=int, default=1, metavar="K",
                   help="only every K-th image (sorted by name; --every 3 on davis345 is the documented 115-image subset)")
    p.add_argument("--limit", type=int, default=0, metavar="N", help="only the first N images (after --every)")
    p.add_argument("--csv", type=Path, help="write per-image rows here: NoC, IoU and seconds per click, set-up time")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from segstudio.cli.progress import ProgressBar
    from segstudio.eval import noc
    from segstudio.inference.base import Click, Prompt
    from segstudio.io.images import load_image

    if args.max_clicks < 1:
        raise CliError("--max-clicks must be at least 1")
    if args.max_side < 0 or 0 < args.max_side < 16:
        raise CliError("--max-side must be 0 (off) or at least 16 pixels")
    try:
        found = noc.scan(args.dataset)
        samples = noc.select(found.samples, args.limit, args.every)
    except (FileNotFoundError, ValueError) as e:
        raise CliError(str(e)) from None
    for line in found.warnings():
        print(f"warning: {args.dataset.name}: {line}", file=sys.stderr)
    card, model = load_model(args)
    if not card.is_prompt:
        raise CliError(f"model {card.id} ({card.kind}) takes no clicks")

    def make(rgb):
        model.set_image(rgb)

        def predict(clicks, prev):
            prompt = Prompt(tuple(Click(float(x), float(y), bool(p)) for x, y, p in clicks), None, prev)
            return model.predict(prompt).mask

        return predict

    notes: list[str] = []
    bar = ProgressBar(len(samples), f"eval {card.id}", lines_every=10.0)
    try:
        runs = noc.evaluate(samples, make, lambda p: load_image(p).rgb8(), args.max_clicks, args.rule,
                            progress=bar, max_side=args.max_side, notes=notes)
    except ValueError as e:
        raise CliError(str(e)) from None
    finally:
        bar.close()
    if notes:
        print(f"warning: {len(notes)} masks have values other than 0, 128 (ignored) and 255:", file=sys.stderr)
        for line in notes[:10]:
            print(f"  {line}", file=sys.stderr)
        if len(notes) > 10:
            print(f"  ... and {len(notes) - 10} more", file=sys.stderr)
    summary = noc.summarize(runs, args.max_clicks)
    size = f", long side <= {args.max_side}" if args.max_side else ""
    print(f"{args.dataset.name} / {card.id} (rule {args.rule}{size}): " + ", ".join(summary.lines()))
    if args.csv:
        noc.write_csv(args.csv, runs, args.max_clicks)
        print(f"per-image rows: {args.csv}")
    return 0
