"""Coordinates and sizes read from annotation files, checked before any rasteriser sees them.

Every coordinate must be a finite number (`finite`: the error names the element) and every
declared image size positive and within the image loader's limit (`check_image_size`).  Far
polygons are clipped by the rasterisers themselves (`segstudio.core.polygon_clip`, re-exported
here); shapes reaching outside the image are reported (`reaches_outside`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from segstudio.core.polygon_clip import clip_polygon, far_window, tame_polygon, within
from segstudio.io.errors import FormatError

__all__ = ["REACHES_OUTSIDE", "check_image_size", "clip_polygon", "far_window", "finite",
           "reaches_outside", "tame_polygon", "within"]

OUTSIDE_TOLERANCE = 1.0  # px: vertices on the image border (COCO writes x = W) are inside
REACHES_OUTSIDE = "shapes reaching outside the image (the part outside dropped)"


def finite(values: Any, file: str | Path, where: str, columns: int = 0) -> np.ndarray:
    """`values` (a list of numbers, or of [x, y] pairs when columns=2) as float64; anything
    else, NaN or infinity is a FormatError naming the file and the offending element."""
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        what = "[[x, y], ...] numbers" if columns == 2 else "an array of numbers"
        raise FormatError(file, f"coordinates must be {what}", where) from None
    if columns == 2 and (a.ndim != 2 or a.shape[1] != 2):
        if a.size % 2 or a.ndim > 2:
            raise FormatError(file, "coordinates must be [[x, y], ...] numbers", where)
        a = a.reshape(-1, 2)
    elif columns == 0 and a.ndim != 1:
        raise FormatError(file, "coordinates must be an array of numbers", where)
    if not np.isfinite(a).all():
        k = int(np.flatnonzero(~np.isfinite(a.ravel()))[0])
        at = f"{where}[{k // 2}][{k % 2}]" if columns == 2 else f"{where}[{k}]"
        raise FormatError(file, f"coordinate {a.ravel()[k]} is not a finite number", at)
    return a


def check_image_size(width: Any, height: Any, file: str | Path, where: str) -> None:
    """A declared image size: positive, and no bigger than the images SegStudio opens (the
    decompression-bomb limit), so no reader allocates for a 100000x100000 claim."""
    from segstudio.io.images import DEFAULT_MAX_PIXELS

    if width <= 0 or height <= 0:
        raise FormatError(file, f"image size {width}x{height} is not positive", where)
    if width * height > DEFAULT_MAX_PIXELS:
        raise FormatError(file, f"image size {width}x{height} = {width * height:,} pixels exceeds the "
                          f"limit of {DEFAULT_MAX_PIXELS:,}", where)


def reaches_outside(pts: np.ndarray, shape: tuple[int, int]) -> bool:
    h, w = shape
    t = OUTSIDE_TOLERANCE
    return not within(pts, (-t, -t, w + t, h + t))
