"""`segstudio train PROJECT --template NAME [--set key=value ...]`: fine-tune a segmenter on the
project's labelled images, with a progress bar and a final metrics table."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path

from segstudio.cli.main import CliError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="fine-tune a segmentation model on the project's labels",
        description="Train a template on the images marked done (or --images), record the run in "
        "the project, write its model card to PROJECT/models/run-N/, optionally pre-label the "
        "remaining images. Ctrl-C stops after the current step; --resume N continues.",
    )
    p.add_argument("project", type=Path, help="project folder")
    p.add_argument("--template", default=None, help="semantic | foreground | click (see --list-templates)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="override a hyperparameter (repeatable)")
    p.add_argument("--images", default=None, help="comma-separated image ids instead of status done")
    p.add_argument("--status", default="done", help="comma-separated statuses to train on (default: done)")
    p.add_argument("--categories", default=None, help="comma-separated category names (default: all)")
    p.add_argument("--resume", type=int, default=None, metavar="RUN", help="resume run RUN from its last checkpoint")
    p.add_argument("--prelabel", action="store_true",
                   help="after training, pre-label images not done and order them by uncertainty")
    p.add_argument("--device", default=None, help="torch device (default: cuda when present, else cpu)")
    p.add_argument("--list-templates", action="store_true", help="list templates and their hyperparameters")
    p.set_defaults(func=run)


def _ids(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise CliError(f"--images: expected comma-separated integers, got {text!r}") from None


def run(args: argparse.Namespace) -> int:
    from segstudio.training.templates import TEMPLATES

    if args.list_templates:
        for t in TEMPLATES.values():
            print(f"{t.name}: {t.title}\n  {t.description}")
            for p in t.params:
                print(f"    {p.describe()}")
        return 0
    from segstudio.cli.progress import ProgressBar
    from segstudio.core.tasks import CancelToken
    from segstudio.store import Project, ProjectError
    from segstudio.training import runner
    from segstudio.training.data import DataError
    from segstudio.training.hparams import HyperParamError, parse_assignments
    from segstudio.training.runs import RunError, get_run
    from segstudio.training.templates import TemplateError

    try:
        with Project.open(args.project) as project:
            if args.resume is not None:
                if args.template or args.sets:
                    raise CliError("--resume continues a recorded run; drop --template/--set")
                run_id = args.resume
                get_run(project, run_id)
            else:
                if not args.template:
                    raise CliError("choose a template with --template (see --list-templates)")
                cats = [c.strip() for c in args.categories.split(",")] if args.categories else None
                run_id = runner.start_run(
                    project, args.template, parse_assignments(args.sets), image_ids=_ids(args.images),
                    statuses=[s.strip() for s in args.status.split(",")], categories=cats)
            hp = get_run(project, run_id).hyperparams
    except ProjectError as e:
        raise CliError(str(e)) from None
    except (HyperParamError, TemplateError, DataError, RunError) as e:
        raise CliError(str(e)) from None

    token = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: token.cancel())
    bar = ProgressBar(1, f"run {run_id}")
    print(f"training run {run_id} ({'resume' if args.resume else 'new'}), epochs {hp['epochs']}, "
          f"input {hp['input_size']}, batch {hp['batch_size']}, lr {hp['lr']}")

    def on_event(e: dict) -> None:
        kind = e["type"]
        if kind == "start":
            bar.total = e["epochs"] * e["steps_per_epoch"]
            bar.done = e["start_epoch"] * e["steps_per_epoch"]
        elif kind == "step":
            bar((e["epoch"] - 1) * e["steps"] + e["step"], None,
                f"ep {e['epoch']} loss {e['loss']:.3f} {e['images_per_s']:.1f} img/s")
        elif kind == "epoch" and not bar.enabled:
            print(_epoch_line(e), flush=True)
        elif kind in ("warning", "early_stop"):
            print(f"\n{kind}: {e.get('message') or 'no improvement for ' + str(hp['patience']) + ' epochs'}")

    try:
        final = runner.execute(args.project, run_id, resume=args.resume is not None, cancel=token,
                               on_event=on_event, device=args.device)
    except (RunError, DataError) as e:
        raise CliError(str(e)) from None
    except Exception as e:
        raise CliError(f"training run {run_id} failed: {type(e).__name__}: {e}", code=1) from None
    finally:
        signal.signal(signal.SIGINT, previous)
        bar.close()
    with Project.open(args.project) as project:
        record = get_run(project, run_id)
    _print_table(record.metrics, final.get("best_epoch", 0))
    if final["status"] == "cancelled":
        print(f"cancelled after {final['epochs']} epoch(s); continue with: segstudio train {args.project} --resume {run_id}")
        return 130
    print(f"status: {final['status']}; model card: {final['card']}")
    if args.prelabel and record.template == "click":
        print("--prelabel: a click model answers clicks, it does not pre-label; pick it in AI Assist")
    elif args.prelabel:
        from segstudio.training.closed_loop import prelabel_with_trained

        with Project.open(args.project) as project, ProgressBar(1, "pre-label") as pbar:
            summary = prelabel_with_trained(project, final["card"], progress=pbar, cancel=token)
        order = summary.order
        print(f"pre-labelled {summary.done} image(s); review order (least certain first): "
              f"{', '.join(map(str, order[:10]))}{' ...' if len(order) > 10 else ''}")
    return 0


def _epoch_line(e: dict) -> str:
    if e.get("val_noc90") is not None:  # the click template: NoC protocol on the validation objects
        val = (f" val NoC@85/90 {e['val_noc85']:.2f}/{e['val_noc90']:.2f} mIoU@1/3/5 "
               f"{e['val_miou1']:.3f}/{e['val_miou3']:.3f}/{e['val_miou5']:.3f}")
    elif e.get("val_miou") is not None:
        val = f" val mIoU {e['val_miou']:.3f} fg IoU {e['val_fg_iou']:.3f}"
    else:
        val = ""
    return f"epoch {e['epoch']}: loss {e['train_loss']:.4f}{val} ({e['images_per_s']:.1f} img/s)"


def _print_table(history: list[dict], best_epoch: int) -> None:
    if not history:
        print("no epoch completed")
        return
    click = any("val_noc90" in h for h in history)
    cols = ("val_noc85", "val_noc90", "val_miou1", "val_miou5") if click else ("val_loss", "val_miou", "val_fg_iou")
    titles = ("NoC@85", "NoC@90", "mIoU@1", "mIoU@5") if click else ("val loss", "val mIoU", "fg IoU")
    print(f"{'epoch':>5} {'loss':>8} " + " ".join(f"{t:>8}" for t in titles) + f" {'img/s':>7}")

    def f(h: dict, key: str) -> str:
        v = h.get(key)
        return f"{v:8.4f}" if isinstance(v, (int, float)) else f"{'-':>8}"

    for h in history:
        mark = " *" if h["epoch"] == best_epoch else ""
        print(f"{h['epoch']:>5} {f(h, 'train_loss')} " + " ".join(f(h, c) for c in cols)
              + f" {h.get('images_per_s', 0):7.1f}{mark}")
    print("* best epoch (its weights are the model)")
