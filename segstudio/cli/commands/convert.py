"""`segstudio convert FORMAT_IN SRC FORMAT_OUT DST`: convert without a project."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from segstudio.cli.commands.dataset_import import (
    FORMATS_HELP,
    add_option_args,
    get_spec,
    parse_opts,
    run_guarded,
    segmentation_opts,
)
from segstudio.cli.commands.export import add_segmentation_flags


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "convert",
        help="convert a dataset between formats (no project needed)",
        description="Read SRC as FORMAT_IN and write DST as FORMAT_OUT through a temporary "
        f"project; prints both reports. Formats: {FORMATS_HELP}.",
    )
    p.add_argument("format_in", metavar="FORMAT_IN")
    p.add_argument("src", type=Path, metavar="SRC")
    p.add_argument("format_out", metavar="FORMAT_OUT")
    p.add_argument("dst", type=Path, metavar="DST")
    p.add_argument("--json", action="store_true", help="print the reports as JSON")
    add_segmentation_flags(p)
    add_option_args(p, "--in-opt", "in_opt")
    add_option_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from segstudio.cli.progress import ProgressBar
    from segstudio.io import registry

    spec_in = get_spec(args.format_in, "import")
    spec_out = get_spec(args.format_out, "export")
    out_opts = parse_opts(args.opt)
    out_opts.update(segmentation_opts(spec_out, args))
    in_opts = parse_opts(args.in_opt)
    with ProgressBar(0, "convert") as bar:
        irep, erep = run_guarded(lambda: registry.convert(
            spec_in.name, args.src, spec_out.name, args.dst, in_opts, out_opts, progress=bar))
    if args.json:
        print(json.dumps({"import": irep.to_dict(), "export": erep.to_dict()}, indent=2, ensure_ascii=False))
    else:
        print(irep.text())
        print(erep.text())
    return 0
