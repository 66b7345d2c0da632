"""`segstudio eval-interactive DATASET --model ID [--max-clicks 20] [--csv OUT]`: NoC protocol."""

from __future__ import annotations

import argparse
from pathlib import Path

from segstudio.cli.commands._model_args import add_model_args, load_model
from segstudio.cli.main import CliError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval-interactive", help="NoC evaluation of a click model on a dataset",
        description="Simulated clicks (next click at the interior point farthest from the "
                    "boundary of the largest error region). Reports NoC@85, NoC@90 and mean IoU "
                    "after 1, 3, 5 clicks. DATASET holds img/+gt/, images/+masks/ or "
                    "data_GT/+boundary_GT/ (128 = ignored band).")
    p.add_argument("dataset", type=Path)
    add_model_args(p)
    p.add_argument("--max-clicks", type=int, default=20)
    p.add_argument("--csv", type=Path, help="write per-image rows here")
    p.add_argument("--limit", type=int, default=0, help="only the first N images")
    p.add_argument("--rule", choices=["area", "distance"], default="area",
                   help="largest error region by area (default) or by interior distance (RITM code)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from segstudio.cli.progress import ProgressBar
    from segstudio.eval import noc
    from segstudio.inference.base import Click, Prompt
    from segstudio.io.images import load_image

    if args.max_clicks < 1:
        raise CliError("--max-clicks must be at least 1")
    try:
        samples = noc.find_samples(args.dataset)
    except (FileNotFoundError, ValueError) as e:
        raise CliError(str(e)) from None
    if args.limit:
        samples = samples[: args.limit]
    card, model = load_model(args)
    if not card.is_prompt:
        raise CliError(f"model {card.id} ({card.kind}) takes no clicks")

    def make(rgb):
        model.set_image(rgb)

        def predict(clicks, prev):
            prompt = Prompt(tuple(Click(float(x), float(y), bool(p)) for x, y, p in clicks), None, prev)
            return model.predict(prompt).mask

        return predict

    bar = ProgressBar(len(samples), f"eval {card.id}")
    runs = noc.evaluate(samples, make, lambda p: load_image(p).rgb8(), args.max_clicks, args.rule,
                        progress=bar)
    summary = noc.summarize(runs, args.max_clicks)
    print(f"{args.dataset.name} / {card.id}: " + ", ".join(summary.lines()))
    if args.csv:
        noc.write_csv(args.csv, runs, args.max_clicks)
        print(f"per-image rows: {args.csv}")
    return 0
