"""Compositing a cutout over preview backgrounds: checkerboard, solid colours, an image.

Pure numpy/OpenCV so the GUI preview, the CLI and the tests share it.  Colours
are RGB; images are uint8 HxWx3 (RGB) or HxWx4 (RGBA, straight alpha).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

BACKGROUND_MODES = ("checkerboard", "black", "white", "color", "image", "none")


@dataclass(frozen=True)
class PreviewBackground:
    """What to show behind the cutout.  mode "none" shows the original photo (the "before")."""

    mode: str = "checkerboard"
    color: tuple[int, int, int] = (0, 255, 0)
    image: np.ndarray | None = None  # RGB uint8, any size: scaled to cover and centre-cropped
    tile: int = 12

    def __post_init__(self) -> None:
        if self.mode not in BACKGROUND_MODES:
            raise ValueError(f"unknown preview background {self.mode!r}; expected one of {BACKGROUND_MODES}")
        if self.mode == "image" and self.image is None:
            raise ValueError("an image background needs an image")


def checkerboard(shape: tuple[int, int], tile: int = 12, light: int = 204, dark: int = 153) -> np.ndarray:
    """The usual transparency checkerboard, HxWx3 uint8."""
    h, w = shape[:2]
    tile = max(1, int(tile))
    yy = (np.arange(h) // tile)[:, None]
    xx = (np.arange(w) // tile)[None, :]
    board = np.where((yy + xx) % 2 == 0, light, dark).astype(np.uint8)
    return np.repeat(board[:, :, None], 3, axis=2)


def cover(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Scale `image` to cover `shape` (keeping its aspect ratio) and centre-crop to it."""
    h, w = shape[:2]
    ih, iw = image.shape[:2]
    s = max(h / ih, w / iw)
    nh, nw = max(h, round(ih * s)), max(w, round(iw * s))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(np.ascontiguousarray(image[..., :3]), (nw, nh), interpolation=interp)
    y0, x0 = (nh - h) // 2, (nw - w) // 2
    return np.ascontiguousarray(resized[y0 : y0 + h, x0 : x0 + w])


def background_image(bg: PreviewBackground, shape: tuple[int, int]) -> np.ndarray:
    h, w = shape[:2]
    if bg.mode == "checkerboard":
        return checkerboard((h, w), bg.tile)
    if bg.mode == "black":
        return np.zeros((h, w, 3), np.uint8)
    if bg.mode == "white":
        return np.full((h, w, 3), 255, np.uint8)
    if bg.mode == "color":
        return np.broadcast_to(np.asarray(bg.color, np.uint8), (h, w, 3)).copy()
    if bg.mode == "image":
        assert bg.image is not None
        img = bg.image if bg.image.ndim == 3 else np.repeat(bg.image[:, :, None], 3, axis=2)
        return cover(img, (h, w))
    raise ValueError(f"background mode {bg.mode!r} has no image")


def over(foreground: np.ndarray, alpha: np.ndarray, background: np.ndarray) -> np.ndarray:
    """alpha F + (1 - alpha) B in uint8 (alpha float in [0,1] or uint8)."""
    a = np.asarray(alpha)
    a = a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else np.clip(a.astype(np.float32), 0, 1)
    f = foreground[..., :3].astype(np.float32)
    b = background[..., :3].astype(np.float32)
    out = b + a[..., None] * (f - b)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def composite_rgba(rgba: np.ndarray, bg: PreviewBackground) -> np.ndarray:
    """Flatten a straight-alpha RGBA cutout over a preview background (HxWx3 uint8)."""
    back = background_image(bg, rgba.shape[:2])
    return over(rgba[..., :3], rgba[..., 3], back)


def preview_layer(rgba: np.ndarray, bg: PreviewBackground, original: np.ndarray | None = None) -> np.ndarray | None:
    """An opaque RGBA layer for the canvas: the cutout over `bg`, or None for mode "none"
    (the canvas then shows the untouched photo, i.e. the "before" view)."""
    if bg.mode == "none":
        return None
    flat = composite_rgba(rgba, bg)
    out = np.empty((*flat.shape[:2], 4), np.uint8)
    out[..., :3] = flat
    out[..., 3] = 255
    return out
