"""Working-resolution mask -> image resolution, with the boundary moved onto image edges."""

from __future__ import annotations

import cv2
import numpy as np


def upsample_mask(fg: np.ndarray, H: int, W: int, guide: np.ndarray | None = None) -> np.ndarray:
    """Working-resolution mask -> image size.  With a guide image, an edge-aware guided
    filter (He et al. 2010) moves the upsampled boundary onto the image edges, only inside
    the band where the upsampling is uncertain."""
    if fg.shape == (H, W):
        return fg.copy()
    up = cv2.resize(fg.astype(np.float32), (W, H), interpolation=cv2.INTER_LINEAR)
    if guide is None:
        return up > 0.5
    factor = max(H / fg.shape[0], W / fg.shape[1])
    band = (up > 0.02) & (up < 0.98)
    if not band.any():
        return up > 0.5
    ys, xs = np.nonzero(band)
    r = max(2, round(2 * factor))
    y0, y1 = max(0, ys.min() - 2 * r), min(H, ys.max() + 2 * r + 1)
    x0, x1 = max(0, xs.min() - 2 * r), min(W, xs.max() + 2 * r + 1)
    gray = cv2.cvtColor(np.ascontiguousarray(guide[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
    q = guided_filter(gray.astype(np.float32) / 255.0, up[y0:y1, x0:x1], r, 1e-3)
    out = up > 0.5
    win = out[y0:y1, x0:x1]
    b = band[y0:y1, x0:x1]
    win[b] = q[b] > 0.5
    return out


def guided_filter(guide: np.ndarray, src: np.ndarray, r: int, eps: float) -> np.ndarray:
    k = (2 * r + 1, 2 * r + 1)

    def box(a: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(a, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT)

    mean_i, mean_p = box(guide), box(src)
    var_i = box(guide * guide) - mean_i * mean_i
    cov_ip = box(guide * src) - mean_i * mean_p
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return box(a) * guide + box(b)
