"""Which input resize is faithful to how U²-Netp was trained, and which does best on ground truth.

U²-Net's training and test loaders (xuebinqin/U-2-Net `data_loader.py`, `RescaleT(320)`) call
`skimage.transform.resize(image, (320, 320), mode='constant')`: order 1 (bilinear), and on the
scikit-image of the paper's requirements (0.14) no anti-aliasing (it became the default in
0.15).  That is exactly OpenCV's INTER_LINEAR (checked: equal to 1e-15 on a DAVIS frame), then
`image / max(image)` and the ImageNet mean/std.  rembg resizes with PIL's LANCZOS instead, and
min-max normalises the output and resizes it back with LANCZOS; SegStudio used INTER_AREA.

Each variant runs the same weights (SegStudio's ONNX export of u2netp) on the same images;
`iou_vs_gt` thresholds the map resized back to the image (bilinear) at 0.5 and returns the IoU
with the ground truth (colour masks binarised with any channel > 0).

    .venv/bin/python bench/u2netp_preprocessing.py [--every 3] [--datasets davis345 coco_mval80]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATASETS = Path("/work/shared/datasets")
SIZE = 320
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def _normalise(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float32)
    x /= max(float(x.max()), 1e-6)
    return np.ascontiguousarray(((x - MEAN) / STD).transpose(2, 0, 1))[None]


def area(rgb: np.ndarray) -> np.ndarray:
    return _normalise(cv2.resize(rgb, (SIZE, SIZE), interpolation=cv2.INTER_AREA))


def linear(rgb: np.ndarray) -> np.ndarray:
    """skimage 0.14 `resize(order=1)` without anti-aliasing: U²-Net's training resize."""
    return _normalise(cv2.resize(rgb, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR))


def gauss_linear(rgb: np.ndarray) -> np.ndarray:
    """skimage >= 0.15 default: Gaussian anti-aliasing (sigma (scale - 1) / 2), then bilinear."""
    h, w = rgb.shape[:2]
    sy, sx = max(0.0, (h / SIZE - 1) / 2), max(0.0, (w / SIZE - 1) / 2)
    x = rgb.astype(np.float32)
    if sx > 0 or sy > 0:
        x = cv2.GaussianBlur(x, (0, 0), sigmaX=max(sx, 1e-3), sigmaY=max(sy, 1e-3), borderType=cv2.BORDER_REFLECT)
    return _normalise(cv2.resize(x, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR))


def lanczos(rgb: np.ndarray) -> np.ndarray:
    """rembg's input resize (PIL LANCZOS)."""
    from PIL import Image

    return _normalise(np.asarray(Image.fromarray(rgb).resize((SIZE, SIZE), Image.Resampling.LANCZOS)))


VARIANTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "INTER_AREA (SegStudio before)": area,
    "bilinear, no anti-aliasing (U2-Net training: skimage 0.14)": linear,
    "Gaussian anti-aliasing + bilinear (skimage >= 0.15)": gauss_linear,
    "PIL LANCZOS (rembg)": lanczos,
}


def samples(dataset: Path, every: int) -> list[tuple[Path, Path]]:
    from segstudio.eval import noc

    return [(s.image, s.mask) for s in noc.find_samples(dataset)[::every]]


def gt_mask(path: Path) -> np.ndarray:
    m = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    return (m[..., :3].max(axis=2) if m.ndim == 3 else m) > 0


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def session():
    import onnxruntime as ort

    from segstudio.inference.u2net import SalientSegmenter

    del ort  # imported above only to fail early when onnxruntime is missing
    return SalientSegmenter(backend="onnx")._ort()  # the cached export of the built-in weights


def mask_of(sess, rgb: np.ndarray, prep: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    small = sess.run(None, {"image": prep(rgb)})[0][0, 0]
    h, w = rgb.shape[:2]
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR) >= 0.5


def evaluate(pairs: list[tuple[Path, Path]], variants=VARIANTS) -> dict[str, list[float]]:
    sess = session()
    out: dict[str, list[float]] = {k: [] for k in variants}
    for img, gt in pairs:
        rgb = cv2.cvtColor(cv2.imread(str(img)), cv2.COLOR_BGR2RGB)
        truth = gt_mask(gt)
        for name, prep in variants.items():
            out[name].append(iou(mask_of(sess, rgb, prep), truth))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=int, default=3, help="every Nth image of each dataset")
    ap.add_argument("--datasets", nargs="+", default=["davis345", "coco_mval80"])
    args = ap.parse_args()
    for name in args.datasets:
        folder = DATASETS / name
        if not folder.is_dir():
            print(f"FAILED: dataset {folder} not found")
            return 1
        pairs = samples(folder, args.every if name == "davis345" else 1)
        res = evaluate(pairs)
        base = np.array(res["INTER_AREA (SegStudio before)"])
        print(f"{name}: {len(pairs)} images, IoU with the ground truth (threshold 0.5)")
        for k, v in res.items():
            v = np.array(v)
            print(f"  {k:<60} mean {v.mean():.4f}  median {np.median(v):.4f}  "
                  f"better/worse than INTER_AREA on {(v > base + 1e-9).sum()}/{(v < base - 1e-9).sum()} images")
    return 0


if __name__ == "__main__":
    sys.exit(main())
