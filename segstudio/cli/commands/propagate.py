"""`segstudio propagate PROJECT --video V --frame F --instance I [--to F2]`: carry masks
through a video with optical flow and per-frame refinement; one track per instance."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from segstudio.cli.commands._model_args import add_model_args, load_model
from segstudio.cli.commands._project_arg import open_project
from segstudio.cli.main import CliError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "propagate",
        help="propagate instance masks through a video",
        description="Propagate the masks of instances on frame F forward (or backward) through "
        "video V, until --to, --count frames, the end of the video, the track's next keyframe, "
        "or until the confidence drops. Results are propagated instances of the same track; "
        "re-running from a corrected frame replaces them.",
    )
    p.add_argument("project", type=Path, help="project folder")
    p.add_argument("--video", required=True, help="video id, or its path / file name in the project")
    p.add_argument("--frame", type=int, required=True, help="frame to start from (0-based)")
    p.add_argument("--instance", type=int, action="append", required=True,
                   help="instance id on that frame (repeatable)")
    p.add_argument("--to", type=int, help="last frame to fill (before --frame: backward)")
    p.add_argument("--count", type=int, help="at most this many frames")
    p.add_argument("--backward", action="store_true", help="go backward (without --to)")
    p.add_argument("--refine", default="grabcut", choices=("grabcut", "model", "none"),
                   help="per-frame refinement: GrabCut (default), a prompt model (--model), or "
                   "none (optical flow only)")
    add_model_args(p, required=False)
    p.add_argument("--min-confidence", type=float, help="stop an object below this (default 0.35)")
    p.add_argument("--label-set", default="gt", help="label set (default gt)")
    p.add_argument("--json", action="store_true", help="print a machine-readable summary")
    p.set_defaults(func=run)


def find_video(project, ref: str):
    if ref.isdigit():
        try:
            rec = project.image(int(ref))
        except KeyError:
            raise CliError(f"no video with id {ref}") from None
    else:
        rec = project.find_image(Path(ref).resolve()) if Path(ref).exists() else project.find_image(ref)
        if rec is None:
            named = [r for r in project.images() if r.name == ref or Path(r.path).stem == ref]
            if len(named) != 1:
                raise CliError(f"no video {ref!r} in the project" if not named
                               else f"{ref!r} names {len(named)} items; use the id")
            rec = named[0]
    if rec.kind not in ("video", "frames"):
        raise CliError(f"{rec.path} is an image, not a video")
    return rec


def run(args: argparse.Namespace) -> int:
    from segstudio.cli.progress import ProgressBar
    from segstudio.io.video_source import FrameError
    from segstudio.video.ops import plan_propagation, propagation_edit, run_plan
    from segstudio.video.propagate import PropagationSettings
    from segstudio.video.refine import GrabCutRefiner, NoRefiner, PromptModelRefiner
    from segstudio.video.tracks import TrackError

    project = open_project(args.project)
    with project:
        rec = find_video(project, args.video)
        step = -1 if args.backward or (args.to is not None and args.to < args.frame) else 1
        try:
            plan = plan_propagation(project, rec.id, args.frame, args.instance, step=step,
                                    count=args.count, stop_frame=args.to, label_set=args.label_set)
        except TrackError as e:
            raise CliError(str(e)) from None
        if args.refine == "model":
            if args.model is None:
                args.model = "grabcut-interactive"
            from segstudio.inference import registry
            from segstudio.inference.base import ModelError

            try:
                card = registry.find(args.model, args.models_dir)
            except ModelError as e:
                raise CliError(str(e)) from None
            if not card.is_prompt:  # checked before loading: loading may take a while
                raise CliError(f"model {card.id!r} is a {card.kind} model; propagation refines "
                               "with a prompt (click/box) model")
            refiner = PromptModelRefiner(load_model(args)[1])
        else:
            refiner = GrabCutRefiner() if args.refine == "grabcut" else NoRefiner()
        settings = PropagationSettings()
        if args.min_confidence is not None:
            settings.min_confidence = args.min_confidence
        last = args.to if args.to is not None else (rec.frame_count - 1 if step > 0 else 0)
        total = abs(last - args.frame) if args.count is None else min(args.count, abs(last - args.frame))
        try:
            with ProgressBar(total, "propagate") as bar:
                outcome = run_plan(plan, refiner=refiner, settings=settings, progress=bar)
        except FrameError as e:
            raise CliError(str(e)) from None
        edit = propagation_edit(project, plan, outcome)
        edit.do()
        rep = outcome.report
        confs = [c for cs in rep.confidence.values() for c in cs]
        summary = {
            "video": rec.path, "start_frame": args.frame, "direction": "forward" if step > 0 else "backward",
            "frames": len(rep.frames), "first": rep.frames[0] if rep.frames else None,
            "last": rep.frames[-1] if rep.frames else None, "reason": rep.reason,
            "stopped": {str(k): v for k, v in rep.stopped.items()},
            "tracks": sorted(plan.masks), "mean_confidence": round(sum(confs) / len(confs), 3) if confs else None,
            "seconds": round(rep.seconds, 2), "fps": round(rep.fps, 2),
        }
        if args.json:
            print(json.dumps(summary))
        else:
            span = f"frames {summary['first']}..{summary['last']}" if rep.frames else "no frame"
            print(f"propagated {len(plan.masks)} object(s) {summary['direction']} over {len(rep.frames)} "
                  f"frames ({span}) in {rep.seconds:.1f}s ({rep.fps:.1f} frames/s); stopped: {rep.reason}")
            for k, why in rep.stopped.items():
                print(f"  track {k}: {why}")
    return 0
