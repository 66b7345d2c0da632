"""Synthetic ground truth and predictions with known perturbations (tests, benchmarks, demos).

Ground truth: ellipses and rectangles (some with holes) of several classes.
Predictions derive from it by known perturbations: shifted, dilated/eroded,
relabelled, dropped (false negatives) and invented (false positives), each with
a score that correlates with its quality.
"""

from __future__ import annotations

import cv2
import numpy as np

from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.eval.compare import EvalImage


def _shape_mask(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    m = np.zeros(shape, np.uint8)
    cy, cx = int(rng.integers(8, h - 8)), int(rng.integers(8, w - 8))
    ry, rx = int(rng.integers(4, max(5, h // 6))), int(rng.integers(4, max(5, w // 6)))
    if rng.random() < 0.5:
        cv2.ellipse(m, (cx, cy), (rx, ry), float(rng.uniform(0, 180)), 0, 360, 1, -1)
    else:
        m[max(0, cy - ry) : cy + ry, max(0, cx - rx) : cx + rx] = 1
    if rng.random() < 0.2 and min(rx, ry) > 6:
        m[cy - ry // 3 : cy + ry // 3, cx - rx // 3 : cx + rx // 3] = 0  # a hole
    return m.astype(bool)


def perturb(mask: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """A degraded copy of `mask` and a score that falls with the damage."""
    kind = rng.integers(0, 3)
    out = mask
    if kind == 0:
        dy, dx = (int(v) for v in rng.integers(-4, 5, size=2))
        out = np.roll(np.roll(mask, dy, axis=0), dx, axis=1)
    elif kind == 1:
        k = int(rng.integers(1, 4))
        op = cv2.dilate if rng.random() < 0.5 else cv2.erode
        out = op(mask.astype(np.uint8), np.ones((2 * k + 1, 2 * k + 1), np.uint8)) > 0
    union = np.count_nonzero(mask | out)
    iou = np.count_nonzero(mask & out) / union if union else 0.0
    score = float(np.clip(0.3 + 0.7 * iou + rng.normal(0, 0.08), 0.01, 0.99))
    return out, score


def make_images(
    n_images: int,
    n_instances: int,
    n_classes: int = 5,
    shape: tuple[int, int] = (96, 128),
    *,
    p_miss: float = 0.1,
    p_extra: float = 0.1,
    p_relabel: float = 0.05,
    p_crowd: float = 0.0,
    seed: int = 0,
) -> list[EvalImage]:
    rng = np.random.default_rng(seed)
    images = []
    for i in range(n_images):
        gt: list[Instance] = []
        pred: list[Instance] = []
        for j in range(n_instances):
            mask = _shape_mask(rng, shape)
            if not mask.any():
                continue
            cat = int(rng.integers(1, n_classes + 1))
            crowd = bool(rng.random() < p_crowd)
            gt.append(Instance(j + 1, cat, MaskPatch.from_full(mask), "manual", crowd=crowd))
            if rng.random() < p_miss:
                continue
            pm, score = perturb(mask, rng)
            if not pm.any():
                continue
            pcat = int(rng.integers(1, n_classes + 1)) if rng.random() < p_relabel else cat
            pred.append(Instance(len(pred) + 1, pcat, MaskPatch.from_full(pm), "model", score))
        for _ in range(int(rng.binomial(n_instances, p_extra))):
            mask = _shape_mask(rng, shape)
            if mask.any():
                score = float(rng.uniform(0.05, 0.7))
                cat = int(rng.integers(1, n_classes + 1))
                pred.append(Instance(len(pred) + 1, cat, MaskPatch.from_full(mask), "model", score))
        images.append(EvalImage(i + 1, f"synthetic_{i + 1:05d}.png", shape, gt, pred))
    return images


def categories(n_classes: int = 5) -> list[tuple[int, str]]:
    return [(c, f"class{c}") for c in range(1, n_classes + 1)]
