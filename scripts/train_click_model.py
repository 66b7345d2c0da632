"""Rebuild the built-in click model's weights (segstudio/resources/models/clicknet.pt).

    nice -n 10 .venv/bin/python scripts/train_click_model.py DATA_DIR --run-dir runs/click \
        [--epochs 30] [--seed 0] [--set key=value ...] [--resume] [--out PATH]

`--set stop_after=N` ends the run after epoch N while the learning-rate schedule still spans
`--epochs` (how the shipped weights were made on a shared 2-core machine).

DATA_DIR is a folder of image/mask pairs in a NoC layout (img/+gt/; the shipped weights come
from coco_mval_train694).  Every 12th object (sorted by name) is held out for validation NoC.
The run directory gets checkpoints (last.pt, best.pt: resume with --resume), events.jsonl (every
event) and curves.csv (one row per epoch); at the end the best weights are copied to --out with
the run's recipe and wall time in their metadata.  Fixed seed: the same command on the same
machine and thread count gives the same weights.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from segstudio.training.click import data as click_data  # noqa: E402
from segstudio.training.click.loop import DEFAULTS, train_click  # noqa: E402

VAL_EVERY = 12


def _parse_set(items: list[str]) -> dict:
    out = {}
    for item in items:
        k, _, v = item.partition("=")
        if k not in DEFAULTS:
            raise SystemExit(f"unknown setting {k!r}; known: {', '.join(DEFAULTS)}")
        d = DEFAULTS[k]
        out[k] = (v.lower() in ("1", "true", "yes")) if isinstance(d, bool) else type(d)(v)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path)
    ap.add_argument("--run-dir", type=Path, required=True)
    ap.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--limit", type=int, default=0, help="only the first N objects (smoke tests)")
    ap.add_argument("--out", type=Path, help="copy the best weights here when done")
    args = ap.parse_args()

    hp = DEFAULTS | {"epochs": args.epochs, "seed": args.seed, "workers": 2} | _parse_set(args.set)
    t0 = time.time()
    objects = click_data.load_folder(args.data)
    if args.limit:
        objects = objects[: args.limit]
    train, val = click_data.split(objects, VAL_EVERY)
    print(f"{len(train)} training / {len(val)} validation objects from {args.data} "
          f"({time.time() - t0:.0f} s to load)", flush=True)
    args.run_dir.mkdir(parents=True, exist_ok=True)
    (args.run_dir / "recipe.json").write_text(json.dumps(
        {"data": str(args.data), "objects": len(objects), "val_every": VAL_EVERY, "hp": hp}, indent=1))
    log_path = args.run_dir / "events.jsonl"
    curves = args.run_dir / "curves.csv"
    t_train = time.time()

    def on_event(e: dict) -> None:
        with open(log_path, "a") as log:
            log.write(json.dumps(e) + "\n")
        if e["type"] == "epoch":
            row = {k: v for k, v in e.items() if k != "type"}
            new = not curves.is_file()
            with open(curves, "a", newline="") as f:
                w = csv.DictWriter(f, fieldnames=list(row))
                if new:
                    w.writeheader()
                w.writerow(row)
            val_txt = (f" val NoC@85/90 {e['val_noc85']:.2f}/{e['val_noc90']:.2f} mIoU@1/3/5 "
                       f"{e['val_miou1']:.3f}/{e['val_miou3']:.3f}/{e['val_miou5']:.3f}"
                       if "val_noc90" in e else "")
            print(f"epoch {e['epoch']}: loss {e['train_loss']:.4f} {e['train_seconds']:.0f} s{val_txt} "
                  f"(wall {time.time() - t0:.0f} s)", flush=True)
        elif e["type"] == "step" and e["step"] % 20 == 0:
            print(f"  epoch {e['epoch']} step {e['step']}/{e['steps']} loss {e['loss']:.4f} "
                  f"{e['images_per_s']:.2f} obj/s eta {e['eta_s'] / 60:.0f} min", flush=True)

    result = train_click(train, val, hp, args.run_dir, resume=args.resume, on_event=on_event)
    wall = time.time() - t0
    print(f"{result.status}: {result.epochs_run} epochs, best epoch {result.best_epoch}, "
          f"wall {wall / 3600:.2f} h (training {(time.time() - t_train) / 3600:.2f} h)", flush=True)
    if args.out and result.status == "done":
        import torch

        from segstudio.inference.click_net import FORMAT

        blob = torch.load(result.best, map_location="cpu", weights_only=True)
        digest = hashlib.sha1("".join(sorted(o.name for o in objects)).encode()).hexdigest()[:12]
        blob["meta"] |= {"data": args.data.name, "objects": len(objects), "objects_sha1": digest,
                         "hp": hp, "best_epoch": result.best_epoch,
                         # summed over the epochs, so a resumed run states its whole cost
                         "train_hours": round(sum(h.get("train_seconds", 0) + h.get("val_seconds", 0)
                                                  for h in result.history) / 3600, 2),
                         "history": result.history}
        assert blob["format"] == FORMAT
        args.out.parent.mkdir(parents=True, exist_ok=True)
        torch.save(blob, args.out)
        print(f"weights: {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
