"""Label Studio's brush RLE: thi.ng's `rle-pack` over the RGBA pixels of the brush layer.

A stream of bits, most significant first: the value count (32 bits), the word size - 1
(5 bits), four run-length field sizes - 1 (4 bits each), then blocks of: a flag bit (1: one
value repeated, 0: literal values), a 2-bit index into the field sizes, the block length - 1
in that many bits, then one value (repeat) or that many values (literal), each word-size bits.
Padded with zeros to whole bytes; Label Studio stores the bytes as a JSON list of ints.  The
mask is the alpha channel (every 4th value) of the H x W x 4 array.

Written from the format's description; `label_studio_converter.brush` (the reference) reads
what this writes and vice versa (tests/unit/io/test_label_studio.py).
"""

from __future__ import annotations

import numpy as np

SIZES = (3, 4, 8, 16)  # run-length field widths, as Label Studio's own encoder uses
WORD = 8


class BrushRleError(ValueError):
    pass


def encode(mask: np.ndarray, value: int = 255) -> list[int]:
    """Brush RLE of a boolean H x W mask: RGBA all `value` where the mask is set."""
    flat = np.ascontiguousarray(mask, dtype=bool).ravel()
    n = flat.size * 4
    if flat.size:
        change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
        starts = np.concatenate([[0], change])
        lengths = np.diff(np.concatenate([starts, [flat.size]])) * 4  # 4 channels per pixel
        values = np.where(flat[starts], value, 0).astype(np.int64)
    else:
        lengths = values = np.zeros(0, np.int64)
    # split runs longer than the widest field allows
    limit = 1 << SIZES[-1]
    reps = (lengths + limit - 1) // limit
    chunk_vals = np.repeat(values, reps)
    chunk_len = np.full(int(reps.sum()), limit, np.int64)
    ends = np.cumsum(reps) - 1
    chunk_len[ends] = lengths - (reps - 1) * limit
    # every chunk is a repeat block: flag, size index, length - 1, value
    idx = np.searchsorted(np.array([1 << s for s in SIZES]), chunk_len, side="left")
    widths_len = np.array(SIZES, np.int64)[idx]
    k = len(chunk_len)
    fields_w = np.empty(4 * k, np.int64)
    fields_v = np.empty(4 * k, np.int64)
    fields_w[0::4], fields_v[0::4] = 1, 1
    fields_w[1::4], fields_v[1::4] = 2, idx
    fields_w[2::4], fields_v[2::4] = widths_len, chunk_len - 1
    fields_w[3::4], fields_v[3::4] = WORD, chunk_vals
    head_w = np.array([32, 5, 4, 4, 4, 4], np.int64)
    head_v = np.array([n, WORD - 1, *(s - 1 for s in SIZES)], np.int64)
    return _pack(np.concatenate([head_w, fields_w]), np.concatenate([head_v, fields_v]))


def _pack(widths: np.ndarray, values: np.ndarray) -> list[int]:
    total = int(widths.sum())
    owner = np.repeat(np.arange(len(widths)), widths)
    start = np.cumsum(widths) - widths
    offset = np.arange(total) - start[owner]
    bits = (values[owner] >> (widths[owner] - 1 - offset)) & 1
    return np.packbits(bits.astype(np.uint8)).tolist()


def decode(data, height: int, width: int) -> np.ndarray:
    """The H x W mask (alpha != 0) of a brush RLE; BrushRleError when it does not fit."""
    try:
        raw = np.asarray(data, dtype=np.int64)
    except (TypeError, ValueError, OverflowError):  # strings, infinity, ints beyond 64 bits
        raise BrushRleError("rle must be a list of byte values (0-255)") from None
    if raw.ndim != 1 or ((raw < 0) | (raw > 255)).any():
        raise BrushRleError("rle must be a list of byte values (0-255)")
    bits = np.unpackbits(raw.astype(np.uint8))
    pos = 0

    def read(w: int) -> int:
        nonlocal pos
        if pos + w > bits.size:
            raise BrushRleError("rle ends in the middle of a block")
        chunk = bits[pos:pos + w]
        pos += w
        return int(chunk.dot(1 << np.arange(w - 1, -1, -1, dtype=np.int64))) if w else 0

    n = read(32)
    if n != height * width * 4:
        raise BrushRleError(f"rle holds {n} values, expected {height}x{width}x4 = {height * width * 4}")
    word = read(5) + 1
    sizes = [read(4) + 1 for _ in range(4)]
    out = np.zeros(n, np.uint8 if word <= 8 else np.uint32)  # 4 values a pixel: keep them small
    i = 0
    weights = 1 << np.arange(word - 1, -1, -1, dtype=np.int64)
    while i < n:
        repeat = read(1)
        j = i + 1 + read(sizes[read(2)])
        if j > n:
            raise BrushRleError(f"a run goes past the {n} values")
        if repeat:
            out[i:j] = read(word)
        else:
            count = j - i
            if pos + count * word > bits.size:
                raise BrushRleError("rle ends in the middle of a block")
            out[i:j] = bits[pos:pos + count * word].reshape(count, word).dot(weights)
            pos += count * word
        i = j
    return out.reshape(height, width, 4)[:, :, 3] != 0
