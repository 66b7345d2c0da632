"""`segstudio export FORMAT PROJECT DST`: export annotations (atomic; prints what was lost)."""

from __future__ import annotations

import argparse
from pathlib import Path

from segstudio.cli.commands._project_arg import open_project
from segstudio.cli.commands.dataset_import import (
    FORMATS_HELP,
    add_option_args,
    get_spec,
    parse_opts,
    print_report,
    run_guarded,
    segmentation_opts,
)


def add_segmentation_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--rle", action="store_true", help="masks as RLE / bitmaps only (lossless)")
    g.add_argument("--polygons", action="store_true", help="masks as polygons only (holes lost, reported)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a project's annotations",
        description="Export PROJECT to DST. The output appears only when the whole export "
        f"succeeded; a report lists what was lost. FORMAT: {FORMATS_HELP}.",
    )
    p.add_argument("format", metavar="FORMAT")
    p.add_argument("project", type=Path, metavar="PROJECT")
    p.add_argument("dst", type=Path, metavar="DST", help="output file (COCO .json) or folder")
    p.add_argument("--split", choices=("train", "val", "test"), help="export one split only")
    p.add_argument("--label-set", default="gt", help="label set to export (default gt)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    add_segmentation_flags(p)
    add_option_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from segstudio.cli.progress import ProgressBar
    from segstudio.io import registry

    spec = get_spec(args.format, "export")
    opts = parse_opts(args.opt)
    opts.update(segmentation_opts(spec, args))
    opts["label_set"] = args.label_set
    if args.split:
        opts["split"] = args.split
    project = open_project(args.project)
    with project, ProgressBar(0, f"export {spec.name}") as bar:
        rep = run_guarded(lambda: registry.export(spec, project, args.dst, opts, progress=bar))
    print_report(rep, args.json)
    return 0
