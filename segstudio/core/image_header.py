"""Read an image's format and size from its header, without decoding pixels.

Used to list large folders quickly and to refuse decompression bombs before
any memory is allocated.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}
FORMAT_EXTENSIONS = {
    "jpeg": {".jpg", ".jpeg"},
    "png": {".png"},
    "bmp": {".bmp"},
    "tiff": {".tif", ".tiff"},
    "webp": {".webp"},
}


MAX_SIDE = 2**31 - 1  # what decoders (and a 32-bit int) can address: larger is a damaged header


class HeaderError(ValueError):
    """The bytes are not a readable header of a supported image format."""


@dataclass(frozen=True)
class ImageHeader:
    """`width`/`height` are the *displayed* size: an EXIF orientation of 5-8 (a portrait phone
    photo stored landscape) swaps the stored size, as every viewer and our loader rotate it."""

    format: str
    width: int
    height: int
    orientation: int = 1  # EXIF orientation 1-8 (JPEG APP1 / TIFF tag 274); 1 elsewhere

    @property
    def pixels(self) -> int:
        return self.width * self.height


def sniff_format(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8"):
        return "jpeg"
    if head.startswith(b"BM"):
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):  # classic and BigTIFF
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def read_header(path: str | Path | None, data: bytes | None = None) -> ImageHeader:
    """Format and size from the header; raises HeaderError naming what is wrong.  Without a
    `path`, `data` must hold the header (nothing more can be read)."""
    if data is None:
        if path is None:
            raise ValueError("read_header needs a path or the data")
        with open(path, "rb") as f:
            data = f.read(65536)
    if not data:
        raise HeaderError("the file is empty (0 bytes)")
    fmt = sniff_format(data)
    if fmt is None:
        raise HeaderError(f"not a supported image (starts with {data[:8]!r})")
    try:
        w, h, *rest = _READERS[fmt](data, path)
    except HeaderError:
        raise
    except (struct.error, IndexError, OverflowError, ValueError) as e:
        # OverflowError/ValueError: a crafted offset no file can seek to
        raise HeaderError(f"truncated or damaged {fmt.upper()} header") from e
    if w <= 0 or h <= 0 or w > MAX_SIDE or h > MAX_SIDE:
        raise HeaderError(f"{fmt.upper()} header gives an invalid size {w}x{h}")
    orientation = rest[0] if rest and 1 <= rest[0] <= 8 else 1  # out-of-range values: ignored
    if orientation >= 5:  # transposed: the displayed image is the stored one turned a quarter
        w, h = h, w
    return ImageHeader(fmt, w, h, orientation)


def _exif_orientation(tiff: bytes) -> int:
    """Orientation (tag 0x0112) of IFD0 in a TIFF-structured EXIF block; 1 when absent or
    unreadable (a damaged EXIF never stops an image from loading)."""
    try:
        end = {b"II": "<", b"MM": ">"}[tiff[:2]]
        (ifd,) = struct.unpack(end + "I", tiff[4:8])
        (n,) = struct.unpack(end + "H", tiff[ifd : ifd + 2])
        for k in range(min(n, 1024)):
            e = tiff[ifd + 2 + 12 * k : ifd + 14 + 12 * k]
            tag, typ = struct.unpack(end + "HH", e[:4])
            if tag == 0x0112 and typ == 3:
                return struct.unpack(end + "H", e[8:10])[0]
    except (KeyError, struct.error, IndexError):
        pass
    return 1


def _png(data: bytes, path) -> tuple[int, int]:
    if data[12:16] != b"IHDR":
        raise HeaderError("PNG without an IHDR chunk")
    w, h = struct.unpack(">II", data[16:24])
    return w, h


def _bmp(data: bytes, path) -> tuple[int, int]:
    w, h = struct.unpack("<ii", data[18:26])
    return w, abs(h)


def _jpeg(data: bytes, path) -> tuple[int, int, int]:
    sof = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
    i = 2
    buf = data
    orientation = 1
    while True:
        if i + 4 > len(buf):
            buf = _more(path, buf)
            if i + 4 > len(buf):
                raise HeaderError("truncated JPEG: no frame header found")
        if buf[i] != 0xFF:
            raise HeaderError("damaged JPEG marker stream")
        marker = buf[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", buf[i + 2 : i + 4])
        if marker == 0xE1 and orientation == 1:  # APP1: EXIF (the first one counts)
            if i + 2 + length > len(buf):
                buf = _more(path, buf)
            seg = buf[i + 4 : i + 2 + length]
            if seg.startswith(b"Exif\x00\x00"):
                orientation = _exif_orientation(seg[6:])
        if marker in sof:
            if i + 9 > len(buf):
                buf = _more(path, buf)
            h, w = struct.unpack(">HH", buf[i + 5 : i + 9])
            return w, h, orientation
        if marker == 0xDA:
            raise HeaderError("JPEG without a frame header before the image data")
        i += 2 + length


def _more(path, buf: bytes) -> bytes:
    if path is None:
        return buf
    with open(path, "rb") as f:
        f.seek(len(buf))
        return buf + f.read(1 << 20)


def _read_at(path, data: bytes, offset: int, size: int) -> bytes:
    """`size` bytes at `offset`: from `data` when it holds them, else from the file."""
    if offset + size <= len(data) or path is None:
        return data[offset : offset + size]
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(size)


def _tiff(data: bytes, path) -> tuple[int, int, int]:
    # The first directory (IFD) may sit anywhere; libtiff writes it *after* the pixel data, so
    # in a big file it is read with a seek rather than from the header bytes.
    end = "<" if data[:2] == b"II" else ">"
    (version,) = struct.unpack(end + "H", data[2:4])
    if version == 43:  # BigTIFF: 64-bit offsets and counts, 20-byte entries
        (ifd,) = struct.unpack(end + "Q", data[8:16])
        count_fmt, entry_size, value_at = "Q", 20, 12
    else:
        (ifd,) = struct.unpack(end + "I", data[4:8])
        count_fmt, entry_size, value_at = "H", 12, 8
    count_size = struct.calcsize(count_fmt)
    (n,) = struct.unpack(end + count_fmt, _read_at(path, data, ifd, count_size))
    if n > 4096:
        raise HeaderError(f"TIFF directory at byte {ifd} claims {n} entries (damaged file)")
    entries = _read_at(path, data, ifd + count_size, entry_size * n)
    w = h = 0
    orientation = 1
    for k in range(n):
        e = entries[k * entry_size : (k + 1) * entry_size]
        tag, typ = struct.unpack(end + "HH", e[:4])
        if tag == 274 and typ == 3:  # Orientation (SHORT)
            (orientation,) = struct.unpack(end + "H", e[value_at : value_at + 2])
        if tag in (256, 257):  # ImageWidth, ImageLength: SHORT, LONG or (BigTIFF) LONG8
            fmt = {3: "H", 16: "Q"}.get(typ, "I")
            (val,) = struct.unpack(end + fmt, e[value_at : value_at + struct.calcsize(fmt)])
            if tag == 256:
                w = val
            else:
                h = val
    return w, h, orientation


def _webp(data: bytes, path) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8 ":
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L":
        b = data[21:25]
        w = 1 + (((b[1] & 0x3F) << 8) | b[0])
        h = 1 + (((b[3] & 0xF) << 10) | (b[2] << 2) | ((b[1] & 0xC0) >> 6))
        return w, h
    if chunk == b"VP8X":
        w = 1 + int.from_bytes(data[24:27], "little")
        h = 1 + int.from_bytes(data[27:30], "little")
        return w, h
    raise HeaderError(f"unknown WebP chunk {chunk!r}")


_READERS = {"png": _png, "bmp": _bmp, "jpeg": _jpeg, "tiff": _tiff, "webp": _webp}
