"""Loading images for annotation: every format and bit depth users bring, with clear errors.

The data is kept as decoded (16-bit and grayscale stay 16-bit and grayscale); a
display window maps it to 8-bit for the screen without changing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from segstudio.core.image_header import FORMAT_EXTENSIONS, HeaderError, read_header
from segstudio.io.errors import FileProblem

DEFAULT_MAX_PIXELS = 250_000_000  # ~ a 16k x 16k image; configurable per call


class ImageLoadError(FileProblem):
    """An image could not be loaded; the message names the file and the problem."""


@dataclass
class LoadedImage:
    path: Path
    data: np.ndarray  # HxW (gray) or HxWx3 (RGB) or HxWx4 (RGBA); uint8 / uint16 / float32
    format: str
    notes: list[str] = field(default_factory=list)

    @property
    def height(self) -> int:
        return int(self.data.shape[0])

    @property
    def width(self) -> int:
        return int(self.data.shape[1])

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    @property
    def is_gray(self) -> bool:
        return self.data.ndim == 2

    def rgb8(self, window: tuple[float, float] | None = None) -> np.ndarray:
        """HxWx3 uint8 for display or for models expecting 8-bit RGB."""
        return to_rgb8(self.data, window)


def load_image(path: str | Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> LoadedImage:
    """Decode an image file.  Raises ImageLoadError (never anything else) on bad input."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ImageLoadError(p, "file not found") from None
    except IsADirectoryError:
        raise ImageLoadError(p, "is a folder, not an image") from None
    except OSError as e:
        raise ImageLoadError(p, f"cannot read: {e.strerror or e}") from None
    return decode_image_bytes(raw, p, max_pixels=max_pixels)


def decode_image_bytes(
    raw: bytes, path: str | Path = "<memory>", *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> LoadedImage:
    p = Path(path)
    notes: list[str] = []
    try:
        header = read_header(None, raw)  # all bytes: a TIFF's directory may be at the end
    except HeaderError as e:
        raise ImageLoadError(p, str(e)) from None
    ext = p.suffix.lower()
    if ext and ext not in FORMAT_EXTENSIONS[header.format]:
        notes.append(f"named {ext} but the file is {header.format.upper()}")
    if header.pixels > max_pixels:
        raise ImageLoadError(
            p,
            f"{header.width}x{header.height} = {header.pixels:,} pixels exceeds the limit of "
            f"{max_pixels:,} (decompression-bomb guard; raise max_pixels to open it)",
        )
    buf = np.frombuffer(raw, np.uint8)
    # ANYDEPTH|ANYCOLOR keeps 16-bit and grayscale.  EXIF orientation is applied here, from
    # the header, not by OpenCV (whose versions differ per format; its TIFF decoder turns the
    # pixels whatever the flags): the pixels always have the size `read_header` reports and
    # the project stores.
    flags = cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR | cv2.IMREAD_IGNORE_ORIENTATION
    if header.format == "tiff":
        data, n_pages = _decode_tiff(buf, flags)
        if n_pages > 1:
            notes.append(f"multi-page TIFF: showing page 1 of {n_pages}")
    else:
        if header.format in ("png", "webp"):
            flags = cv2.IMREAD_UNCHANGED  # keep alpha; their EXIF orientation is not applied
        data = cv2.imdecode(buf, flags)
    if data is None:
        raise ImageLoadError(p, f"truncated or corrupt {header.format.upper()} data")
    if header.format != "tiff" or (data.shape[1], data.shape[0]) != (header.width, header.height):
        data = apply_orientation(data, header.orientation)  # OpenCV turns TIFFs itself (>= 5.x)
    if (data.shape[1], data.shape[0]) != (header.width, header.height):
        raise ImageLoadError(p, "decoded size does not match the header (damaged file)")
    if header.format == "jpeg" and _jpeg_truncated(raw):
        notes.append("JPEG data ends early: the bottom of the image may be grey")
    return LoadedImage(p, _to_rgb_order(data), header.format, notes)


def _decode_tiff(buf: np.ndarray, flags: int) -> tuple[np.ndarray | None, int]:
    ok, pages = cv2.imdecodemulti(buf, flags)
    if not ok or not pages:
        return None, 0
    return pages[0], len(pages)


def apply_orientation(data: np.ndarray, orientation: int) -> np.ndarray:
    """The stored pixels as displayed under EXIF `orientation` (1-8; 1: unchanged)."""
    if orientation in (2, 3, 4):
        data = {2: data[:, ::-1], 3: data[::-1, ::-1], 4: data[::-1]}[orientation]
    elif orientation in (5, 6, 7, 8):
        data = np.swapaxes(data, 0, 1)  # 5: transpose
        if orientation == 6:  # rotate 90° clockwise = transpose, then mirror left-right
            data = data[:, ::-1]
        elif orientation == 7:  # transverse = rotate 180° of a transpose
            data = data[::-1, ::-1]
        elif orientation == 8:  # rotate 90° counter-clockwise = transpose, then flip
            data = data[::-1]
    else:
        return data
    return np.ascontiguousarray(data)


def _jpeg_truncated(raw: bytes) -> bool:
    return not raw.rstrip(b"\x00").endswith(b"\xff\xd9")


def _to_rgb_order(data: np.ndarray) -> np.ndarray:
    if data.ndim == 3 and data.shape[2] == 1:
        return data[:, :, 0]
    if data.ndim == 3 and data.shape[2] == 3:
        return cv2.cvtColor(data, cv2.COLOR_BGR2RGB)
    if data.ndim == 3 and data.shape[2] == 4:
        return cv2.cvtColor(data, cv2.COLOR_BGRA2RGBA)
    return data


def display_window(data: np.ndarray, mode: str = "auto", percentile: float = 0.5) -> tuple[float, float]:
    """Intensity window (lo, hi) for display: full range for 8-bit, else min/max or percentiles."""
    if mode == "auto":
        if data.dtype == np.uint8:
            return (0.0, 255.0)
        mode = "percentile"
    sample = data if data.size <= 4_000_000 else data[:: max(1, data.shape[0] // 1000), :: max(1, data.shape[1] // 1000)]
    if sample.ndim == 3:
        sample = sample[..., :3]
    if mode == "minmax":
        lo, hi = float(sample.min()), float(sample.max())
    elif mode == "percentile":
        lo, hi = (float(v) for v in np.percentile(sample, [percentile, 100 - percentile]))
    else:
        raise ValueError(f"unknown window mode {mode!r}")
    if hi <= lo:
        hi = lo + 1.0
    return (lo, hi)


def to_rgb8(data: np.ndarray, window: tuple[float, float] | None = None) -> np.ndarray:
    """Map any image to HxWx3 uint8 through a window (default: full range of 8-bit, auto otherwise)."""
    if data.ndim == 3 and data.shape[2] == 4:
        data = data[..., :3]
    if data.dtype == np.uint8 and window in (None, (0.0, 255.0)):
        out = data
    else:
        lo, hi = window if window is not None else display_window(data)
        scale = 255.0 / (hi - lo)
        out = np.clip((data.astype(np.float32) - lo) * scale, 0, 255).astype(np.uint8)
    if out.ndim == 2:
        out = np.repeat(out[:, :, None], 3, axis=2)
    return np.ascontiguousarray(out)
