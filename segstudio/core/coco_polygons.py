"""pycocotools' polygon rasterisation (`rleFrPoly`), bit for bit, for thousands of polygons at once.

COCO, CVAT (Datumaro, CVAT's own mask export) and YOLO readers turn a polygon into pixels with
pycocotools, on the whole image.  Calling it per polygon costs a Python round trip and a
full-image RLE (~20 us, plus ~18 us to cut the RLE down to the polygon's box), and calling it
on a small window around the polygon is *not* the same: pycocotools first rounds 5 * x + 0.5
to an int (a 1/5-pixel grid) and interpolates edges in doubles, and a coordinate moved into a
window is a different double (100.1 - 100 is 0.0999999999999943), so ties such as x * 5 = n + .5
(common with CVAT's 2-decimal coordinates) round the other way and a row of pixels changes.

This module reproduces the algorithm from the polygon's own (image) coordinates, with numpy,
performing the same IEEE double operations in the same order, so the result is exactly
pycocotools' on the full image -- but only the pixel columns the polygon crosses are visited:

1. vertices: X = (int)(5 * x + .5) (C's conversion truncates toward zero: `np.trunc`);
2. pycocotools walks every edge densely on the 1/5 grid (a point per step along the longer
   axis, the other coordinate `(int)(start + slope * t + .5)`) and keeps the steps where the
   walk crosses a pixel-centre column (u = 5 * c + 2 -> 5 * c + 3); each such crossing toggles
   column c from row ceil((v - 2) / 5) down (v the lower of the step's two v, clamped to
   [0, h]).  Here only those crossings are computed: for edges walking along x directly, for
   edges walking along y by solving for the step (an estimate, then the exact predicate at the
   neighbouring steps, verified);
3. toggles at the same place cancel in pairs (pycocotools merges zero-length runs), the rest
   pair up into foreground runs per column (an even number per column: the walk is closed);
4. several rings of one mask are united (pycocotools' `merge`).

Junction steps between two edges cannot cross a counted column: both ends are the shared vertex
on the grid, equal unless the vertex is left of the image (then they are skipped as pycocotools
skips them).  Anything the proof does not cover -- a step not verified, coordinates whose
5x product leaves C's int range, images beyond the 2^30 positions of the sort key -- is
reported back (`bad`) for the caller to draw with pycocotools itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCALE = 5.0  # pycocotools' upsampling of the vertex grid
COORD_LIMIT = 1 << 28  # |5x + .5| below this: C's int conversion and differences stay exact
_KEY_BITS = 30  # a position (column * (h + 1) + row) in a ring's image must fit here


@dataclass
class ColumnRuns:
    """Foreground runs of n masks, column by column: mask i owns runs fo[i]:fo[i+1], each the
    rows [r0, r1) of column `col`, sorted by column then row, disjoint and not touching."""

    fo: np.ndarray
    col: np.ndarray
    r0: np.ndarray
    r1: np.ndarray

    @property
    def n(self) -> int:
        return len(self.fo) - 1

    def area(self) -> np.ndarray:
        c = np.zeros(self.r0.size + 1, np.int64)
        np.cumsum(self.r1 - self.r0, out=c[1:])
        return c[self.fo[1:]] - c[self.fo[:-1]]

    def mask(self, i: int) -> tuple[int, int, np.ndarray]:
        """(y0, x0, tight boolean box) of mask i; an empty box when it has no pixel."""
        a, b = int(self.fo[i]), int(self.fo[i + 1])
        if a == b:
            return 0, 0, np.zeros((0, 0), bool)
        col, r0, r1 = self.col[a:b], self.r0[a:b], self.r1[a:b]
        x0, y0 = int(col[0]), int(r0.min())
        w, h = int(col[-1]) + 1 - x0, int(r1.max()) - y0
        base = (col - x0) * h - y0  # column-major, as the runs: decoded as an RLE
        bounds = np.empty(2 * base.size + 2, np.int64)
        bounds[0], bounds[-1] = 0, w * h
        bounds[1:-1:2], bounds[2:-1:2] = base + r0, base + r1
        values = np.zeros(bounds.size - 1, bool)
        values[1::2] = True
        box = np.repeat(values, np.diff(bounds)).reshape(w, h).T
        return y0, x0, box


    def masks(self) -> list[tuple[int, int, np.ndarray]]:
        """`mask(i)` of every mask, built in one pass: every box laid end to end in one
        column-major buffer, decoded as one RLE (one `np.repeat`); each box is a view of it."""
        n = self.n
        counts = np.diff(self.fo)
        has = counts > 0
        m = np.repeat(np.arange(n), counts)
        first = self.fo[:-1][has]
        x0 = np.zeros(n, np.int64)
        y0 = np.zeros(n, np.int64)
        w = np.zeros(n, np.int64)
        h = np.zeros(n, np.int64)
        if first.size:
            x0[has] = self.col[first]
            y0[has] = np.minimum.reduceat(self.r0, first)
            w[has] = self.col[self.fo[1:][has] - 1] + 1 - x0[has]
            h[has] = np.maximum.reduceat(self.r1, first) - y0[has]
        size = w * h
        off = np.zeros(n + 1, np.int64)
        np.cumsum(size, out=off[1:])
        base = off[m] + (self.col - x0[m]) * h[m] - y0[m]
        # every box decoded at once, as one column-major RLE over the boxes laid end to end
        # (runs are sorted by mask, column and row, so their bounds are increasing)
        bounds = np.empty(2 * base.size + 2, np.int64)
        bounds[0], bounds[-1] = 0, off[-1]
        bounds[1:-1:2], bounds[2:-1:2] = base + self.r0, base + self.r1
        values = np.zeros(bounds.size - 1, bool)
        values[1::2] = True
        flat = np.repeat(values, np.diff(bounds))
        out = []
        empty = np.zeros((0, 0), bool)
        for a, b, yy, xx, ww, hh in zip(off[:-1].tolist(), off[1:].tolist(), y0.tolist(),
                                        x0.tolist(), w.tolist(), h.tolist()):
            out.append((yy, xx, flat[a:b].reshape(ww, hh).T) if b > a else (0, 0, empty))
        return out


def _c_int(z: np.ndarray) -> np.ndarray:
    """C's (int) of doubles: toward zero."""
    return np.trunc(z).astype(np.int64)


