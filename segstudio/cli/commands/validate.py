"""`segstudio validate FORMAT PATH`: check a dataset strictly without importing it."""

from __future__ import annotations

import argparse
from pathlib import Path

from segstudio.cli.commands.dataset_import import (
    FORMATS_HELP,
    add_option_args,
    get_spec,
    parse_opts,
    print_report,
)
from segstudio.cli.main import CliError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="check an annotation file or dataset folder",
        description="Read PATH fully as FORMAT: exit 0 and a summary when valid, exit 1 with the "
        f"file and JSON path / line of the first problem otherwise. FORMAT: {FORMATS_HELP}.",
    )
    p.add_argument("format", metavar="FORMAT", nargs="?")
    p.add_argument("path", type=Path, metavar="PATH", nargs="?")
    p.add_argument("--list-formats", action="store_true", help="list formats and their options")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    add_option_args(p)
    p.set_defaults(func=run)


def list_formats() -> str:
    from segstudio.io.registry import formats

    lines = []
    for spec in formats().values():
        ways = "/".join(w for w, ok in (("import", spec.can_import), ("export", spec.can_export)) if ok)
        lines.append(f"{spec.name:<10} {ways:<14} {spec.description}")
        for label, opts in (("import", spec.options + spec.import_options),
                            ("export", spec.options + spec.export_options)):
            if (label == "import" and not spec.can_import) or (label == "export" and not spec.can_export):
                continue
            for o in opts:
                choices = f" ({'|'.join(map(str, o.choices))})" if o.choices else ""
                lines.append(f"    {label} {o.name}={o.default}{choices}: {o.help}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from segstudio.io import registry
    from segstudio.io.errors import FormatError

    if args.list_formats:
        print(list_formats())
        return 0
    if not args.format or not args.path:
        raise CliError("usage: segstudio validate FORMAT PATH (or --list-formats)")
    spec = get_spec(args.format, "import")
    try:
        rep = registry.validate(spec, args.path, parse_opts(args.opt))
    except FormatError as e:
        print(f"invalid: {e}")
        return 1
    except ValueError as e:
        raise CliError(str(e)) from None
    print("valid")
    print_report(rep, args.json)
    return 0
