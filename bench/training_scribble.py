"""Benchmark: the scribble pixel classifier on DAVIS frames (2 CPU cores).

Scribbles are simulated from the ground truth: a few 3-px strokes along rows inside the
object (eroded by 8 px) and across the background far from it (> 25 px), like a user's
first strokes.  Reports feature / fit / predict times at ~1 MP, IoU of the object class on
the scribbled image and on the next frames (the classifier saved as a card and re-applied),
against a colour-only baseline (the same trees on the three Lab channels).

    .venv/bin/python bench/training_scribble.py            # 5 images at 1.0 MP
    .venv/bin/python bench/training_scribble.py --quick    # 2 images
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from segstudio.training.scribble.boost import BoostedTrees  # noqa: E402
from segstudio.training.scribble.features import compute_features  # noqa: E402
from segstudio.training.scribble.model import ScribbleClassifier, fit_classifier  # noqa: E402

DAVIS = ROOT.parent / "shared" / "datasets" / "davis345"


def load(name: str, megapixels: float) -> tuple[np.ndarray, np.ndarray]:
    img = cv2.imread(str(DAVIS / "img" / f"{name}.jpg"))[:, :, ::-1]
    gt = cv2.imread(str(DAVIS / "gt" / f"{name}.png")).max(axis=2) > 0
    h, w = gt.shape
    s = (megapixels * 1e6 / (h * w)) ** 0.5
    size = (round(w * s), round(h * s))
    return (np.ascontiguousarray(cv2.resize(img, size, interpolation=cv2.INTER_LINEAR)),
            cv2.resize(gt.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0)


def scribbles(gt: np.ndarray, spacing: int = 60) -> np.ndarray:
    out = np.full(gt.shape, -1, np.int16)
    inner = cv2.erode(gt.astype(np.uint8), np.ones((17, 17), np.uint8)) > 0
    far = cv2.distanceTransform((~gt).astype(np.uint8), cv2.DIST_L2, 5) > 25
    rows = np.zeros(gt.shape, bool)
    for y in range(spacing // 2, gt.shape[0], spacing):
        rows[y - 1 : y + 2] = True
    out[rows & far] = 0
    out[rows & inner] = 1
    if not (out == 1).any():  # a thin object: take its eroded core anywhere
        out[inner] = 1
    return out


def iou(a: np.ndarray, b: np.ndarray) -> float:
    u = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / u if u else 1.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", default="000,040,080,120,160", help="DAVIS frames to scribble")
    ap.add_argument("--megapixels", type=float, default=1.0)
    ap.add_argument("--next", type=int, default=3, help="following frames to apply the saved card to")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    names = args.images.split(",")[: 2 if args.quick else None]
    if not DAVIS.is_dir():
        print(f"{DAVIS}: dataset not found", file=sys.stderr)
        return 2
    rows = []
    for name in names:
        img, gt = load(name, args.megapixels)
        mp = img.shape[0] * img.shape[1] / 1e6
        t0, c0 = time.perf_counter(), time.process_time()
        feats = compute_features(img)
        t_feat, c_feat = time.perf_counter() - t0, time.process_time() - c0
        s = scribbles(gt)
        t0, c0 = time.perf_counter(), time.process_time()
        clf = fit_classifier(feats, s, ["background", "object"])
        t_fit, c_fit = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        probs = clf.predict_features(feats)
        t_pred, c_pred = time.perf_counter() - t0, time.process_time() - c0
        pred = probs.argmax(0) == 1
        # colour-only baseline: the same trees on L, a, b
        ys, xs = np.nonzero(s >= 0)
        base = BoostedTrees.fit(feats[:3, ys, xs].T, s[ys, xs], 2)
        base_pred = base.predict_proba(feats[:3].reshape(3, -1)).argmax(0).reshape(gt.shape) == 1
        # save as a card, reload, apply to the next frames
        with tempfile.TemporaryDirectory() as tmp:
            card = clf.save(Path(tmp) / "card")
            loaded = ScribbleClassifier.load(card)
            nxt = []
            for k in range(1, args.next + 1):
                other = f"{int(name) + k:03d}"
                if not (DAVIS / "img" / f"{other}.jpg").is_file():
                    break
                oimg, ogt = load(other, args.megapixels)
                nxt.append(iou(loaded.segment(oimg).class_map == 1, ogt))
        rows.append((name, mp, int((s >= 0).sum()), t_feat, t_fit, t_pred, iou(pred, gt), iou(base_pred, gt),
                     float(np.mean(nxt)) if nxt else float("nan"), c_feat, c_fit, c_pred))
    print(f"{'image':>5} {'MP':>5} {'scribbled':>9} {'feat s':>7} {'fit s':>6} {'pred s':>7} {'pred s/MP':>9} "
          f"{'IoU':>6} {'colour':>6} {'next':>6}")
    for n, mp, k, tf, tt, tp, i, b, nx, *_ in rows:
        print(f"{n:>5} {mp:5.2f} {k:9d} {tf:7.3f} {tt:6.3f} {tp:7.3f} {tp / mp:9.3f} {i:6.3f} {b:6.3f} {nx:6.3f}")
    arr = np.array([r[1:] for r in rows], float)
    print(f"mean: features {arr[:, 2].mean():.3f} s, fit {arr[:, 3].mean():.3f} s, predict "
          f"{(arr[:, 4] / arr[:, 0]).mean():.3f} s/MP; IoU {arr[:, 5].mean():.3f} vs colour-only "
          f"{arr[:, 6].mean():.3f} ({arr[:, 5].mean() / max(arr[:, 6].mean(), 1e-9):.2f}x); "
          f"saved card on the next frames {np.nanmean(arr[:, 7]):.3f}")
    print(f"CPU seconds (all threads; load-independent): features {arr[:, 8].mean():.3f}, fit {arr[:, 9].mean():.3f}, "
          f"predict {(arr[:, 10] / arr[:, 0]).mean():.3f} per MP")
    import os

    print(f"load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