def rasterise(xy: np.ndarray, ring_off: np.ndarray, owner: np.ndarray, H: np.ndarray,
              W: np.ndarray) -> tuple[ColumnRuns, np.ndarray]:
    """Column runs of n masks, each the union of its rings as pycocotools draws them on an
    image of H[i] x W[i]; and `bad`, the masks this could not prove exact (empty here: the
    caller draws them another way).

    `xy`: (V, 2) float64 vertices of every ring, concatenated; ring k is
    xy[ring_off[k]:ring_off[k + 1]] (at least 3 vertices, finite) and belongs to mask
    owner[k] (non-decreasing)."""
    n = len(H)
    H = np.asarray(H, np.int64)
    W = np.asarray(W, np.int64)
    owner = np.asarray(owner, np.int64)
    ring_off = np.asarray(ring_off, np.int64)
    R = len(ring_off) - 1
    xy = np.asarray(xy, np.float64).reshape(-1, 2)
    sizes = np.diff(ring_off)
    bad_ring = sizes < 3
    if R:
        limit = (COORD_LIMIT - 1) / SCALE
        if not np.abs(xy).max(initial=0.0) < limit:  # some vertex is far or NaN: which rings
            far = ~(np.abs(xy).max(axis=1, initial=0.0) < limit)
            bad_ring |= np.bincount(np.repeat(np.arange(R), sizes), weights=far, minlength=R) > 0
        bad_ring |= (H[owner] < 1) | (W[owner] < 1) | (H[owner] * W[owner] >= 1 << 31)
    good = np.flatnonzero(~bad_ring)
    if good.size < R:  # dropped before any arithmetic (a NaN would only make noise)
        xy = xy[np.repeat(~bad_ring, sizes)]
        ring_off = np.concatenate(([0], np.cumsum(sizes[good])))
    ring_owner = owner[good]
    ring, col, r0, r1, late_bad = _ring_runs(xy, ring_off, H[ring_owner], W[ring_owner])
    bad = np.zeros(n, bool)
    bad[owner[bad_ring]] = True
    bad[ring_owner[late_bad]] = True
    m = ring_owner[ring]
    if bad.any():
        keep = ~bad[m]
        m, col, r0, r1 = m[keep], col[keep], r0[keep], r1[keep]
    if good.size and (np.diff(ring_owner) == 0).any():  # a mask of several rings: their union
        m, col, r0, r1 = _union(m, col, r0, r1, H, W)
    fo = np.searchsorted(m, np.arange(n + 1)).astype(np.int64)
    return ColumnRuns(fo, col, r0, r1), bad


def _bits(v: int) -> int:
    return max(int(v), 1).bit_length()


