"""Rasterising LabelMe's vector shapes into masks exactly as LabelMe itself does.

LabelMe turns shapes into masks with PIL (`labelme.utils.shape_to_mask`): `polygon(outline=1,
fill=1)`, `rectangle(outline=1, fill=1)`, circles and points as `ellipse(outline=1, fill=1)`
(radius: the distance to the second point; 5 px for points), lines and line strips as
`line(width=10)`, all on the float vertices of the file.  PIL's rules for float vertices
(truncation toward zero, its own edge and ellipse algorithms) are not OpenCV's, so the shapes are
drawn with PIL itself (`segstudio.core.shape_raster`, which drawn shapes share), each shape
over its box on one canvas per file (`Canvas`).  Coordinates are checked and tamed before they
get here (`segstudio.io.coords`).
"""

from __future__ import annotations

import base64
import math

import cv2
import numpy as np

from segstudio.core.masks import MaskPatch
from segstudio.core.shape_raster import (
    LINE_WIDTH,
    POINT_RADIUS,
    PilCanvas,
    pil_disc,
    pil_line,
    pil_polygon,
    pil_rectangle,
)

Canvas = PilCanvas  # one per file: shapes are drawn on it and cost their box


def polygon(points, canvas: PilCanvas) -> MaskPatch:
    return pil_polygon(points, canvas)


def rectangle(points, canvas: PilCanvas) -> MaskPatch:
    return pil_rectangle(points, canvas)


def circle(points, canvas: PilCanvas) -> MaskPatch:
    (cx, cy), (px, py) = np.asarray(points, np.float64).reshape(-1, 2)[:2].tolist()
    return disc(cx, cy, math.sqrt((cx - px) ** 2 + (cy - py) ** 2), canvas)


def disc(cx: float, cy: float, r: float, canvas: PilCanvas) -> MaskPatch:
    return pil_disc(cx, cy, r, canvas)


def point(points, canvas: PilCanvas, radius: float = POINT_RADIUS) -> MaskPatch:
    cx, cy = np.asarray(points, np.float64).reshape(-1, 2)[0].tolist()
    return disc(cx, cy, radius, canvas)


def line(points, canvas: PilCanvas, width: int = LINE_WIDTH) -> MaskPatch:
    return pil_line(points, canvas, width)


def png_b64(mask: np.ndarray) -> str:
    ok, buf = cv2.imencode(".png", np.asarray(mask, np.uint8) * 255)
    if not ok:
        raise ValueError("PNG encoding failed")
    return base64.b64encode(buf.tobytes()).decode("ascii")


def png_b64_to_mask(text: str, max_pixels: int) -> np.ndarray:
    """Decode a base64 PNG (any depth/channels) to a boolean mask; ValueError if unreadable or
    bigger than `max_pixels` (checked on the header, before anything is decoded)."""
    from segstudio.core.image_header import HeaderError, read_header

    try:
        raw = base64.b64decode(text, validate=False)
    except (ValueError, TypeError) as e:
        raise ValueError(f"not base64 ({e})") from None
    try:
        head = read_header(None, raw)
    except HeaderError as e:
        raise ValueError(f"not a readable PNG image ({e})") from None
    if head.pixels > max_pixels:
        raise ValueError(f"a {head.width}x{head.height} bitmap is bigger than the image")
    try:
        img = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        img = None
    if img is None:
        raise ValueError("not a readable PNG image")
    if img.ndim == 3:
        img = img[..., :3].max(axis=2) if img.shape[2] >= 3 else img[..., 0]
    return img != 0
