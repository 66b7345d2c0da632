"""Canvas helpers without learned weights: magic wand, flood fill inside barriers, superpixels
and snapping a rough mask to superpixel edges.  Pure numpy/OpenCV (no torch), fast enough to run
on every click of a 1 MP image."""

from __future__ import annotations

import cv2
import numpy as np


def _seed(shape: tuple[int, ...], x: float, y: float) -> tuple[int, int]:
    h, w = shape[:2]
    xi, yi = int(np.floor(x)), int(np.floor(y))
    if not (0 <= xi < w and 0 <= yi < h):
        raise ValueError(f"point ({x}, {y}) is outside the {w}x{h} image")
    return xi, yi


def magic_wand(
    rgb: np.ndarray, x: float, y: float, tolerance: float = 24.0, contiguous: bool = True
) -> np.ndarray:
    """Pixels whose colour is within `tolerance` (per channel, 0..255) of the clicked pixel;
    only those connected to it (8-connectivity) when `contiguous`.  The canvas's wand tool and
    this helper share one implementation (`core.tools.fill.wand_region`)."""
    from segstudio.core.tools.fill import wand_region

    xi, yi = _seed(rgb.shape, x, y)
    return wand_region(rgb, xi, yi, int(round(tolerance)), contiguous)


def flood_fill(barrier: np.ndarray, x: float, y: float) -> np.ndarray:
    """The 4-connected region of non-barrier pixels that contains the click (e.g. fill the hole
    of a mask, or the gap between instances).  Empty when the click is on the barrier."""
    xi, yi = _seed(barrier.shape, x, y)
    if barrier[yi, xi]:
        return np.zeros(barrier.shape, bool)
    _, labels = cv2.connectedComponents((~barrier).astype(np.uint8), connectivity=4)
    return labels == labels[yi, xi]


def superpixels(rgb: np.ndarray, step: int = 16, compactness: float = 0.0) -> np.ndarray:
    """Compact-watershed superpixels: int32 label map (0..n-1), markers on a regular grid of
    `step` pixels flooded over the colour gradient.  `compactness` > 0 adds the distance to the
    grid seed to the gradient so cells stay round in flat regions."""
    h, w = rgb.shape[:2]
    lab = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2LAB)
    blur = cv2.GaussianBlur(lab, (3, 3), 0).astype(np.float32)
    gx = cv2.Sobel(blur, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(blur, cv2.CV_32F, 0, 1, ksize=3)
    grad = np.sqrt((gx**2 + gy**2).sum(axis=2))
    if compactness > 0:
        yy, xx = np.mgrid[:h, :w]
        dy = (yy % step) - step / 2
        dx = (xx % step) - step / 2
        grad = grad + compactness * np.sqrt(dx * dx + dy * dy) / step
    g8 = cv2.normalize(grad, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    markers = np.zeros((h, w), np.int32)
    ys = np.arange(step // 2, h, step)
    xs = np.arange(step // 2, w, step)
    ids = np.arange(1, ys.size * xs.size + 1, dtype=np.int32).reshape(ys.size, xs.size)
    markers[np.ix_(ys, xs)] = ids
    cv2.watershed(cv2.cvtColor(g8, cv2.COLOR_GRAY2BGR), markers)
    # watershed lines (-1) join the neighbouring label with the lowest gradient: take a 3x3 max
    lines = markers < 0
    if lines.any():
        grown = cv2.dilate(np.where(lines, 0, markers).astype(np.float32), np.ones((3, 3), np.uint8))
        markers[lines] = grown[lines].astype(np.int32)
        markers[markers <= 0] = 1
    return markers - 1


def snap_to_superpixels(mask: np.ndarray, labels: np.ndarray, fraction: float = 0.5) -> np.ndarray:
    """Snap a rough mask to image edges: every superpixel that the mask covers by more than
    `fraction` becomes foreground, every other one background."""
    if mask.shape != labels.shape:
        raise ValueError(f"mask {mask.shape} and superpixels {labels.shape} differ in size")
    n = int(labels.max()) + 1
    total = np.bincount(labels.ravel(), minlength=n)
    inside = np.bincount(labels.ravel(), weights=mask.ravel().astype(np.float64), minlength=n)
    keep = inside > fraction * np.maximum(total, 1)
    return keep[labels]
