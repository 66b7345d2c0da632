"""Confusion-matrix metrics for validation (numpy only)."""

from __future__ import annotations

import numpy as np

from segstudio.training.transforms import IGNORE


def confusion(pred: np.ndarray, target: np.ndarray, num_classes: int) -> np.ndarray:
    """C x C counts, rows = truth, columns = prediction; IGNORE pixels skipped."""
    valid = target != IGNORE
    t = target[valid].astype(np.int64)
    p = pred[valid].astype(np.int64)
    return np.bincount(t * num_classes + p, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def iou_per_class(conf: np.ndarray) -> np.ndarray:
    """IoU per class; NaN where a class appears in neither truth nor prediction."""
    tp = np.diag(conf).astype(np.float64)
    denom = conf.sum(0) + conf.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, tp / np.maximum(denom, 1), np.nan)


def summary(conf: np.ndarray, class_names: list[str]) -> dict[str, float]:
    """mIoU over the classes that occur (NaN-skipping), pixel accuracy and the foreground IoU
    (the mean over non-background classes: the number users of a 1-class project care about)."""
    ious = iou_per_class(conf)
    total = conf.sum()
    out: dict[str, float] = {
        "miou": float(np.nanmean(ious)) if np.isfinite(ious).any() else 0.0,
        "accuracy": float(np.trace(conf) / total) if total else 0.0,
    }
    fg = [i for i, n in enumerate(class_names) if n != "background"]
    fg_ious = ious[fg] if fg else ious
    out["fg_iou"] = float(np.nanmean(fg_ious)) if np.isfinite(fg_ious).any() else 0.0
    for name, v in zip(class_names, ious):
        out[f"iou/{name}"] = float(v) if np.isfinite(v) else float("nan")
    return out
