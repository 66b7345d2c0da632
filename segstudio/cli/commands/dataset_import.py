"""`segstudio import FORMAT SRC PROJECT`: import annotations (all-or-nothing; --dry-run reports).

Also holds the small helpers shared by the dataset commands (export, convert, validate).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from segstudio.cli.commands._project_arg import open_project
from segstudio.cli.main import CliError

FORMATS_HELP = "coco, labelme, voc, yolo, labelmap, cutout (export only) and any plug-in format"


def add_option_args(p: argparse.ArgumentParser, flag: str = "--opt", dest: str = "opt") -> None:
    p.add_argument(flag, dest=dest, action="append", default=[], metavar="KEY=VALUE",
                   help="a format option (repeatable); 'segstudio validate --list-formats' lists them")


def parse_opts(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CliError(f"option {pair!r}: expected KEY=VALUE")
        out[key.strip().replace("-", "_")] = value
    return out


def get_spec(name: str, need: str):
    from segstudio.io.registry import UnknownFormat, get_format

    try:
        spec = get_format(name)
    except UnknownFormat as e:
        raise CliError(str(e)) from None
    if need == "import" and not spec.can_import:
        raise CliError(f"format {spec.name} cannot be imported (export only)")
    if need == "export" and not spec.can_export:
        raise CliError(f"format {spec.name} cannot be exported (import only)")
    return spec


def segmentation_opts(spec, args: argparse.Namespace) -> dict[str, Any]:
    """--rle / --polygons mapped onto the format's own option."""
    if not (getattr(args, "rle", False) or getattr(args, "polygons", False)):
        return {}
    names = {o.name for o in spec.all_export_options()}
    if "segmentation" in names:
        return {"segmentation": "rle" if args.rle else "polygons"}
    if "shapes" in names:
        return {"shapes": "mask" if args.rle else "polygon"}
    raise CliError(f"--rle/--polygons do not apply to format {spec.name}")


def print_report(rep, as_json: bool) -> None:
    if as_json:
        print(json.dumps(rep.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(rep.text())


def run_guarded(fn):
    """Turn the dataset layer's errors into one-line CLI errors."""
    from segstudio.core.tasks import Cancelled
    from segstudio.io.errors import FormatError

    try:
        return fn()
    except FormatError as e:
        raise CliError(str(e)) from None
    except Cancelled:
        raise CliError("cancelled; nothing was written", 130) from None
    except (ValueError, NotADirectoryError, FileNotFoundError) as e:
        raise CliError(str(e)) from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="import annotations into a project (all-or-nothing)",
        description="Import a dataset into PROJECT in one transaction: nothing is written unless "
        f"the whole import succeeds. FORMAT: {FORMATS_HELP}.",
    )
    p.add_argument("format", metavar="FORMAT")
    p.add_argument("src", type=Path, metavar="SRC", help="annotation file or dataset folder")
    p.add_argument("project", type=Path, metavar="PROJECT", help="project folder")
    p.add_argument("--dry-run", action="store_true", help="show what would be imported, write nothing")
    p.add_argument("--mode", choices=("append", "replace"), default="append",
                   help="append to existing annotations (default) or replace them")
    p.add_argument("--label-set", default="gt", help="label set to import into (default gt)")
    p.add_argument("--create", action="store_true", help="create PROJECT if it does not exist")
    p.add_argument("--allow-missing-images", action="store_true",
                   help="import entries whose image file is missing (default: skip them)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    add_option_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from segstudio.cli.progress import ProgressBar
    from segstudio.io import registry

    spec = get_spec(args.format, "import")
    opts = parse_opts(args.opt)
    opts.update(mode=args.mode, label_set=args.label_set)
    if args.allow_missing_images:
        opts["require_images"] = "false"
    project = open_project(args.project, create=args.create and not args.dry_run)
    with project, ProgressBar(0, f"import {spec.name}") as bar:
        rep = run_guarded(lambda: registry.import_into(
            spec, args.src, project, opts, dry_run=args.dry_run, progress=bar))
    print_report(rep, args.json)
    return 0
