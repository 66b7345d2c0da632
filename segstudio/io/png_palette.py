"""Palette (indexed) PNG read/write without Pillow, for Pascal VOC label images.

OpenCV decodes palette PNGs to colours and cannot write them.  Writing: a minimal encoder
(IHDR colour type 3, PLTE, zlib IDAT with filter 0 per row).  Reading: OpenCV decodes the colours
and the PLTE chunk maps them back to indices (VOC palettes have distinct colours; a palette
with duplicate colours is refused rather than guessed).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np


def voc_palette(n: int = 256) -> np.ndarray:
    """The standard Pascal VOC colour map (bit-interleaved), n x 3 uint8 RGB."""
    pal = np.zeros((n, 3), np.uint8)
    for i in range(n):
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal[i] = (r, g, b)
    return pal


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_indexed(index: np.ndarray, palette: np.ndarray | None = None) -> bytes:
    """PNG bytes of a HxW uint8 index image with an RGB palette (default: VOC)."""
    idx = np.ascontiguousarray(index, np.uint8)
    h, w = idx.shape
    pal = voc_palette() if palette is None else np.asarray(palette, np.uint8)
    raw = np.zeros((h, w + 1), np.uint8)
    raw[:, 1:] = idx
    return b"".join((
        b"\x89PNG\r\n\x1a\n",
        _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0)),
        _chunk(b"PLTE", pal.tobytes()),
        _chunk(b"IDAT", zlib.compress(raw.tobytes(), 6)),
        _chunk(b"IEND", b""),
    ))


def read_palette(data: bytes) -> np.ndarray | None:
    """The PLTE chunk of PNG bytes as n x 3 RGB, or None if the PNG has no palette."""
    found = _palette_chunk(data)
    return None if found is None else found[0]


def _palette_chunk(data: bytes) -> tuple[np.ndarray, int, int, int] | None:
    """(palette n x 3, bit depth, start, end of the PLTE chunk) of an indexed PNG, else None."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("not a PNG file")
    pos = 8
    color_type = depth = None
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR" and len(body) >= 10:
            depth, color_type = body[8], body[9]
        elif kind == b"PLTE":
            if color_type != 3:
                return None  # a suggested palette of a truecolour image
            usable = len(body) - len(body) % 3
            return np.frombuffer(body[:usable], np.uint8).reshape(-1, 3), int(depth or 8), pos, pos + 12 + length
        elif kind in (b"IDAT", b"IEND"):
            return None
        pos += 12 + length
    return None


def read_label_png(path: str | Path, max_pixels: int | None = None) -> np.ndarray:
    """Class/instance indices of a label PNG: palette indices, or the gray values (8/16 bit).

    Raises ValueError naming the problem; a PNG of more than `max_pixels` (default: the image
    loader's decompression-bomb limit) is refused from its header, before decoding.  Palette
    indices are read exactly: the palette is swapped for one whose colour *is* the index, so
    indices beyond the file's palette (which decoders paint black) and palettes repeating a
    colour keep their true values.
    """
    from segstudio.core.image_header import HeaderError, read_header
    from segstudio.io.images import DEFAULT_MAX_PIXELS

    data = Path(path).read_bytes()
    try:
        head = read_header(None, data)
    except HeaderError as e:
        raise ValueError(str(e)) from None
    if head.format != "png":
        raise ValueError(f"a {head.format.upper()} file, expected a PNG label map")
    limit = DEFAULT_MAX_PIXELS if max_pixels is None else max_pixels
    if head.pixels > limit:
        raise ValueError(f"{head.width}x{head.height} = {head.pixels:,} pixels exceeds the limit of {limit:,}")
    found = _palette_chunk(data)
    if found is None:
        img = _decode(data, cv2.IMREAD_UNCHANGED)
        if img.ndim == 3:
            if not (img[..., 0] == img[..., 1]).all() or not (img[..., 1] == img[..., 2]).all():
                raise ValueError("a colour PNG without a palette; expected indexed or gray labels")
            img = img[..., 0]
        return img
    _, depth, start, end = found
    n = 1 << min(max(depth, 1), 8)
    identity = np.zeros((n, 3), np.uint8)
    identity[:, 0] = np.arange(n)  # red = index
    swapped = data[:start] + _chunk(b"PLTE", identity.tobytes()) + data[end:]
    bgr = _decode(swapped, cv2.IMREAD_COLOR)
    return np.ascontiguousarray(bgr[..., 2])


def _decode(data: bytes, flags: int) -> np.ndarray:
    try:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    except cv2.error:
        img = None
    if img is None:
        raise ValueError("not a readable PNG image")
    return img
