"""Background-removal quality and speed on DAVIS-345, against rembg in the same run.

For each image: the built-in U²-Netp subject model, then the cutout pipeline with each edge
refinement, compared with the ground-truth mask (binarised, max > 0):
  * IoU of the binary mask (alpha >= 0.5) with the ground truth,
  * alpha SAD (sum |alpha - gt| / 1000, the matting convention) and MSE over the whole image,
  * the same SAD inside the 10-pixel band around the true outline (where refinement acts).
"model" is the subject model's soft map as the cutout pipeline gets it (Lanczos reduction to
the network input, sigmoid map stretched to [0,1]): before refinement; "guided" the default;
"matting" closed-form matting of the band and uncertain pixels (with --matting; slower);
"guided, ORT" the default pipeline with the same u2netp.onnx as rembg run on onnxruntime
(`segstudio cutout --model u2netp.onnx`), which separates runtime speed from pipeline cost.

rembg runs in its own venv (bench/cutout_rembg_worker.py) with the same u2netp.onnx in
~/.u2net/, interleaved image by image with ours so the shared machine's load hits both alike,
timed on the same decoded images: `remove()` to an RGBA cutout.  Our time is the same unit of
work: subject model + refinement + RGBA cutout (decontamination off, as rembg).  Both use
--threads intra-op threads (default 1: the fairest and steadiest on a shared machine).

    .venv/bin/python bench/cutout_quality.py [--quick | --limit N] [--matting] [--threads N] \
        [--rembg-python /tmp/rembg-venv/bin/python] [--data ../shared/datasets/davis345]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from segstudio.cutout.edges import edge_band  # noqa: E402
from segstudio.cutout.pipeline import estimate_alpha, render_rgba  # noqa: E402
from segstudio.cutout.saliency import load_saliency  # noqa: E402
from segstudio.cutout.settings import CutoutSettings  # noqa: E402


def metrics(alpha: np.ndarray, gt: np.ndarray, band: np.ndarray) -> dict[str, float]:
    a = alpha.astype(np.float64)
    g = gt.astype(np.float64)
    fg = a >= 0.5
    inter = (fg & gt).sum()
    union = (fg | gt).sum()
    d = np.abs(a - g)
    return {
        "iou": float(inter / union) if union else 1.0,
        "sad": float(d.sum() / 1000.0),
        "mse": float((d**2).mean()),
        "edge_sad": float(d[band].sum() / 1000.0),
    }


def load_pairs(data: Path, limit: int | None) -> list[tuple[Path, Path]]:
    imgs = sorted((data / "img").glob("*.jpg"))
    if limit:
        # An even spread over the set (its frames come from many videos in order).
        step = max(1, len(imgs) // limit)
        imgs = imgs[::step][:limit]
    return [(p, data / "gt" / f"{p.stem}.png") for p in imgs]


class Rembg:
    """The rembg worker process, one image at a time."""

    def __init__(self, python: str, out: Path, threads: int) -> None:
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        worker = ROOT / "bench" / "cutout_rembg_worker.py"
        self.out = out
        self.proc = subprocess.Popen([python, str(worker), str(out)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)

    def run(self, path: Path) -> tuple[np.ndarray, float]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{path}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("rembg worker stopped (is rembg installed in that venv?)")
        alpha = cv2.imread(str(self.out / f"{path.stem}.png"), cv2.IMREAD_GRAYSCALE)
        return alpha.astype(np.float32) / 255.0, float(json.loads(line)["s"])

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(30)


def summarise(name: str, rows: list[dict[str, float]], times: list[float]) -> dict[str, float]:
    out = {k: statistics.fmean(r[k] for r in rows) for k in rows[0]}
    out["s_per_image"] = statistics.median(times) if times else float("nan")
    out["images_per_s"] = 1.0 / out["s_per_image"] if times else float("nan")
    print(f"{name:<22} IoU {out['iou']:.4f}  SAD {out['sad']:8.3f}  MSE {out['mse']:.5f}  "
          f"edge SAD {out['edge_sad']:7.3f}  " + (f"{out['s_per_image'] * 1000:7.1f} ms/img (median) "
          f"({out['images_per_s']:.2f} img/s)" if times else ""))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "datasets" / "davis345")
    ap.add_argument("--limit", type=int, default=None, help="use an even spread of N images")
    ap.add_argument("--quick", action="store_true", help="same as --limit 30")
    ap.add_argument("--matting", action="store_true", help="also run closed-form matting of the band")
    ap.add_argument("--rembg-python", default="/tmp/rembg-venv/bin/python")
    ap.add_argument("--no-rembg", action="store_true")
    ap.add_argument("--onnx", default="~/.u2net/u2netp.onnx",
                    help="also run our pipeline with this U²-Net ONNX file on onnxruntime (if it exists)")
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads for both models (default 1)")
    ap.add_argument("--json", type=Path, default=None, help="write the summary here")
    args = ap.parse_args()
    limit = 30 if args.quick and not args.limit else args.limit
    pairs = load_pairs(args.data, limit)
    if not pairs:
        print(f"no images under {args.data}/img", file=sys.stderr)
        return 2

    import torch

    torch.set_num_threads(args.threads)
    builtin = load_saliency()
    warm = cv2.cvtColor(cv2.imread(str(pairs[0][0])), cv2.COLOR_BGR2RGB)
    builtin(warm)  # load + warm up, not timed

    variants = {"model (before)": CutoutSettings(refine="none"), "guided (default)": CutoutSettings()}
    if args.matting:
        variants["matting"] = CutoutSettings(refine="matting")
    onnx = Path(args.onnx).expanduser()
    ort_model = load_saliency(str(onnx), threads=args.threads) if onnx.is_file() else None
    if ort_model is not None:
        ort_model(warm)
    names = [*variants] + (["guided, ORT"] if ort_model else [])
    names += [] if args.no_rembg else ["rembg u2netp"]
    rows: dict[str, list[dict[str, float]]] = {k: [] for k in names}
    times: dict[str, list[float]] = {k: [] for k in names}
    tmp = tempfile.TemporaryDirectory()
    rembg = None if args.no_rembg else Rembg(args.rembg_python, Path(tmp.name), args.threads)
    try:
        for n, (img_path, gt_path) in enumerate(pairs):
            rgb = cv2.cvtColor(cv2.imread(str(img_path)), cv2.COLOR_BGR2RGB)
            gt = cv2.imread(str(gt_path)).max(axis=2) > 0
            band = edge_band(gt, 10)
            t0 = time.perf_counter()
            soft = builtin(rgb)
            t_model = time.perf_counter() - t0
            mask = soft >= 0.5
            for name, settings in variants.items():
                t1 = time.perf_counter()
                alpha = estimate_alpha(rgb, mask, settings, soft=soft)
                render_rgba(rgb, alpha, settings)
                times[name].append(t_model + time.perf_counter() - t1)
                rows[name].append(metrics(alpha, gt, band))
            if ort_model is not None:
                t1 = time.perf_counter()
                soft = ort_model(rgb)
                alpha = estimate_alpha(rgb, soft >= 0.5, CutoutSettings(), soft=soft)
                render_rgba(rgb, alpha, CutoutSettings())
                times["guided, ORT"].append(time.perf_counter() - t1)
                rows["guided, ORT"].append(metrics(alpha, gt, band))
            if rembg is not None:
                alpha, dt = rembg.run(img_path)
                rows["rembg u2netp"].append(metrics(alpha, gt, band))
                times["rembg u2netp"].append(dt)
            if (n + 1) % 25 == 0:
                print(f"  {n + 1}/{len(pairs)}", file=sys.stderr, flush=True)
    finally:
        if rembg is not None:
            rembg.close()
        tmp.cleanup()

    print(f"DAVIS-345: {len(pairs)} images{' (subset)' if len(pairs) < 345 else ''}; {args.threads} thread(s); "
          f"time = subject model + refinement + RGBA cutout, decoded image in memory")
    summary = {name: summarise(name, rows[name], times[name]) for name in names}
    if "rembg u2netp" in summary:
        ref = summary["rembg u2netp"]
        for name in ("guided (default)", "guided, ORT"):
            if name in summary:
                ours = summary[name]
                print(f"ours ({name}) vs rembg: IoU {ours['iou'] - ref['iou']:+.4f}, SAD x{ours['sad'] / ref['sad']:.3f}, "
                      f"MSE x{ours['mse'] / ref['mse']:.3f}, throughput x{ours['images_per_s'] / ref['images_per_s']:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"images": len(pairs), "summary": summary}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
