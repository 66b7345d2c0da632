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
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("not a PNG file")
    pos = 8
    color_type = None
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            color_type = body[9]
        elif kind == b"PLTE":
            if color_type != 3:
                return None  # a suggested palette of a truecolour image
            return np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif kind in (b"IDAT", b"IEND"):
            return None
        pos += 12 + length
    return None


def read_label_png(path: str | Path) -> np.ndarray:
    """Class/instance indices of a label PNG: palette indices, or the gray values (8/16 bit).

    Raises ValueError naming the problem.
    """
    data = Path(path).read_bytes()
    pal = read_palette(data)
    buf = np.frombuffer(data, np.uint8)
    if pal is None:
        img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
        if img is None:
            raise ValueError("not a readable PNG image")
        if img.ndim == 3:
            if not (img[..., 0] == img[..., 1]).all() or not (img[..., 1] == img[..., 2]).all():
                raise ValueError("a colour PNG without a palette; expected indexed or gray labels")
            img = img[..., 0]
        return img
    rgb = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if rgb is None:
        raise ValueError("not a readable PNG image")
    key_pal = (pal[:, 0].astype(np.int64) << 16) | (pal[:, 1].astype(np.int64) << 8) | pal[:, 2]
    uniq, first = np.unique(key_pal, return_index=True)
    key = (rgb[..., 2].astype(np.int64) << 16) | (rgb[..., 1].astype(np.int64) << 8) | rgb[..., 0]
    pos = np.searchsorted(uniq, key)
    pos = np.clip(pos, 0, len(uniq) - 1)
    if not (uniq[pos] == key).all():
        raise ValueError("pixel colours outside the palette")
    out = first[pos]
    used = np.unique(out)
    dup = [int(i) for i in used if (key_pal == key_pal[i]).sum() > 1]
    if dup:
        raise ValueError(f"palette entries {dup[:5]} share a colour; indices are ambiguous")
    return out.astype(np.uint8 if len(pal) <= 256 else np.uint16)
