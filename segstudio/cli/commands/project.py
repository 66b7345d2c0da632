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
    au = ops.add_parser(
        "add-urls", help="add images by http(s) or object-store URL (read-only, cached locally)",
        description="Add images that live at http(s)://, s3://, gs://... URLs (fsspec; object-store "
        "credentials from fsspec's usual places). Each is fetched once to read its size and kept "
        "in a local cache bounded by SEGSTUDIO_REMOTE_CACHE_MB (default 2048).")
    au.add_argument("project", type=Path, help="project folder or postgresql:// URL")
    au.add_argument("urls", nargs="*", metavar="URL")
    au.add_argument("--from", dest="from_file", type=Path, metavar="FILE", help="one URL per line")
    au.set_defaults(func=run_add_urls)


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


def run_add_urls(args: argparse.Namespace) -> int:
    from segstudio.core.image_header import HeaderError, read_header
    from segstudio.store.remote import RemoteImageError, is_remote, local_copy

    urls = list(args.urls)
    if args.from_file:
        try:
            urls += [u.strip() for u in args.from_file.read_text().splitlines() if u.strip()]
        except OSError as e:
            raise CliError(f"{args.from_file}: {e.strerror}") from None
    bad = [u for u in urls if not is_remote(u)]
    if bad or not urls:
        raise CliError(f"{bad[0]}: not an http(s):// or object-store URL" if bad else "no URLs given")
    items, skipped = [], []
    for url in urls:
        try:
            header = read_header(local_copy(url))
        except (RemoteImageError, HeaderError, OSError) as e:
            skipped.append(f"{url}: {e}")
            continue
        items.append((url, header.width, header.height))
    try:
        with Project.open(args.project) as project:
            ids = project.add_images(items)
    except ProjectError as e:
        raise CliError(str(e)) from None
    print(f"added {len(ids)} images by URL" + (f"; skipped {len(skipped)}:" if skipped else ""))
    for line in skipped:
        print(f"  {line}")
    return 0 if not skipped else 1
