"""Vectorised COCO RLE over many masks at once: the fast path of COCO import and export.

Calling pycocotools once per instance costs a full-image decode (~1 MB for 1024x768) per
mask; at 200,000 instances that alone would be minutes.  Here every RLE of a file is
handled as one concatenated numpy array of run lengths (`Runs`), so the per-instance Python
cost is a slice.  Three operations:

* `decode_strings` / `encode_strings`: the compressed COCO string form (LEB128-like 5-bit
  chunks, counts after the third stored as deltas to the count two before), both ways;
* `image_to_patches`: full-image RLE -> tight box + RLE over the box (what the store keeps);
* `patches_to_image`: the inverse, for export.

Outputs are canonical (no empty runs except a leading background run), i.e. byte-identical to
`pycocotools.mask.encode` of the same mask; the property tests check this against pycocotools.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np


@dataclass
class Runs:
    """Run lengths of n RLEs: RLE i is values[offsets[i]:offsets[i+1]] (bg, fg, bg, ...)."""

    values: np.ndarray  # int64
    offsets: np.ndarray  # int64, n + 1

    @property
    def n(self) -> int:
        return len(self.offsets) - 1

    def owner(self) -> np.ndarray:
        """Index of the RLE each value belongs to."""
        return np.repeat(np.arange(self.n), np.diff(self.offsets))

    def get(self, i: int) -> list[int]:
        return self.values[self.offsets[i] : self.offsets[i + 1]].tolist()

    def sums(self) -> np.ndarray:
        return _segment_sum(self.values, self.offsets)


def _segment_sum(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Sum of each segment values[offsets[i]:offsets[i+1]] (reduceat: one cheap pass)."""
    sums = np.zeros(offsets.size - 1, np.int64)
    o = offsets[:-1]
    full = offsets[1:] > o  # reduceat needs increasing starts: empty segments stay 0
    if full.any():
        sums[full] = np.add.reduceat(values, o[full])
    return sums


def from_lists(lists: Sequence[Sequence[int]]) -> Runs:
    lens = np.fromiter((len(x) for x in lists), np.int64, len(lists))
    offsets = np.concatenate(([0], np.cumsum(lens)))
    flat = [v for x in lists for v in x]
    values = np.asarray(flat, dtype=np.int64) if flat else np.zeros(0, np.int64)
    return Runs(values, offsets)


class RleStringError(ValueError):
    def __init__(self, index: int, problem: str) -> None:
        super().__init__(problem)
        self.index = index

    def __reduce__(self):  # picklable: it travels back from worker processes
        return RleStringError, (self.index, str(self))


def decode_strings(strings: Sequence[str] | Sequence[bytes]) -> Runs:
    """Counts of compressed COCO RLE strings; RleStringError names the first bad one."""
    n = len(strings)
    if n == 0:
        return Runs(np.zeros(0, np.int64), np.zeros(1, np.int64))
    if isinstance(strings[0], bytes):
        joined = b"".join(cast(Sequence[bytes], strings))
    else:
        text = cast(Sequence[str], strings)
        try:
            joined = "".join(text).encode("ascii")
        except UnicodeEncodeError:
            bad = next(i for i, s in enumerate(text) if not s.isascii())
            raise RleStringError(bad, "RLE counts string has non-ASCII characters") from None
    lens = np.fromiter(map(len, strings), np.int64, n)
    char_off = np.zeros(n + 1, np.int64)
    np.cumsum(lens, out=char_off[1:])
    # chunk values 0..63; characters below '0' wrap around to >= 208 in uint8
    c = np.frombuffer(joined, np.uint8) - np.uint8(48)
    if c.size and c.max() > 63:
        pos = int(np.flatnonzero(c > 63)[0])
        raise RleStringError(_owner_of(char_off, pos), "RLE counts string has invalid characters")
    term = c < 32  # no continuation bit: the last chunk of a number
    nonempty = lens > 0
    last = char_off[1:][nonempty] - 1
    if last.size and not term[last].all():
        bad = int(np.flatnonzero(nonempty)[np.flatnonzero(~term[last])[0]])
        raise RleStringError(bad, "RLE counts string is truncated")
    ends = np.flatnonzero(term)
    # the last chunk sign-extended (5 bits -> int8): the whole number when it has one chunk,
    # which is most numbers; longer ones get their lower chunks added below
    x = ((c[ends] << 3).view(np.int8) >> 3).astype(np.int64)
    nlen = np.empty_like(ends)
    if ends.size:
        nlen[0] = ends[0] + 1
        np.subtract(ends[1:], ends[:-1], out=nlen[1:])
    multi = np.flatnonzero(nlen > 1)
    if multi.size:
        ml = nlen[multi]
        if ml.max() > 12:
            pos = int(ends[multi[np.argmax(ml > 12)]] - ml[np.argmax(ml > 12)] + 1)
            raise RleStringError(_owner_of(char_off, pos), "RLE counts string has an overlong number")
        # chunk k before the terminator is bits 5 * (len - 1 - k): every multi-chunk number
        # has k = 1; only the few longer ones need more steps
        e = ends[multi]
        acc = x[multi] << (5 * (ml - 1))
        acc |= (c[e - 1] & 0x1F).astype(np.int64) << (5 * (ml - 2))
        sub = np.flatnonzero(ml > 2)
        k = 2
        while sub.size:
            acc[sub] |= (c[e[sub] - k] & 0x1F).astype(np.int64) << (5 * (ml[sub] - 1 - k))
            k += 1
            sub = sub[ml[sub] > k]
        x[multi] = acc
    # numbers before each string = terminators before its first character
    offsets = np.searchsorted(ends, char_off, side="left").astype(np.int64)
    runs = Runs(x, offsets)
    _undelta(runs)
    if runs.values.size and runs.values.min() < 0:
        bad = int(runs.owner()[np.flatnonzero(runs.values < 0)[0]])
        raise RleStringError(bad, "RLE counts decode to a negative run length")
    return runs


