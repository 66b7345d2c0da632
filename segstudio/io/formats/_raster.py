"""Rasterising LabelMe's vector shapes into masks exactly as LabelMe itself does.

LabelMe turns shapes into masks with PIL (`labelme.utils.shape_to_mask`): `polygon(outline=1,
fill=1)`, `rectangle(outline=1, fill=1)`, circles and points as `ellipse(outline=1, fill=1)`
(radius: the distance to the second point; 5 px for points), lines and line strips as
`line(width=10)`, all on the float vertices of the file.  PIL's rules for float vertices
(truncation toward zero, its own edge and ellipse algorithms) are not OpenCV's, so the shapes are
drawn with PIL itself, on a full-size canvas (a shifted one would truncate negative coordinates
differently).  PIL is imported on first use: it costs ~25 ms, not worth paying at start-up.
"""

from __future__ import annotations

import base64
import math

import cv2
import numpy as np

LINE_WIDTH = 10  # LabelMe's shape_to_mask defaults
POINT_RADIUS = 5


def _draw(shape: tuple[int, int], paint) -> np.ndarray:
    """A boolean mask of `shape` (h, w) with `paint(ImageDraw)` applied to a blank canvas."""
    from PIL import Image, ImageDraw

    h, w = shape
    img = Image.new("L", (w, h), 0)
    paint(ImageDraw.Draw(img))
    return np.asarray(img, dtype=bool)


def _xy(points) -> list[tuple[float, float]]:
    """Vertices as Python floats, what LabelMe hands to PIL (`[tuple(p) for p in points]`)."""
    return [(float(x), float(y)) for x, y in np.asarray(points, np.float64).reshape(-1, 2).tolist()]


def polygon(points, shape: tuple[int, int]) -> np.ndarray:
    xy = _xy(points)
    if len(xy) >= 3:
        return _draw(shape, lambda d: d.polygon(xy, outline=1, fill=1))
    return _draw(shape, lambda d: d.line(xy, fill=1, width=1))  # degenerate: its outline


def rectangle(points, shape: tuple[int, int]) -> np.ndarray:
    (x0, y0), (x1, y1) = _xy(points)[:2]
    # LabelMe passes the two corners as drawn; PIL wants them ordered (newer PIL refuses others)
    box = [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]
    return _draw(shape, lambda d: d.rectangle(box, outline=1, fill=1))


def circle(points, shape: tuple[int, int]) -> np.ndarray:
    (cx, cy), (px, py) = _xy(points)[:2]
    return disc(cx, cy, math.sqrt((cx - px) ** 2 + (cy - py) ** 2), shape)


def disc(cx: float, cy: float, r: float, shape: tuple[int, int]) -> np.ndarray:
    box = [cx - r, cy - r, cx + r, cy + r]
    return _draw(shape, lambda d: d.ellipse(box, outline=1, fill=1))


def point(points, shape: tuple[int, int], radius: float = POINT_RADIUS) -> np.ndarray:
    cx, cy = _xy(points)[0]
    return disc(cx, cy, radius, shape)


def line(points, shape: tuple[int, int], width: int = LINE_WIDTH) -> np.ndarray:
    xy = _xy(points)
    return _draw(shape, lambda d: d.line(xy, fill=1, width=width))


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
