"""Rasterising LabelMe's vector shapes into masks exactly as LabelMe itself does.

LabelMe turns shapes into masks with PIL (`labelme.utils.shape_to_mask`): `polygon(outline=1,
fill=1)`, `rectangle(outline=1, fill=1)`, circles and points as `ellipse(outline=1, fill=1)`
(radius: the distance to the second point; 5 px for points), lines and line strips as
`line(width=10)`, all on the float vertices of the file.  PIL's rules for float vertices
(truncation toward zero, its own edge and ellipse algorithms) are not OpenCV's, so the shapes are
drawn with PIL itself (`segstudio.core.shape_raster`, which drawn shapes share).
"""

from __future__ import annotations

import base64
import math

import cv2
import numpy as np

from segstudio.core.shape_raster import (
    LINE_WIDTH,
    POINT_RADIUS,
    pil_disc,
    pil_line,
    pil_polygon,
    pil_rectangle,
)


def polygon(points, shape: tuple[int, int]) -> np.ndarray:
    return pil_polygon(points, shape)


def rectangle(points, shape: tuple[int, int]) -> np.ndarray:
    return pil_rectangle(points, shape)


def circle(points, shape: tuple[int, int]) -> np.ndarray:
    (cx, cy), (px, py) = np.asarray(points, np.float64).reshape(-1, 2)[:2].tolist()
    return disc(cx, cy, math.sqrt((cx - px) ** 2 + (cy - py) ** 2), shape)


def disc(cx: float, cy: float, r: float, shape: tuple[int, int]) -> np.ndarray:
    return pil_disc(cx, cy, r, shape)


def point(points, shape: tuple[int, int], radius: float = POINT_RADIUS) -> np.ndarray:
    cx, cy = np.asarray(points, np.float64).reshape(-1, 2)[0].tolist()
    return disc(cx, cy, radius, shape)


def line(points, shape: tuple[int, int], width: int = LINE_WIDTH) -> np.ndarray:
    return pil_line(points, shape, width)


def png_b64(mask: np.ndarray) -> str:
    ok, buf = cv2.imencode(".png", np.asarray(mask, np.uint8) * 255)
    if not ok:
        raise ValueError("PNG encoding failed")
    return base64.b64encode(buf.tobytes()).decode("ascii")


def png_b64_to_mask(text: str) -> np.ndarray:
    """Decode a base64 PNG (any depth/channels) to a boolean mask; ValueError if unreadable."""
    try:
        raw = base64.b64decode(text, validate=False)
    except (ValueError, TypeError) as e:
        raise ValueError(f"not base64 ({e})") from None
    img = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError("not a readable PNG image")
    if img.ndim == 3:
        img = img[..., :3].max(axis=2) if img.shape[2] >= 3 else img[..., 0]
    return img != 0
