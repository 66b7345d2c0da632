"""Writing cutouts: RGBA PNG / WebP (straight alpha), the alpha matte, cropping to the subject.

Files are written atomically (a temporary file in the target folder, then a
rename), so an interrupted export never leaves a half-written image, and a
target that is one of the inputs is refused.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import cv2
import numpy as np

FORMATS = ("png", "webp")


class ExportError(Exception):
    """A cutout could not be written; the message names the file and the problem."""


def alpha_to_u8(alpha: np.ndarray) -> np.ndarray:
    a = np.asarray(alpha)
    if a.dtype == np.uint8:
        return a
    return np.clip(np.rint(a.astype(np.float32) * 255.0), 0, 255).astype(np.uint8)


def make_rgba(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """HxWx4 uint8 straight-alpha image from RGB uint8 colours and a float/uint8 alpha."""
    if rgb.shape[:2] != alpha.shape[:2]:
        raise ValueError(f"colour {rgb.shape[:2]} and alpha {alpha.shape[:2]} sizes differ")
    rgb = np.ascontiguousarray(rgb[..., :3], np.uint8)
    return cv2.merge([rgb[..., 0], rgb[..., 1], rgb[..., 2], alpha_to_u8(alpha)])


def subject_box(alpha: np.ndarray, margin: int = 0, threshold: int = 0) -> tuple[int, int, int, int] | None:
    """(x, y, w, h) of the pixels whose 8-bit alpha exceeds `threshold`, grown by `margin`
    on every side and clipped to the image; None if nothing is visible."""
    a8 = alpha_to_u8(alpha)
    visible = a8 > threshold
    rows = np.flatnonzero(visible.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(visible.any(axis=0))
    h, w = a8.shape[:2]
    m = max(0, int(margin))
    y0, y1 = max(0, int(rows[0]) - m), min(h, int(rows[-1]) + 1 + m)
    x0, x1 = max(0, int(cols[0]) - m), min(w, int(cols[-1]) + 1 + m)
    return (x0, y0, x1 - x0, y1 - y0)


def crop_to_subject(rgba: np.ndarray, margin: int = 0) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The cutout cropped to its visible pixels plus `margin`; an empty cutout stays whole."""
    box = subject_box(rgba[..., 3], margin)
    if box is None:
        return rgba, (0, 0, rgba.shape[1], rgba.shape[0])
    x, y, w, h = box
    return np.ascontiguousarray(rgba[y : y + h, x : x + w]), box


def encode(rgba_or_gray: np.ndarray, fmt: str, quality: int | None = None) -> bytes:
    """Encode RGB(A)/grey uint8 (RGB order) as PNG or WebP.  WebP is lossless with exact colours
    unless `quality` (1-100) asks for lossy colour; its alpha stays lossless either way."""
    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ExportError(f"unsupported cutout format {fmt!r}; expected one of {FORMATS}")
    img = np.asarray(rgba_or_gray)
    if img.dtype != np.uint8:
        raise ExportError("cutouts are written as 8-bit images")
    if img.ndim == 3 and img.shape[2] == 4:
        bgr = cv2.cvtColor(img, cv2.COLOR_RGBA2BGRA)
    elif img.ndim == 3 and img.shape[2] == 3:
        bgr = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    else:
        bgr = img
    if fmt == "png":
        params = [cv2.IMWRITE_PNG_COMPRESSION, 6]
    elif quality is None:
        params = [cv2.IMWRITE_WEBP_LOSSLESS_MODE, cv2.IMWRITE_WEBP_LOSSLESS_PRESERVE_COLOR]
    else:
        params = [cv2.IMWRITE_WEBP_QUALITY, int(np.clip(quality, 1, 100))]
    ok, buf = cv2.imencode("." + fmt, bgr, params)
    if not ok:
        raise ExportError(f"OpenCV could not encode a {fmt.upper()} image of shape {img.shape}")
    return buf.tobytes()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, data: bytes) -> None:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as e:
        raise ExportError(f"{path}: cannot write ({e.strerror or e})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ExportError(f"{path}: cannot write ({e.strerror or e})") from None


def save_cutout(path: str | Path, rgba: np.ndarray, fmt: str | None = None, quality: int | None = None) -> Path:
    """Write an RGBA cutout; the format comes from `fmt` or the file extension."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    write_atomic(path, encode(rgba, fmt, quality))
    return path


def save_matte(path: str | Path, alpha: np.ndarray) -> Path:
    """Write the alpha matte as an 8-bit greyscale PNG (white = opaque)."""
    path = Path(path)
    write_atomic(path, encode(alpha_to_u8(alpha), "png"))
    return path
