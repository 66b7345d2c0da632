"""`segstudio prelabel PROJECT --model ID [--only-unlabelled]`: batch pre-labels, resumable."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from segstudio.cli.commands._model_args import add_model_args, load_model
from segstudio.cli.commands._project_arg import open_project
from segstudio.cli.main import CliError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "prelabel", help="pre-label a project's images with a model",
        description="Run an image model (salient, yolo-seg, semantic) over the project. Results "
                    "become model instances with scores; earlier model instances are replaced, "
                    "manual ones kept; new images become 'prelabelled'. An interrupted run "
                    "resumes where it stopped (unless --restart).")
    p.add_argument("project", type=Path)
    add_model_args(p)
    p.add_argument("--only-unlabelled", action="store_true",
                   help="only images with status 'new' and no instances")
    p.add_argument("--image", type=int, action="append", default=[], metavar="ID",
                   help="only these image ids (repeatable)")
    p.add_argument("--restart", action="store_true", help="do not resume an unfinished run")
    p.add_argument("--batch", type=int, default=1, help="images per network call (default 1: measured no faster batched on CPU)")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="run on a Ray cluster (ADDRESS, or 'auto' for the one `ray start` runs "
                   "here; no ADDRESS: a local cluster on this machine's CPUs). Needs "
                   "'segstudio[cluster]'; resumable like the local run (docs/scale.md)")
    p.add_argument("--ray-cpus", type=int, metavar="N", help="CPUs of the local Ray cluster")
    p.add_argument("--ray-chunk", type=int, metavar="N",
                   help="images per Ray task and per commit (default 8; smaller commits more often)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from segstudio.cli.progress import ProgressBar
    from segstudio.inference.prelabel import prelabel_project

    project = open_project(args.project)
    card, model = load_model(args)
    if card.is_prompt:
        raise CliError(f"model {card.id} is a click/box model; pre-labelling needs an image model")
    scope = "selected" if args.image else ("unlabelled" if args.only_unlabelled else "all")
    with project:
        bar = ProgressBar(0, f"prelabel {card.id}")
        if args.ray is not None:
            if args.ray_chunk is not None and args.ray_chunk < 1:
                raise CliError(f"--ray-chunk must be at least 1 (got {args.ray_chunk})")
            bar.lines_every = 0.0 if bar.stream.isatty() else 5.0  # a cluster job's log gets lines
            from segstudio.inference.base import ModelError
            from segstudio.inference.ray_batch import prelabel_on_ray

            try:
                rep = prelabel_on_ray(
                    project, args.model, [str(d) for d in args.models_dir], scope=scope,
                    selected=args.image, resume=not args.restart, background=card.background,
                    model_id=getattr(model, "model_id", type(model).__name__),
                    address=args.ray or None, num_cpus=args.ray_cpus, progress=bar,
                    **({"chunk": args.ray_chunk} if args.ray_chunk else {}))
            except ModelError as e:
                raise CliError(str(e)) from None
        else:
            rep = prelabel_project(project, model, scope, args.image, resume=not args.restart,
                                   batch=args.batch, background=card.background, progress=bar)
    if rep.resumed_from:
        print(f"resumed run {rep.run_id} after {rep.resumed_from} images")
    if rep.cancelled:  # Ctrl+C on a Ray job: what was committed stays, the rest can resume
        print(f"segstudio prelabel: cancelled after {rep.done} images this run "
              f"({rep.instances} instances committed); run the same command again to resume",
              file=sys.stderr)
        return 130
    print(f"pre-labelled {rep.done} images ({rep.instances} instances) in {rep.seconds:.1f} s "
          f"({rep.images_per_second:.2f} images/s); {rep.skipped} skipped")
    for e in rep.errors:
        print(f"warning: {e}")
    return 0 if not rep.errors else 1
