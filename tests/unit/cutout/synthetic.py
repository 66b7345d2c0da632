"""Synthetic photos with a known soft alpha: I = alpha F + (1 - alpha) B."""

from __future__ import annotations

import cv2
import numpy as np


def soft_disc_scene(h: int = 120, w: int = 150, seed: int = 0, strands: int = 10, ramp: float = 6.0):
    """A disc with a soft rim and thin hair-like strands sticking out of it, over a textured
    background.  Returns (image uint8 RGB, alpha float32, F float32, B float32, strand region)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cy, cx, r0 = h / 2, w / 2, min(h, w) * 0.3
    alpha = np.clip(0.5 - (np.hypot(yy - cy, xx - cx) - r0) / ramp, 0, 1).astype(np.float32)
    for _ in range(strands):
        ang = rng.uniform(0, 2 * np.pi)
        for t in np.linspace(0, 22, 160):
            y, x = int(cy + (r0 + t) * np.sin(ang)), int(cx + (r0 + t) * np.cos(ang))
            if 0 <= y < h and 0 <= x < w:
                alpha[y, x] = max(alpha[y, x], 0.6)
    f = np.empty((h, w, 3), np.float32)
    f[...] = (0.8, 0.3, 0.2)
    b = np.empty((h, w, 3), np.float32)
    b[...] = (0.1, 0.7, 0.2)
    f += cv2.GaussianBlur(rng.normal(0, 0.08, (h, w, 3)).astype(np.float32), (0, 0), 3)
    b += cv2.GaussianBlur(rng.normal(0, 0.08, (h, w, 3)).astype(np.float32), (0, 0), 3)
    f, b = np.clip(f, 0, 1), np.clip(b, 0, 1)
    img = alpha[..., None] * f + (1 - alpha[..., None]) * b
    ring = (np.hypot(yy - cy, xx - cx) > r0 - 6) & (np.hypot(yy - cy, xx - cx) < r0 + 26)
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8), alpha, f, b, ring


def coarse_of(alpha: np.ndarray, factor: int = 4) -> np.ndarray:
    """What a low-resolution model gives: the alpha seen at 1/factor size, scaled back up."""
    h, w = alpha.shape
    small = cv2.resize(alpha, (w // factor, h // factor), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
