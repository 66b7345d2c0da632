"""`segstudio project copy SRC DST` and `segstudio project images PROJECT FOLDER`."""

from __future__ import annotations

import argparse
from pathlib import Path

from segstudio.cli.main import CliError
from segstudio.store import Project, ProjectError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "project", help="copy a project between SQLite and PostgreSQL; map a shared project's images",
        description="Work on a project as a whole. A project is a folder (SQLite) or "
        "postgresql://[user@]host[:port]/DATABASE/PROJECT (shared; docs/scale.md).")
    ops = p.add_subparsers(dest="project_command", metavar="ACTION", required=True)
    cp = ops.add_parser(
        "copy", help="copy every image record, category, label and run into a new project",
        description="Copy a project losslessly: folder to database, database to folder, or "
        "between two of either. DST must not exist yet. Images are not copied: the new "
        "project names the same files (a shared project's image folder is --images).")
    cp.add_argument("src", type=Path, help="project folder or postgresql:// URL")
    cp.add_argument("dst", type=Path, help="new project folder or postgresql:// URL")
    cp.add_argument("--images", type=Path, metavar="FOLDER",
                    help="a new shared project's image folder on this machine (default: the "
                    "source's image folder)")
    cp.set_defaults(func=run_copy)
    im = ops.add_parser(
        "images", help="tell this machine where a shared project's images are",
        description="Map a shared project's image folder on this machine (remembered per "
        "project in the user's config folder; nothing is written to the project).")
    im.add_argument("project", type=Path, help="postgresql:// URL")
    im.add_argument("folder", type=Path, help="the folder holding the project's images here")
    im.set_defaults(func=run_images)


def run_copy(args: argparse.Namespace) -> int:
    from segstudio.cli.progress import ProgressBar
    from segstudio.store.copy import copy_project

    try:
        src = Project.open(args.src)
    except ProjectError as e:
        raise CliError(str(e)) from None
    with src:
        try:
            dst = Project.create(args.dst, image_root=args.images or src.root)
        except ProjectError as e:
            raise CliError(str(e)) from None
        with dst, ProgressBar(0, "copy") as bar:
            counts = copy_project(src, dst, lambda table, n: bar(n, message=table))
        print(f"copied {src.address} to {dst.address}: "
              + ", ".join(f"{n} {t}" for t, n in counts.items() if n))
    return 0


def run_images(args: argparse.Namespace) -> int:
    from segstudio.store.location import is_database_url, parse_database_url
    from segstudio.store.roots import map_root

    if not is_database_url(args.project):
        raise CliError(f"{args.project}: not a postgresql:// URL (a folder project's images are "
                       "relative to its folder)")
    if not args.folder.is_dir():
        raise CliError(f"{args.folder}: no such folder")
    location = parse_database_url(str(args.project))
    with Project.open(str(args.project), image_root=args.folder) as project:
        missing = [r.path for r in project.images()[:200] if not (args.folder / r.path).exists()]
    map_root(location.display, args.folder)
    print(f"{location.display}: images in {args.folder.resolve()}")
    if missing:
        print(f"warning: {len(missing)} of the first 200 images are not there, e.g. {missing[0]}")
    return 0
