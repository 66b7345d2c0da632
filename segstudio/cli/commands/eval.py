"""`segstudio eval`: compare predictions with ground truth (project label sets or COCO files).

    segstudio eval PROJECT --gt gt --pred yolo [--report out.html] [--csv out.csv]
    segstudio eval PROJECT --import-pred results.json --pred yolo [--images coco.json]
    segstudio eval --gt coco.json --pred results.json [--report out.html]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from segstudio.cli.commands._project_arg import open_project
from segstudio.cli.main import CliError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="compare predictions with ground truth: IoU, Dice, boundary F, COCO AP, report",
        description="Compare a prediction label set with the ground truth of a project, or a COCO "
        "results file with a COCO ground-truth file. Prints a summary; writes an HTML report "
        "and a CSV on request.",
    )
    p.add_argument("project", nargs="?", type=Path, help="project folder (omit for the file form)")
    p.add_argument("--gt", default="gt", help="ground-truth label set, or a COCO .json (file form)")
    p.add_argument("--pred", help="prediction label set, or a COCO results .json (file form)")
    p.add_argument("--import-pred", type=Path, metavar="PATH",
                   help="first import predictions (COCO results .json, LabelMe folder or mask PNG folder) as label set --pred")
    p.add_argument("--format", choices=("coco", "labelme", "masks"), help="format of --import-pred (default: detect)")
    p.add_argument("--images", type=Path, help="COCO file naming the images of --import-pred results")
    p.add_argument("--mask-mode", default="instance", choices=("instance", "semantic", "binary"),
                   help="how mask PNGs encode instances (default: instance ids)")
    p.add_argument("--category", help="category of imported instance/binary masks")
    p.add_argument("--overwrite", action="store_true", help="replace an existing prediction label set")
    p.add_argument("--split", choices=("train", "val", "test"), help="evaluate only the images of this split")
    p.add_argument("--iou", type=float, default=0.5, help="IoU threshold for a match (default 0.5)")
    p.add_argument("--score", type=float, default=0.5,
                   help="predictions below this score are left out of matching (AP uses all; default 0.5)")
    p.add_argument("--class-agnostic", action="store_true", help="match instances across categories")
    p.add_argument("--boundary-tol", type=int, default=2, help="boundary F tolerance in pixels (default 2)")
    p.add_argument("--no-ap", action="store_true", help="skip COCO AP/AR")
    p.add_argument("--check-coco", action="store_true", help="also run pycocotools COCOeval and compare")
    p.add_argument("--report", type=Path, metavar="OUT.html", help="write a self-contained HTML report")
    p.add_argument("--csv", type=Path, metavar="OUT.csv", help="write dataset, class and image metrics as CSV")
    p.add_argument("--queue", type=int, default=0, metavar="N", help="print the N images with most disagreement")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from segstudio.cli.progress import ProgressBar
    from segstudio.eval.compare import EvalOptions, evaluate
    from segstudio.io.errors import FormatError

    try:
        options = EvalOptions(
            iou_threshold=args.iou, per_class=not args.class_agnostic, score_threshold=args.score,
            boundary_tolerance=args.boundary_tol, compute_ap=not args.no_ap,
        )
    except ValueError as e:
        raise CliError(str(e)) from None
    if not args.pred and not args.import_pred:
        raise CliError("give --pred (a label set, or a COCO results file with --gt coco.json)")
    bar = ProgressBar(0, "eval")
    try:
        if args.project is None:
            from segstudio.eval.cocofiles import load_coco_pair

            gt_path, pred_path = Path(args.gt), Path(args.pred)
            if gt_path.suffix.lower() != ".json" or pred_path.suffix.lower() != ".json":
                raise CliError("without a project, --gt and --pred must be COCO .json files")
            images, cats = load_coco_pair(gt_path, pred_path)
            zero = sum(1 for im in images for g in im.gt if g.id == 0)
            if zero:
                print(f"warning: {gt_path.name} has an annotation with id 0; COCOeval counts detections "
                      "matched to it as false positives, and so does AP here (to stay identical). "
                      "Renumber annotation ids from 1 for the true figure.", file=sys.stderr)
            result = evaluate(images, cats, options, progress=bar)
            result.gt_name, result.pred_name = gt_path.name, pred_path.name
        else:
            result = _project_eval(args, options, bar)
    except FormatError as e:
        raise CliError(str(e)) from None
    finally:
        bar.close()
    _print(result, args)
    if args.report:
        from segstudio.eval.report import write_html

        write_html(result, args.report)
        print(f"report: {args.report}")
    if args.csv:
        from segstudio.eval.report import write_csv

        write_csv(result, args.csv)
        print(f"csv: {args.csv}")
    if args.check_coco and result.coco is not None:
        from segstudio.eval.cocoref import run_cocoeval, run_cocoeval_files, to_coco

        try:
            if args.project is None:  # the reference reads the very same files
                ref = run_cocoeval_files(args.gt, args.pred)
            else:
                ref, _ = run_cocoeval(*to_coco(args._images, result.categories))
        except Exception as e:  # pycocotools asserts on input it cannot take (e.g. polygon results)
            print(f"COCOeval check: pycocotools could not evaluate this input ({type(e).__name__}: {e})")
            return 1
        same = bool((ref == result.coco.stats).all())
        print(f"COCOeval check: {'identical' if same else 'DIFFERENT'} ({', '.join(f'{v:.4f}' for v in ref)})")
        if not same:
            return 1
    return 0


def _project_eval(args, options, bar):
    from segstudio.eval.predictions import import_predictions
    from segstudio.eval.project_eval import LabelSetError, compare_label_sets, iter_eval_images

    project = open_project(args.project)
    with project:
        if args.import_pred:
            if not args.pred:
                raise CliError("--import-pred needs --pred NAME for the new label set")
            try:
                s = import_predictions(
                    project, args.import_pred, args.pred, fmt=args.format, images_json=args.images,
                    category=args.category, mask_mode=args.mask_mode, overwrite=args.overwrite,
                )
            except ValueError as e:
                raise CliError(str(e)) from None
            print(f"imported {s.instances} instances on {s.images} images as label set {s.label_set!r} ({s.format})")
            for line in s.skipped[:20]:
                print(f"  skipped: {line}")
            if len(s.skipped) > 20:
                print(f"  ... and {len(s.skipped) - 20} more skipped")
        ids = [r.id for r in project.images(split=args.split)] if args.split else None
        if ids == []:
            raise CliError(f"{project.root}: no image in split {args.split!r}")
        try:
            result = compare_label_sets(project, args.gt, args.pred, options, image_ids=ids, progress=bar)
        except LabelSetError as e:
            raise CliError(str(e)) from None
        if args.check_coco:
            args._images = list(iter_eval_images(project, args.gt, args.pred, ids))
        return result


def _f(v: float) -> str:
    return "-" if v is None or math.isnan(v) or v < 0 else f"{v:.4f}"


def _print(result, args) -> None:
    s = result.summary()
    if args.json:
        print(json.dumps({
            "summary": {k: (None if math.isnan(v) else v) for k, v in s.items()},
            "classes": [{"category": c.name, "tp": c.tp, "fp": c.fp, "fn": c.fn,
                         "iou": None if math.isnan(c.iou) else c.iou,
                         "ap": None if math.isnan(c.ap) else c.ap} for c in result.classes],
        }, indent=2))
        return
    print(f"{result.pred_name} vs {result.gt_name}: {len(result.images)} images")
    print(f"  TP {int(s['tp'])}  FP {int(s['fp'])}  FN {int(s['fn'])}  precision {_f(s['precision'])}  "
          f"recall {_f(s['recall'])}  F1 {_f(s['f1'])}  matched IoU {_f(s['matched_iou'])}")
    print(f"  mIoU {_f(s['mIoU'])}  mDice {_f(s['mDice'])}  mBoundaryF {_f(s['mBoundaryF'])}  "
          f"pixel accuracy {_f(s['pixel_accuracy'])}")
    if result.coco is not None:
        print("  " + "  ".join(f"{k} {_f(v)}" for k, v in result.coco.as_dict().items()))
    print(f"  {'class':<20} {'TP':>5} {'FP':>5} {'FN':>5} {'IoU':>7} {'Dice':>7} {'BF':>7} {'AP':>7}")
    for c in result.classes:
        print(f"  {c.name[:20]:<20} {c.tp:>5} {c.fp:>5} {c.fn:>5} {_f(c.iou):>7} {_f(c.dice):>7} "
              f"{_f(c.boundary_f):>7} {_f(c.ap):>7}")
    if args.queue:
        from segstudio.eval.queue import ReviewQueue

        q = ReviewQueue(result, skip_accepted=False)
        print(f"  most disagreement first (of {len(q)}):")
        for item in q.items[: args.queue]:
            print(f"    {item.agreement:.3f}  TP {item.tp} FP {item.fp} FN {item.fn}  {item.name}")
