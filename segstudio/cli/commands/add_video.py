"""`segstudio add-video PROJECT PATH... [--fps F] [--extract DIR --stride N]`: add videos or
folders of numbered frames to a project (frames are decoded on demand, never extracted unless
asked)."""

from __future__ import annotations

import argparse
from pathlib import Path

from segstudio.cli.commands._project_arg import open_project
from segstudio.cli.main import CliError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "add-video",
        help="add videos or folders of numbered frames to a project",
        description="Add each PATH (a video file OpenCV decodes, e.g. MP4/AVI/MOV/MKV, or a "
        "folder of numbered frame images) as one project item. Frames are addressed by index "
        "and decoded on demand. Optionally extract every N-th frame to image files.",
    )
    p.add_argument("project", type=Path, help="project folder")
    p.add_argument("paths", type=Path, nargs="+", help="video files or frame folders")
    p.add_argument("--fps", type=float, help="frame rate (overrides the file's; gives frame folders one)")
    p.add_argument("--extract", type=Path, metavar="DIR",
                   help="also write frames as PNG files under DIR/<video name>/")
    p.add_argument("--stride", type=int, default=1, help="with --extract: every N-th frame (default 1)")
    p.add_argument("--format", default="png", choices=("png", "jpg"), help="with --extract: file type")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from segstudio.cli.progress import ProgressBar
    from segstudio.io.video_source import FrameError, open_source
    from segstudio.video.library import add_video, extract_frames, format_timestamp

    if args.stride < 1:
        raise CliError("--stride must be at least 1")
    project = open_project(args.project)
    failed = 0
    with project:
        for path in args.paths:
            try:
                added = add_video(project, path, fps=args.fps)
            except FrameError as e:
                print(f"skipped {e}")
                failed += 1
                continue
            duration = format_timestamp(added.frame_count / added.fps) if added.fps else "unknown fps"
            verb = "already in the project" if added.existed else "added"
            print(f"{verb}: {path} (id {added.image_id}, {added.kind}, {added.frame_count} frames, "
                  f"{added.width}x{added.height}, {duration})")
            if args.extract:
                out = args.extract / (path.stem if path.is_file() else path.name)
                with open_source(path, fps=args.fps) as src, ProgressBar(
                        len(range(0, src.frame_count, args.stride)), f"extract {path.name}") as bar:
                    files = extract_frames(src, out, stride=args.stride, ext="." + args.format,
                                           progress=bar)
                print(f"  wrote {len(files)} frames to {out}")
    if failed == len(args.paths):
        raise CliError("no video was added")
    return 1 if failed else 0