def _owner_of(char_off: np.ndarray, pos: int) -> int:
    return int(np.searchsorted(char_off, pos, side="right") - 1)


def _undelta(runs: Runs) -> None:
    """counts[i] += counts[i-2] for i > 2, per RLE.

    Both chains (local odd from 1, local even from 2) are running sums; they are taken as two
    strided cumsums over the whole array (global parity), minus each chain's value before its
    start, spread per RLE with `repeat` -- a handful of passes instead of per-element work.
    """
    v = runs.values
    if v.size == 0:
        return
    o = runs.offsets[:-1]
    L = np.diff(runs.offsets)
    S = np.empty_like(v)
    np.cumsum(v[0::2], out=S[0::2])
    np.cumsum(v[1::2], out=S[1::2])
    odd_start = np.where(L > 1, o + 1, 0)
    even_start = np.where(L > 2, o + 2, 0)
    base_odd = np.where(L > 1, S[odd_start] - v[odd_start], 0)
    base_even = np.where(L > 2, S[even_start] - v[even_start], 0)
    o_even = (o & 1) == 0
    n_even = (o + L + 1) // 2 - (o + 1) // 2  # elements at even global positions
    first = v[o[L > 0]].copy()
    S[0::2] -= np.repeat(np.where(o_even, base_even, base_odd), n_even)
    S[1::2] -= np.repeat(np.where(o_even, base_odd, base_even), L - n_even)
    S[o[L > 0]] = first  # the first count is never a delta
    v[:] = S


def encode_strings(runs: Runs) -> list[str]:
    """Compressed COCO RLE strings of every RLE in `runs` (pycocotools' exact encoding)."""
    n = runs.n
    c = runs.values
    if c.size == 0:
        return [""] * n
    o = runs.offsets[:-1]
    L = runs.offsets[1:] - o
    d = c.copy()
    d[2:] -= c[:-2]
    for k in range(3):  # the first three counts of each RLE are stored as they are
        sel = o[k < L] + k
        d[sel] = c[sel]
    # k chunks hold [-16 * 32^(k-1), 16 * 32^(k-1)): count the limits |d| (d or ~d) reaches;
    # most numbers fit one chunk, so only the others are looked at twice
    m = d ^ (d >> 63)
    first = d.astype(np.uint8) & np.uint8(0x1F)  # low 5 bits (two's complement)
    first += np.uint8(48)
    idx = np.flatnonzero(m >= 16)
    if not idx.size:  # every number is one character
        out = first
        pos = np.arange(d.size + 1, dtype=np.int64)
    else:
        mi = m[idx]
        ni = np.full(idx.size, 2, np.int64)
        limit = 512
        top = int(mi.max())
        while limit <= top:
            ni += mi >= limit
            limit <<= 5
        nchunks = np.ones(d.size, np.int64)
        nchunks[idx] = ni
        first[idx] += np.uint8(32)  # continuation bit
        pos = np.zeros(d.size + 1, np.int64)
        np.cumsum(nchunks, out=pos[1:])
        out = np.empty(int(pos[-1]), np.uint8)
        out[pos[:-1]] = first
        di = d[idx]
        at = pos[idx]
        t = 1
        while idx.size:
            cont = ni > t + 1
            ch = (di >> (5 * t)).astype(np.uint8) & np.uint8(0x1F)
            ch += np.uint8(48)
            ch += cont.view(np.uint8) << np.uint8(5)
            out[at + t] = ch
            idx = idx[cont]
            di, at, ni = di[cont], at[cont], ni[cont]
            t += 1
    text = out.tobytes().decode("ascii")
    cut = pos[runs.offsets].tolist()
    return [text[cut[k] : cut[k + 1]] for k in range(n)]


