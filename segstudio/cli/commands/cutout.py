"""`segstudio cutout SRC DST`: transparent cutouts of the main subject of images.

SRC is an image, a folder of images (searched recursively) or a SegStudio
project; DST is the output folder (or, for one image, an output file ending in
.png / .webp).  Inputs are never overwritten; existing outputs are skipped
unless --replace.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from segstudio.cli.main import CliError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "cutout",
        help="remove the background: transparent PNG/WebP cutouts of the main subject",
        description="Select the main subject of each image with a salient-object model, refine "
        "its edges to a soft alpha and write transparent PNG or WebP cutouts. SRC is an image, a "
        "folder (searched recursively) or a project; DST is a folder (or a .png/.webp file for "
        "one image). Inputs are never overwritten; existing outputs are skipped unless --replace.",
    )
    p.add_argument("src", type=Path, help="image, folder of images, or project folder")
    p.add_argument("dst", type=Path, help="output folder (or output file for a single image)")
    p.add_argument("--model", default=None, metavar="ID",
                   help="subject model: a model-card id or a U²-Netp .pt file (default: built-in u2netp-salient)")
    p.add_argument("--format", choices=("png", "webp"), default=None,
                   help="output format (default png, or the DST file's extension)")
    p.add_argument("--quality", type=int, default=None, metavar="Q",
                   help="WebP only: lossy colour quality 1-100 (default lossless; alpha is always lossless)")
    p.add_argument("--feather", type=float, default=0.0, metavar="N", help="soften the edge by N pixels")
    p.add_argument("--shift", type=int, default=0, metavar="N", help="grow (N>0) or shrink (N<0) the edge by N pixels")
    p.add_argument("--smooth", type=float, default=0.0, metavar="N", help="round off jagged outlines (radius in pixels)")
    p.add_argument("--refine", choices=("guided", "matting", "none"), default="guided",
                   help="edge refinement: guided filter (fast, default), closed-form matting (slower, "
                   "hair and fur), or none (the model's soft map)")
    p.add_argument("--band", type=int, default=None, metavar="N",
                   help="half-width of the refined edge band in pixels (default 1%% of the short side)")
    p.add_argument("--single-look", dest="second_look", action="store_false",
                   help="run the subject model once on the whole photo (about twice as fast; by "
                        "default it looks again at a crop around the subject for a sharper outline)")
    p.add_argument("--threshold", type=float, default=0.5, help="saliency level of the subject mask (default 0.5)")
    p.add_argument("--decontaminate", action="store_true", help="remove background colour spill from soft edges")
    p.add_argument("--crop", type=int, default=None, metavar="MARGIN",
                   help="crop each cutout to the subject plus MARGIN pixels")
    p.add_argument("--matte", action="store_true", help="also write the alpha matte as NAME_matte.png")
    p.add_argument("--masks", choices=("auto", "model", "annotations"), default="auto",
                   help="for a project: cut out the annotated masks (annotations), the model's subject "
                   "(model), or annotations where an image has any and the model elsewhere (auto)")
    p.add_argument("--replace", action="store_true", help="replace existing outputs (inputs are never touched)")
    p.add_argument("--no-recursive", dest="recursive", action="store_false", help="do not search sub-folders")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="run on a Ray cluster (ADDRESS, 'auto', or none: a local one); the model "
                   "path only; resumable (finished outputs are skipped). Needs 'segstudio[cluster]'")
    p.add_argument("--ray-cpus", type=int, metavar="N", help="CPUs of the local Ray cluster")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from segstudio.cli.progress import ProgressBar
    from segstudio.cutout.batch import (
        CutoutJob,
        folder_jobs,
        project_jobs,
        project_mask_lookup,
        run_batch,
    )
    from segstudio.cutout.settings import CutoutSettings
    from segstudio.store import Project, ProjectError

    src: Path = args.src
    dst: Path = args.dst
    if not src.exists():
        raise CliError(f"{src}: no such file or folder")
    single_file_out = src.is_file() and dst.suffix.lower() in (".png", ".webp")
    fmt = args.format or (dst.suffix.lower().lstrip(".") if single_file_out else "png")
    if single_file_out and dst.suffix.lower() != f".{fmt}":
        raise CliError(f"{dst}: extension does not match --format {fmt}")
    try:
        settings = CutoutSettings(
            threshold=args.threshold, refine=args.refine, band=args.band, shift=args.shift,
            smooth=args.smooth, feather=args.feather, decontaminate=args.decontaminate,
            crop_margin=args.crop, format=fmt, quality=args.quality, matte=args.matte,
        )
    except ValueError as e:
        raise CliError(str(e)) from None
    if dst.exists() and not dst.is_dir() and not single_file_out:
        raise CliError(f"{dst}: exists and is not a folder")

    project = None
    masks = None
    try:
        if src.is_dir() and Project.is_project(src):
            try:
                project = Project.open(src)
            except ProjectError as e:
                raise CliError(str(e)) from None
            jobs = project_jobs(project, dst, settings)
            masks = project_mask_lookup(project)
        elif src.is_dir():
            jobs = folder_jobs(src, dst, settings, recursive=args.recursive)
        else:
            out = dst if single_file_out else dst / f"{src.stem}.{fmt}"
            matte = out.with_name(f"{out.stem}_matte.png") if settings.matte else None
            jobs = [CutoutJob(src, out, matte)]
        if not jobs:
            raise CliError(f"{src}: no images found")
        if args.ray is not None:
            if project is not None and args.masks != "model":
                raise CliError("--ray cuts out with the model only; add --masks model, or run "
                               "without --ray to cut out the project's annotations")
            result = _on_ray(jobs, settings, args)
        else:
            need_model = project is None or args.masks != "annotations"
            saliency = _load_model(args.model, args.second_look) if need_model else None
            with ProgressBar(len(jobs), "cutout", enabled=None if not args.quiet else False) as bar:
                result = run_batch(jobs, settings, saliency, replace=args.replace, masks=masks,
                                   mask_source=args.masks, progress=bar)
    finally:
        if project is not None:
            project.close()
    for _source, message in result.failed:
        print(f"segstudio cutout: {message}", file=sys.stderr)
    if not args.quiet:
        print(f"{result.summary()} -> {dst}")
    return 1 if result.failed else 0


def _on_ray(jobs, settings, args):
    from segstudio.cli.progress import ProgressBar
    from segstudio.cutout.ray_batch import run_batch_on_ray
    from segstudio.inference.base import ModelError

    _load_model(args.model, args.second_look)  # a wrong model is one line here, not an error on every worker
    try:
        with ProgressBar(len(jobs), "cutout", enabled=None if not args.quiet else False) as bar:
            return run_batch_on_ray(jobs, settings, args.model, replace=args.replace,
                                    address=args.ray or None, num_cpus=args.ray_cpus, progress=bar,
                                    second_look=args.second_look)
    except ModelError as e:
        raise CliError(str(e)) from None


def _load_model(model: str | None, second_look: bool = True):
    from segstudio.cutout.saliency import SaliencyModelError, load_saliency

    try:
        return load_saliency(model) if second_look else load_saliency(model, second_look=False)
    except SaliencyModelError as e:
        raise CliError(str(e)) from None
