"""Background-removal quality and speed on DAVIS-345, against rembg in the same run.

For each image: the built-in U²-Netp subject model, then the cutout pipeline with each edge
refinement, compared with the ground-truth mask (binarised, max > 0):
  * IoU of the binary mask (alpha >= 0.5) with the ground truth,
  * alpha SAD (sum |alpha - gt| / 1000, the matting convention) and MSE over the whole image,
  * the same SAD inside the 10-pixel band around the true outline (where refinement acts).
"model" is the soft saliency map as the network gives it (before refinement); "guided" is the
default refinement; "matting" the closed-form matting of the band (with --matting; slower).

rembg runs in its own venv (bench/cutout_rembg_worker.py) with the same u2netp.onnx in
~/.u2net/, timed on the same decoded images: `remove()` to an RGBA cutout.  Our time is the
same unit of work: subject model + refinement + RGBA cutout (decontamination off, as rembg).

    .venv/bin/python bench/cutout_quality.py [--quick | --limit N] [--matting] \
        [--rembg-python /tmp/rembg-venv/bin/python] [--data ../shared/datasets/davis345]
"""

from __future__ import annotations

import argparse
import json
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


def run_rembg(python: str, paths: list[Path], out: Path) -> list[float] | None:
    listing = out / "list.txt"
    listing.write_text("\n".join(str(p) for p in paths))
    worker = ROOT / "bench" / "cutout_rembg_worker.py"
    try:
        proc = subprocess.run([python, str(worker), str(listing), str(out / "rembg")],
                              capture_output=True, text=True, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"rembg: could not run {python}: {e}", file=sys.stderr)
        return None
    if proc.returncode != 0:
        print(f"rembg failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])["times"]


def summarise(name: str, rows: list[dict[str, float]], times: list[float]) -> dict[str, float]:
    out = {k: statistics.fmean(r[k] for r in rows) for k in rows[0]}
    out["s_per_image"] = statistics.fmean(times) if times else float("nan")
    out["images_per_s"] = 1.0 / out["s_per_image"] if times else float("nan")
    print(f"{name:<22} IoU {out['iou']:.4f}  SAD {out['sad']:8.3f}  MSE {out['mse']:.5f}  "
          f"edge SAD {out['edge_sad']:7.3f}  " + (f"{out['s_per_image'] * 1000:7.1f} ms/img "
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
    ap.add_argument("--json", type=Path, default=None, help="write the summary here")
    args = ap.parse_args()
    limit = 30 if args.quick and not args.limit else args.limit
    pairs = load_pairs(args.data, limit)
    if not pairs:
        print(f"no images under {args.data}/img", file=sys.stderr)
        return 2

    from segstudio.inference.u2net import SalientSegmenter

    seg = SalientSegmenter()
    warm = cv2.cvtColor(cv2.imread(str(pairs[0][0])), cv2.COLOR_BGR2RGB)
    seg.saliency(warm)  # load + warm up, not timed

    variants = {"model (before)": CutoutSettings(refine="none"), "guided (default)": CutoutSettings()}
    if args.matting:
        variants["matting"] = CutoutSettings(refine="matting")
    rows: dict[str, list[dict[str, float]]] = {k: [] for k in variants}
    times: dict[str, list[float]] = {k: [] for k in variants}
    gts = {}
    for img_path, gt_path in pairs:
        rgb = cv2.cvtColor(cv2.imread(str(img_path)), cv2.COLOR_BGR2RGB)
        gt = cv2.imread(str(gt_path)).max(axis=2) > 0
        gts[img_path.stem] = gt
        band = edge_band(gt, 10)
        t0 = time.perf_counter()
        soft = seg.saliency(rgb)
        t_model = time.perf_counter() - t0
        mask = soft >= 0.5
        for name, settings in variants.items():
            t1 = time.perf_counter()
            alpha = estimate_alpha(rgb, mask, settings, soft=soft)
            render_rgba(rgb, alpha, settings)
            times[name].append(t_model + time.perf_counter() - t1)
            rows[name].append(metrics(alpha, gt, band))

    print(f"DAVIS-345: {len(pairs)} images{' (subset)' if len(pairs) < 345 else ''}; "
          f"time = subject model + refinement + RGBA cutout, decoded image in memory")
    summary = {name: summarise(name, rows[name], times[name]) for name in variants}

    if not args.no_rembg:
        with tempfile.TemporaryDirectory() as tmp:
            rt = run_rembg(args.rembg_python, [p for p, _ in pairs], Path(tmp))
            if rt is not None:
                rrows = []
                for img_path, _ in pairs:
                    alpha = cv2.imread(str(Path(tmp) / "rembg" / f"{img_path.stem}.png"), cv2.IMREAD_GRAYSCALE)
                    gt = gts[img_path.stem]
                    rrows.append(metrics(alpha.astype(np.float32) / 255.0, gt, edge_band(gt, 10)))
                summary["rembg u2netp"] = summarise("rembg u2netp", rrows, rt)
                ours = summary["guided (default)"]
                ref = summary["rembg u2netp"]
                print(f"ours/rembg: IoU {ours['iou'] - ref['iou']:+.4f}, SAD x{ours['sad'] / ref['sad']:.3f}, "
                      f"MSE x{ours['mse'] / ref['mse']:.3f}, throughput x{ours['images_per_s'] / ref['images_per_s']:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"images": len(pairs), "summary": summary}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