@dataclass
class Boxes:
    y0: np.ndarray
    x0: np.ndarray
    h: np.ndarray
    w: np.ndarray
    area: np.ndarray


def _fg_runs(runs: Runs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every non-empty foreground run (odd local index), in order: (start, end) in its RLE,
    and `fo`, the run offsets per RLE (RLE i owns runs fo[i]:fo[i+1])."""
    v = runs.values
    off = runs.offsets
    n = runs.n
    if v.size == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(n + 1, np.int64)
    o = off[:-1]
    L = off[1:] - o
    cs = np.cumsum(v)
    # local parity = global parity xor the parity of the RLE's first index (repeat over n
    # segments is cheap; a gather per value is not)
    par = np.repeat((o & 1).astype(np.int8), L)
    par ^= _alternating(v.size)
    fg = par.view(np.bool_)
    fg &= v > 0
    idx = np.flatnonzero(fg)
    fo = np.searchsorted(idx, off).astype(np.int64)
    before = np.zeros(n, np.int64)
    nz = o > 0
    before[nz] = cs[o[nz] - 1]
    end = cs[idx]
    end -= np.repeat(before, fo[1:] - fo[:-1])
    return end - v[idx], end, fo


_ALT = np.zeros(0, np.int8)


def _alternating(size: int) -> np.ndarray:
    """0, 1, 0, 1, ... (int8) of at least `size`, kept between calls."""
    global _ALT
    if _ALT.size < size:
        _ALT = np.zeros(max(size, 2 * _ALT.size), np.int8)
        _ALT[1::2] = 1
    return _ALT[:size]


def _assemble(fo: np.ndarray, s: np.ndarray, e: np.ndarray, total: np.ndarray) -> Runs:
    """Canonical counts from sorted fg runs (merging touching ones) and each RLE's pixel count.

    RLE i owns runs fo[i]:fo[i+1].  Layout per RLE: [bg, fg, bg, fg, ..., tail bg if any]; an
    RLE with no run is [total].  Each value is placed with one scatter (no np.insert).
    """
    total = np.asarray(total, np.int64)
    n = fo.size - 1
    K = s.size
    if K > 1:
        touch = s[1:] == e[:-1]
        if touch.any():  # runs that meet after re-expression become one run (same RLE only)
            firsts = fo[1:-1]
            firsts = firsts[(firsts > 0) & (firsts < K)]
            touch[firsts - 1] = False
            if touch.any():
                kept = np.flatnonzero(np.concatenate(([True], ~touch)))
                last = np.empty_like(kept)
                last[:-1] = kept[1:] - 1
                last[-1] = K - 1
                s, e = s[kept], e[last]
                fo = np.searchsorted(kept, fo).astype(np.int64)
                K = s.size
    nr = fo[1:] - fo[:-1]
    has = nr > 0
    tail = total.copy()
    tail[has] -= e[fo[1:][has] - 1]
    # every RLE gets 2 * runs + 1 slots (the tail last); zero tails are dropped at the end
    newoff = np.zeros(n + 1, np.int64)
    np.cumsum(2 * nr + 1, out=newoff[1:])
    out = np.empty(int(newoff[-1]), np.int64)
    if K:
        prev = np.empty(K, np.int64)
        prev[0] = 0
        prev[1:] = e[:-1]
        prev[fo[:-1][has]] = 0
        dest = np.arange(0, 2 * K, 2, dtype=np.int64)
        dest += np.repeat(np.arange(n, dtype=np.int64), nr)
        out[dest] = s - prev
        dest += 1
        out[dest] = e - s
    out[newoff[1:] - 1] = tail
    drop = has & (tail == 0)
    if drop.any():
        out = np.delete(out, newoff[1:][drop] - 1)
        newoff[1:] -= np.cumsum(drop)
    return Runs(out, newoff)


def _per_rle_sum(x: np.ndarray, fo: np.ndarray) -> np.ndarray:
    c = np.zeros(x.size + 1, np.int64)
    np.cumsum(x, out=c[1:])
    return c[fo[1:]] - c[fo[:-1]]


def image_to_patches(runs: Runs, H: np.ndarray, W: np.ndarray) -> tuple[Boxes, Runs]:
    """Tight boxes and box-local canonical RLEs of full-image RLEs (image sizes per RLE)."""
    n = runs.n
    H = np.asarray(H, np.int64)
    W = np.asarray(W, np.int64)
    s, e, fo = _fg_runs(runs)
    nr = fo[1:] - fo[:-1]
    if n and H.min() == H.max():  # one image size: a numpy scalar divisor is much cheaper
        Hr = H[0]
    else:
        Hr = np.repeat(H, nr)
    Hm1 = Hr - 1
    # floor division and a product, not np.divmod: int64 divmod is ~4x slower here
    cs = s // Hr
    rs = s - cs * Hr
    em = e - 1
    ce = em // Hr
    re = em - ce * Hr
    span = ce > cs  # a run over a column boundary: the box has the full image height
    ylo = rs * ~span
    yhi = re + span * (Hm1 - re)
    area = _per_rle_sum(e - s, fo)
    has = nr > 0
    x0 = np.zeros(n, np.int64)
    x1 = np.zeros(n, np.int64)
    y0 = np.zeros(n, np.int64)
    y1 = np.zeros(n, np.int64)
    if s.size:
        seg = fo[:-1][has]
        x0[has] = cs[seg]
        x1[has] = ce[fo[1:][has] - 1] + 1
        y0[has] = np.minimum.reduceat(ylo, seg)
        y1[has] = np.maximum.reduceat(yhi, seg) + 1
    h = y1 - y0
    w = x1 - x0
    ps = (cs - np.repeat(x0, nr)) * np.repeat(h, nr)
    ps += rs
    ps -= np.repeat(y0, nr)
    patch = _assemble(fo, ps, ps + (e - s), h * w)
    # empty masks: no counts at all (the store's convention for an empty patch)
    if (~has).any():
        lens = np.diff(patch.offsets)
        lens[~has] = 0
        keep = np.repeat(has, np.diff(patch.offsets))
        patch = Runs(patch.values[keep], np.concatenate(([0], np.cumsum(lens))))
    return Boxes(y0, x0, h, w, area), patch


def column_runs_to_patches(fo: np.ndarray, col: np.ndarray, r0: np.ndarray, r1: np.ndarray
                           ) -> tuple[Boxes, list[str]]:
    """Tight boxes and box-local compressed strings of masks given as column runs (mask i owns
    runs fo[i]:fo[i+1], rows [r0, r1) of column col, sorted, disjoint: what
    `core.coco_polygons` draws).  An empty mask gets a zero box and an empty string."""
    n = fo.size - 1
    nr = fo[1:] - fo[:-1]
    has = nr > 0
    z = np.zeros(n, np.int64)
    x0, x1, y0, y1 = z.copy(), z.copy(), z.copy(), z.copy()
    if col.size:
        seg = fo[:-1][has]
        x0[has] = col[seg]
        x1[has] = col[fo[1:][has] - 1] + 1
        y0[has] = np.minimum.reduceat(r0, seg)
        y1[has] = np.maximum.reduceat(r1, seg)
    h, w = y1 - y0, x1 - x0
    length = r1 - r0
    area = _per_rle_sum(length, fo)
    s = (col - np.repeat(x0, nr)) * np.repeat(h, nr)
    s += r0
    s -= np.repeat(y0, nr)
    patch = _assemble(fo, s, s + length, h * w)
    strings = encode_strings(patch)
    if not has.all():
        strings = [t if k else "" for t, k in zip(strings, has.tolist())]
    return Boxes(y0, x0, h, w, area), strings


def patches_to_image(
    runs: Runs, y0: np.ndarray, x0: np.ndarray, h: np.ndarray, H: np.ndarray, W: np.ndarray
) -> Runs:
    """Full-image canonical RLEs of box-local RLEs placed at (y0, x0) in images of H x W."""
    s, e, fo = _fg_runs(runs)
    nr = fo[1:] - fo[:-1]
    hr = np.repeat(h, nr)
    cs = s // hr
    ce = (e - 1) // hr
    gap = np.repeat(H - h, nr)  # pixels between two box columns in the image
    fs0 = cs * gap
    fs0 += s
    fs0 += np.repeat(x0 * H + y0, nr)
    # a run crossing the bottom of the box splits per column, unless the box has the image's
    # full height (then the columns are contiguous in the image too)
    extra = (ce - cs) * (gap > 0)
    n_extra = int(extra.sum())
    if not n_extra:
        return _assemble(fo, fs0, fs0 + (e - s), H * W)
    pieces = extra + 1
    first = np.cumsum(pieces) - pieces
    total = int(first[-1] + pieces[-1])
    fs = np.empty(total, np.int64)
    fe = np.empty(total, np.int64)
    multi = np.flatnonzero(extra)  # split runs (usually few): their first piece ends early
    fs[first] = fs0
    fe0 = fs0 + (e - s)
    fe0[multi] = fs0[multi] + (np.minimum(e[multi], (cs[multi] + 1) * hr[multi]) - s[multi])
    fe[first] = fe0
    ex = extra[multi]
    rep = np.repeat(multi, ex)
    q = np.arange(n_extra) - np.repeat(np.cumsum(ex) - ex, ex) + 1
    col = cs[rep] + q
    hp = hr[rep]
    pe = np.minimum(e[rep], (col + 1) * hp)
    Hp = hp + gap[rep]
    at = first[rep] + q
    fs[at] = col * Hp + (fs0[rep] - s[rep] - cs[rep] * gap[rep])
    fe[at] = fs[at] + (pe - col * hp)
    fo_new = np.zeros_like(fo)
    fo_new[1:] = fo[1:] + _cumsum_at(extra, fo[1:])
    return _assemble(fo_new, fs, fe, H * W)


def _cumsum_at(x: np.ndarray, at: np.ndarray) -> np.ndarray:
    """sum(x[:a]) for each a in `at`."""
    c = np.zeros(x.size + 1, np.int64)
    np.cumsum(x, out=c[1:])
    return c[at]


CHUNK = 256  # RLEs per batch (measured best of 128..4096): arrays stay cache-sized and memory is reused (no page-fault storm)


def image_strings_to_patches(
    strings: Sequence[str] | Sequence[bytes], H: np.ndarray, W: np.ndarray, chunk: int = CHUNK
) -> tuple[Boxes, list[str]]:
    """Compressed full-image RLE strings -> tight boxes and box-local strings, in batches.

    RleStringError.index and the returned arrays refer to positions in `strings`.
    """
    H = np.asarray(H, np.int64)
    W = np.asarray(W, np.int64)
    parts: list[Boxes] = []
    out: list[str] = []
    for a in range(0, len(strings), chunk):
        b = min(a + chunk, len(strings))
        try:
            runs = decode_strings(strings[a:b])
        except RleStringError as e:
            raise RleStringError(a + e.index, str(e)) from None
        sums = runs.sums()
        bad = np.flatnonzero(sums != H[a:b] * W[a:b])
        if bad.size:
            j = int(bad[0])
            raise RleStringError(
                a + j, f"RLE counts sum to {int(sums[j])}, expected {int(H[a + j])}x{int(W[a + j])}="
                f"{int(H[a + j] * W[a + j])}"
            )
        boxes, patch = image_to_patches(runs, H[a:b], W[a:b])
        parts.append(boxes)
        out.extend(encode_strings(patch))
    if not parts:
        z = np.zeros(0, np.int64)
        return Boxes(z, z, z, z, z), out
    cat = [np.concatenate([getattr(p, f) for p in parts]) for f in ("y0", "x0", "h", "w", "area")]
    return Boxes(*cat), out


def patch_strings_to_image(
    strings: Sequence[str], y0: np.ndarray, x0: np.ndarray, h: np.ndarray, H: np.ndarray,
    W: np.ndarray, chunk: int = CHUNK,
) -> list[str]:
    """Box-local strings placed at (y0, x0) -> compressed full-image strings, in batches."""
    y0, x0, h, H, W = (np.asarray(v, np.int64) for v in (y0, x0, h, H, W))
    out: list[str] = []
    for a in range(0, len(strings), chunk):
        b = min(a + chunk, len(strings))
        runs = decode_strings(strings[a:b])
        out.extend(encode_strings(patches_to_image(runs, y0[a:b], x0[a:b], h[a:b], H[a:b], W[a:b])))
    return out
