"""`segstudio open [PATH]` (also `segstudio` alone): start the GUI."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "open",
        help="open the app (a project, a folder of images, or the sample project)",
        description="Start the SegStudio window. PATH may be a project, a folder of images "
        "(a project is created in it) or omitted (the welcome view).",
    )
    p.add_argument("path", nargs="?", type=Path, help="project or image folder")
    p.add_argument("--sample", action="store_true", help="open the bundled sample project")
    p.add_argument("--screenshot", type=Path, help="render the window to this PNG and exit")
    p.add_argument("--quit-after", type=float, metavar="SECONDS", help="close the app after SECONDS (smoke tests)")
    p.add_argument("--mode", choices=("annotate", "review", "cutout", "video", "train"),
                   help="start in this task mode (default: the last one used)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from segstudio.qt.app import run_app  # Qt is imported only when the GUI starts

    return run_app(args.path, sample=args.sample, screenshot=args.screenshot, quit_after=args.quit_after,
                   mode=args.mode)