def _ring_runs(xy, ring_off, Hr, Wr):
    """(ring, col, r0, r1) runs of each ring (numbered as in `ring_off`), sorted, and the rings
    whose crossings could not be verified.  Toggles are sorted as one int64 key per crossing
    (ring, column, row bit fields); rings are taken in parts when the fields would not fit."""
    R = len(ring_off) - 1
    if R == 0:
        e = np.zeros(0, np.int64)
        return e, e, e, e, e
    if _bits(R) + _bits(Wr.max()) + _bits(Hr.max() + 1) > 62:
        if R == 1:  # cannot happen below 2^31 pixels; keep the promise anyway
            e = np.zeros(0, np.int64)
            return e, e, e, e, np.zeros(1, np.int64)
        h = R // 2
        a = _ring_runs(xy[: ring_off[h]], ring_off[: h + 1], Hr[:h], Wr[:h])
        b = _ring_runs(xy[ring_off[h]:], ring_off[h:] - ring_off[h], Hr[h:], Wr[h:])
        return tuple(np.concatenate((p, q + (h if k in (0, 4) else 0))) for k, (p, q) in enumerate(zip(a, b)))
    rg, U, vmin, bad = _crossings(xy, ring_off, Hr, Wr)
    br, bc = _bits(Hr.max() + 1), _bits(Wr.max())
    row = -((2 - vmin) // 5)  # ceil((v - 2) / 5), clamped to [0, h] as pycocotools
    np.maximum(row, 0, out=row)
    np.minimum(row, Hr[rg], out=row)
    key = (rg << (bc + br)) | (((U - 2) // 5) << br) | row
    key.sort()
    if key.size > 1:  # toggles at one place cancel in pairs (zero-length runs merged away)
        dup = key[1:] == key[:-1]
        if dup.any():
            first = np.flatnonzero(np.concatenate(([True], ~dup)))
            count = np.diff(np.concatenate((first, [key.size])))
            key = key[first[count % 2 == 1]]
    if key.size % 2 or ((key[0::2] >> br) != (key[1::2] >> br)).any():
        # an odd number of toggles in a column: not pycocotools' closed walk (cannot happen)
        rc = key >> br
        u, c = np.unique(rc, return_counts=True)
        odd = np.unique(u[c % 2 == 1] >> bc)
        bad = np.concatenate((bad, odd))
        key = key[~np.isin(rc >> bc, odd)]
    a, b = key[0::2], key[1::2]
    ring = a >> (bc + br)
    col = (a >> br) & ((1 << bc) - 1)
    rowmask = (1 << br) - 1
    r0, r1 = a & rowmask, b & rowmask
    if bad.size:
        bad = np.unique(bad)
        keep = ~np.isin(ring, bad)
        ring, col, r0, r1 = ring[keep], col[keep], r0[keep], r1[keep]
    return ring, col, r0, r1, bad


def _crossings(xy, ring_off, Hr, Wr):
    """Every step of pycocotools' walk that crosses a pixel-centre column inside the image:
    (ring, U: the step's lower u, 2 mod 5, v: the lower of the step's two v), and the rings
    whose step could not be verified."""
    R = len(ring_off) - 1
    X = _c_int(SCALE * xy[:, 0] + 0.5)  # (int)(scale*x+.5): the product, then the sum
    Y = _c_int(SCALE * xy[:, 1] + 0.5)
    V = len(X)
    nxt = np.arange(1, V + 1)
    nxt[ring_off[1:] - 1] = ring_off[:-1]  # the last vertex closes the ring
    ring = np.repeat(np.arange(R), np.diff(ring_off))
    xs, xe, ys, ye = X, X[nxt], Y, Y[nxt]
    dx, dy = np.abs(xe - xs), np.abs(ye - ys)
    along_x = dx >= dy
    flip = np.where(along_x, xs > xe, ys > ye)  # walked from the lower end (same points)
    xs, xe = np.where(flip, xe, xs), np.where(flip, xs, xe)
    ys, ye = np.where(flip, ye, ys), np.where(flip, ys, ye)
    umax = 5 * (Wr[ring] - 1) + 2  # the last pixel-centre column's crossing
    rings, cols, vmins, bad = [], [], [], []

    # edges walked along x: u = xs + t, v = (int)(ys + s * t + .5); the step t -> t + 1
    # crosses U -> U + 1 at t = U - xs (dx == 0 walks one point: no step)
    ea = np.flatnonzero(along_x & (dx > 0))
    if ea.size:
        xa, ya = xs[ea], ys[ea]
        s = (ye[ea] - ya).astype(np.float64) / dx[ea].astype(np.float64)
        U, k = _columns(np.maximum(xa, 2), np.minimum(xe[ea] - 1, umax[ea]))
        t = (U - xa[k]).astype(np.float64)
        yf, sk = ya[k].astype(np.float64), s[k]
        va = _c_int(yf + sk * t + 0.5)
        vb = _c_int(yf + sk * (t + 1.0) + 0.5)
        rings.append(ring[ea][k])
        cols.append(U)
        vmins.append(np.minimum(va, vb))

    # edges walked along y: v = ys + t, u(t) = (int)(xs + s * t + .5), monotonic in t; the
    # step t - 1 -> t crossing U <-> U + 1 is solved for, then checked at t - 1 and t
    eb = np.flatnonzero(~along_x)
    if eb.size:
        xb, yb, dyb = xs[eb], ys[eb], dy[eb]
        s = (xe[eb] - xb).astype(np.float64) / dyb.astype(np.float64)
        xf = xb.astype(np.float64)
        u0 = _c_int(xf + s * 0.0 + 0.5)
        u1 = _c_int(xf + s * dyb.astype(np.float64) + 0.5)
        U, k = _columns(np.maximum(np.minimum(u0, u1), 2), np.minimum(np.maximum(u0, u1) - 1, umax[eb]))
        if U.size:
            sk, xk, dk = s[k], xf[k], dyb[k]
            # the walk has passed U (upwards: u >= U + 1; downwards: u <= U) where
            # sign * (2 * (u - U) - 1) > 0
            sign = np.sign(sk).astype(np.int64)
            t = np.floor((U.astype(np.float64) + 0.5 - xk) / sk).astype(np.int64) + 1
            np.clip(t, 1, dk, out=t)
            after = sign * (2 * (_c_int(xk + sk * t.astype(np.float64) + 0.5) - U) - 1) > 0
            before = sign * (2 * (_c_int(xk + sk * (t - 1).astype(np.float64) + 0.5) - U) - 1) > 0
            off = ~after | before
            if off.any():  # the estimate was a step off (a tie in the division): search there
                j = np.flatnonzero(off)
                t[j], ok = _search(xk[j], sk[j], U[j], sign[j], dk[j], t[j])
                if not ok.all():
                    bad.append(ring[eb][k[j[~ok]]])
            rings.append(ring[eb][k])
            cols.append(U)
            vmins.append(yb[k] + t - 1)

    e = np.zeros(0, np.int64)
    if not rings:
        return e, e, e, np.concatenate(bad) if bad else e
    return (np.concatenate(rings), np.concatenate(cols), np.concatenate(vmins),
            np.concatenate(bad) if bad else e)


def _search(x, s, U, sign, d, t):
    """The first step t in [1, d] where the walk has passed U, trying t - 2 .. t + 2."""
    def passed(tt):
        return sign * (2 * (_c_int(x + s * tt.astype(np.float64) + 0.5) - U) - 1) > 0

    found = np.zeros(t.size, bool)
    best = t.copy()
    for step in (-2, -1, 0, 1, 2):
        tt = np.clip(t + step, 1, d)
        hit = passed(tt) & ~passed(tt - 1) & ~found
        best[hit] = tt[hit]
        found |= hit
    return best, found


def _columns(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every U = 2 (mod 5) in [lo[i], hi[i]] for each i, and the i it belongs to."""
    first = lo + (2 - lo) % 5
    cnt = np.maximum((hi - first) // 5 + 1, 0)
    total = int(cnt.sum())
    k = np.repeat(np.arange(len(lo)), cnt)
    if not total:
        return np.zeros(0, np.int64), k
    start = np.cumsum(cnt) - cnt
    step = np.arange(total, dtype=np.int64) - np.repeat(start, cnt)
    return first[k] + 5 * step, k


def _union(m, col, r0, r1, H, W):
    """Runs of several rings of one mask united (sorted by mask, column, row; merged when they
    overlap or touch)."""
    if not m.size:
        return m, col, r0, r1
    br, bc, bm = _bits(H[m].max() + 1), _bits(W[m].max()), _bits(m.max() + 1)
    if br + bc + bm > 62:
        order = np.lexsort((r0, col, m))
        m, col, r0, r1 = m[order], col[order], r0[order], r1[order]
        return _merge_sorted(m, col, r0, r1)
    hi = (m << (bc + br)) | (col << br)
    start, end = hi | r0, hi | r1
    order = np.argsort(start, kind="stable")
    start, end = start[order], end[order]
    reach = np.maximum.accumulate(end)  # a column's runs never reach the next column's key
    new = np.ones(start.size, bool)
    new[1:] = start[1:] > reach[:-1]
    first = np.flatnonzero(new)
    last = np.concatenate((first[1:], [start.size])) - 1
    s, e = start[first], reach[last]
    rowmask = (1 << br) - 1
    return s >> (bc + br), (s >> br) & ((1 << bc) - 1), s & rowmask, e & rowmask


def _merge_sorted(m, col, r0, r1):
    """`_union` for runs already sorted by (mask, column, row), without packed keys."""
    out = ([], [], [], [])
    for i in range(m.size):  # only for masks of images beyond the packed key (never in practice)
        if out[0] and out[0][-1] == m[i] and out[1][-1] == col[i] and r0[i] <= out[3][-1]:
            out[3][-1] = max(out[3][-1], int(r1[i]))
        else:
            for lst, v in zip(out, (m[i], col[i], r0[i], r1[i])):
                lst.append(int(v))
    return tuple(np.asarray(v, np.int64) for v in out)
