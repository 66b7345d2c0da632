"""Mask edge operations for cutouts: shift (grow/shrink), smooth, feather, trimap.

All functions take and return full-image arrays (bool masks or float32 alpha in
[0, 1]) and never modify their inputs.
"""

from __future__ import annotations

import cv2
import numpy as np

# Trimap values, as in the matting literature.
BACKGROUND = 0
UNKNOWN = 128
FOREGROUND = 255


def disc(radius: int) -> np.ndarray:
    """A filled disc structuring element of the given radius (radius 0 = a single pixel)."""
    radius = max(0, int(radius))
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def _morph(a: np.ndarray, op: int, radius: int) -> np.ndarray:
    # Large discs are slow to apply directly; a disc of radius r equals repeated radius-k
    # discs only approximately, so we stay exact up to 32 px and chain above that.
    out = a
    remaining = int(radius)
    while remaining > 0:
        step = min(remaining, 32)
        out = cv2.morphologyEx(out, op, disc(step), borderType=cv2.BORDER_REPLICATE)
        remaining -= step
    return out


def shift_mask(mask: np.ndarray, pixels: int) -> np.ndarray:
    """Grow (pixels > 0) or shrink (pixels < 0) a bool mask by a disc of |pixels|."""
    m = np.asarray(mask, bool)
    if pixels == 0:
        return m.copy()
    u8 = m.astype(np.uint8)
    op = cv2.MORPH_DILATE if pixels > 0 else cv2.MORPH_ERODE
    return _morph(u8, op, abs(int(pixels))).astype(bool)


def shift_alpha(alpha: np.ndarray, pixels: int) -> np.ndarray:
    """Grey-level grow/shrink of a soft alpha (max/min filter over a disc)."""
    a = np.asarray(alpha, np.float32)
    if pixels == 0:
        return a.copy()
    op = cv2.MORPH_DILATE if pixels > 0 else cv2.MORPH_ERODE
    return _morph(a, op, abs(int(pixels)))


def smooth_mask(mask: np.ndarray, radius: float) -> np.ndarray:
    """Round off jagged outlines: blur the mask and re-threshold at one half.

    Keeps the area roughly the same (unlike opening/closing) and removes specks
    and notches smaller than about `radius` pixels.
    """
    m = np.asarray(mask, bool)
    if radius <= 0 or not m.any():
        return m.copy()
    sigma = float(radius) / 2.0
    blurred = cv2.GaussianBlur(m.astype(np.float32), (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    return blurred >= 0.5


def feather(alpha: np.ndarray, radius: float) -> np.ndarray:
    """Soften an alpha matte: Gaussian blur with sigma = radius / 2 (radius 0 = unchanged)."""
    a = np.asarray(alpha, np.float32)
    if radius <= 0:
        return a.copy()
    out = cv2.GaussianBlur(a, (0, 0), float(radius) / 2.0, borderType=cv2.BORDER_REPLICATE)
    return np.clip(out, 0.0, 1.0)


def default_band(shape: tuple[int, int]) -> int:
    """Half-width of the unknown band for an image: ~1% of the short side, at least 3 px."""
    return max(3, round(0.01 * min(shape[:2])))


def trimap(mask: np.ndarray, band: int, unknown: np.ndarray | None = None) -> np.ndarray:
    """uint8 trimap: FOREGROUND inside the mask eroded by `band`, BACKGROUND outside it dilated
    by `band`, UNKNOWN in between and wherever `unknown` (e.g. a refine-brush region) is set."""
    m = np.asarray(mask, bool)
    band = max(1, int(band))
    fg = shift_mask(m, -band)
    grown = shift_mask(m, band)
    out = np.full(m.shape, UNKNOWN, np.uint8)
    out[fg] = FOREGROUND
    out[~grown] = BACKGROUND
    if unknown is not None:
        out[np.asarray(unknown, bool)] = UNKNOWN
    return out


def edge_band(mask: np.ndarray, width: int) -> np.ndarray:
    """Pixels within `width` of the mask outline (used for edge error measurements)."""
    m = np.asarray(mask, bool)
    return shift_mask(m, width) & ~shift_mask(m, -width)
