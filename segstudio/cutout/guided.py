"""Colour guided filter (He, Sun & Tang, "Guided Image Filtering", ECCV 2010 / TPAMI 2013).

The filter output is locally a linear function of the guide colour, q = a . I + b,
so a coarse or blocky alpha takes on the edges of the image: hair strands and
fur tips that the model missed come back as partial alpha.  Written with
numpy and OpenCV box filters; `subsample` > 1 computes the coefficients on a
reduced image (the "fast guided filter") and applies them at full resolution.
"""

from __future__ import annotations

import cv2
import numpy as np


def _box(a: np.ndarray, r: int) -> np.ndarray:
    return cv2.boxFilter(a, -1, (2 * r + 1, 2 * r + 1), normalize=True, borderType=cv2.BORDER_REFLECT)


def inverse_sym3(c00, c01, c02, c11, c12, c22):
    """Element-wise inverse of symmetric 3x3 matrices given by their 6 unique entries."""
    i00 = c11 * c22 - c12 * c12
    i01 = c02 * c12 - c01 * c22
    i02 = c01 * c12 - c02 * c11
    i11 = c00 * c22 - c02 * c02
    i12 = c01 * c02 - c00 * c12
    i22 = c00 * c11 - c01 * c01
    det = c00 * i00 + c01 * i01 + c02 * i02
    inv_det = 1.0 / det
    return (i00 * inv_det, i01 * inv_det, i02 * inv_det, i11 * inv_det, i12 * inv_det, i22 * inv_det)


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float, subsample: int = 1) -> np.ndarray:
    """Filter `src` (HxW float) with the colour `guide` (HxWx3 float in [0,1], or HxW grey).

    radius: window half-size in full-resolution pixels; eps: regularisation (larger = smoother,
    closer to a plain box blur; ~1e-4..1e-2 for guides in [0,1]).
    """
    guide = np.asarray(guide, np.float32)
    src = np.asarray(src, np.float32)
    h, w = src.shape
    s = max(1, int(subsample))
    r = max(1, round(radius / s))
    if s > 1:
        size = (max(1, w // s), max(1, h // s))
        g = cv2.resize(guide, size, interpolation=cv2.INTER_AREA)
        p = cv2.resize(src, size, interpolation=cv2.INTER_AREA)
    else:
        g, p = guide, src
    if g.ndim == 2:
        a, b = _coefficients_gray(g, p, r, eps)
        a, b = _box(a, r), _box(b, r)
        if s > 1:
            a = cv2.resize(a, (w, h), interpolation=cv2.INTER_LINEAR)
            b = cv2.resize(b, (w, h), interpolation=cv2.INTER_LINEAR)
        return a * guide + b
    a, b = _coefficients_color(g, p, r, eps)
    a = _box(a, r)
    b = _box(b, r)
    if s > 1:
        a = cv2.resize(a, (w, h), interpolation=cv2.INTER_LINEAR)
        b = cv2.resize(b, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.einsum("hwc,hwc->hw", a, guide[..., :3]) + b


def _coefficients_gray(g: np.ndarray, p: np.ndarray, r: int, eps: float):
    mean_i, mean_p = _box(g, r), _box(p, r)
    cov_ip = _box(g * p, r) - mean_i * mean_p
    var_i = _box(g * g, r) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    return a, mean_p - a * mean_i


def _coefficients_color(g: np.ndarray, p: np.ndarray, r: int, eps: float):
    g = g[..., :3]
    mean_i = _box(g, r)  # HxWx3
    mean_p = _box(p, r)
    cov_ip = _box(g * p[..., None], r) - mean_i * mean_p[..., None]
    r_, g_, b_ = g[..., 0], g[..., 1], g[..., 2]
    mr, mg, mb = mean_i[..., 0], mean_i[..., 1], mean_i[..., 2]
    c00 = _box(r_ * r_, r) - mr * mr + eps
    c01 = _box(r_ * g_, r) - mr * mg
    c02 = _box(r_ * b_, r) - mr * mb
    c11 = _box(g_ * g_, r) - mg * mg + eps
    c12 = _box(g_ * b_, r) - mg * mb
    c22 = _box(b_ * b_, r) - mb * mb + eps
    i00, i01, i02, i11, i12, i22 = inverse_sym3(c00, c01, c02, c11, c12, c22)
    cr, cg, cb = cov_ip[..., 0], cov_ip[..., 1], cov_ip[..., 2]
    a = np.empty_like(mean_i)
    a[..., 0] = i00 * cr + i01 * cg + i02 * cb
    a[..., 1] = i01 * cr + i11 * cg + i12 * cb
    a[..., 2] = i02 * cr + i12 * cg + i22 * cb
    b = mean_p - np.einsum("hwc,hwc->hw", a, mean_i)
    return a, b
