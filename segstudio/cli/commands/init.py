"""`segstudio init FOLDER [--project DIR | --db postgresql://...]`: create a project from a
folder of images (in the folder, or shared in a PostgreSQL database: docs/scale.md)."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from segstudio.cli.main import CliError
from segstudio.store import Project, ProjectError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "init",
        help="create a project from a folder of images",
        description="Find images under FOLDER (recursively, natural order) and create a project. "
        "Images stay where they are; the project stores relative paths.",
    )
    p.add_argument("folder", type=Path, help="folder of images")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--project", type=Path, help="project folder (default: FOLDER itself)")
    where.add_argument("--db", metavar="URL",
                       help="a shared project in PostgreSQL: postgresql://[user@]host[:port]/DATABASE/PROJECT "
                       "(password from PGPASSWORD, ~/.pgpass or a service file, never stored); "
                       "image paths are kept relative to FOLDER, which each machine maps once")
    p.add_argument("--category", action="append", default=[], help="add a category (repeatable)")
    p.add_argument("--videos", action="store_true", help="also add the videos found (streamed, not extracted)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    folder: Path = args.folder
    if not folder.is_dir():
        raise CliError(f"{folder}: not a folder" if folder.exists() else f"{folder}: no such folder")
    if args.db:
        return _init_shared(folder, args)
    root = args.project or folder
    made_folder = not root.exists()
    try:
        project = Project.create(root)
    except ProjectError as e:
        raise CliError(str(e)) from None
    try:
        _fill(project, folder, root, args)
    except BaseException:
        _remove_project(root, made_folder)  # a failed init leaves no project behind
        raise
    return 0


def _init_shared(folder: Path, args: argparse.Namespace) -> int:
    try:
        project = Project.create(args.db, image_root=folder)
    except ProjectError as e:
        raise CliError(str(e)) from None
    try:
        _fill(project, folder, project.address, args)
    except BaseException:
        from segstudio.store.pg_project import drop_project

        drop_project(project.location)  # a failed init leaves no project behind
        raise
    return 0


def _remove_project(root: Path, made_folder: bool) -> None:
    from segstudio.store.project import DB_NAME

    for suffix in ("", "-wal", "-shm", "-journal"):
        (root / f"{DB_NAME}{suffix}").unlink(missing_ok=True)
    if made_folder:
        with contextlib.suppress(OSError):
            root.rmdir()  # only if empty


def _fill(project: Project, folder: Path, root: Path | str, args: argparse.Namespace) -> None:
    with project:
        report = project.add_folder(folder)
        for name in args.category:
            project.add_category(name)
        print(f"created project {root} with {len(report.found)} images")
        if report.videos and args.videos:
            _add_videos(project, report.videos)
        elif report.videos:
            print(f"found {len(report.videos)} videos (add them with --videos or 'segstudio add-video')")
        if report.skipped:
            print(f"skipped {len(report.skipped)} files:")
            for path, why in report.skipped[:50]:
                print(f"  {path}: {why}")
            if len(report.skipped) > 50:
                print(f"  ... and {len(report.skipped) - 50} more")


def _add_videos(project: Project, videos: list[Path]) -> None:
    from segstudio.io.video_source import FrameError
    from segstudio.video.library import add_video

    for path in videos:
        try:
            added = add_video(project, path)
        except FrameError as e:
            print(f"  skipped video {path}: {e}")
            continue
        rate = f" at {added.fps:g} fps" if added.fps else ""
        print(f"added video {path.name}: {added.frame_count} frames{rate}")
