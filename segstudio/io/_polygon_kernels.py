"""The numba kernels of `polygon_jit` (imported only through it: importing this module
imports numba and loads the cached machine code).  Defined at module level so that numba can
cache them on disk."""

from __future__ import annotations

import numpy as np
from numba import njit

SCALE = 5.0
COORD_LIMIT = 1 << 28  # as core.coco_polygons: |5x + .5| below this
MAX_DIGITS = 15

jit = njit(cache=True, nogil=True)


# ------------------------------------------------------------------ text
@jit
def read_points(b, n_texts):
    """(ok, values, counts per text, JSON bytes, JSON offsets per text)."""
    n = b.size
    values = np.empty(n // 2 + 1, np.float64)
    counts = np.zeros(n_texts, np.int64)
    out = np.empty(2 * n + 2, np.uint8)  # a number's repr grows by at most ".0"
    off = np.zeros(n_texts + 1, np.int64)
    pow10 = np.empty(MAX_DIGITS + 1, np.float64)
    p = 1.0
    for k in range(MAX_DIGITS + 1):
        pow10[k] = p
        p *= 10.0
    i, nv, o, text = 0, 0, 0, 0
    while True:  # one number per turn
        neg = False
        if i < n and b[i] == 45:  # "-"
            neg = True
            out[o] = 45
            o += 1
            i += 1
        if i >= n or b[i] < 48 or b[i] > 57:
            return False, values, counts, out, off
        m = 0
        digits = 0
        lead = b[i]
        while i < n and 48 <= b[i] <= 57:
            m = m * 10 + (b[i] - 48)
            digits += 1
            out[o] = b[i]
            o += 1
            i += 1
        if lead == 48 and digits > 1:  # "01": not a canonical number
            return False, values, counts, out, off
        frac = 0
        nonzero = False
        out[o] = 46  # "."
        o += 1
        keep = o + 1  # the fraction keeps at least one digit ("x.0")
        if i < n and b[i] == 46:
            i += 1
            if i >= n or b[i] < 48 or b[i] > 57:
                return False, values, counts, out, off
            while i < n and 48 <= b[i] <= 57:
                m = m * 10 + (b[i] - 48)
                digits += 1
                frac += 1
                out[o] = b[i]
                o += 1
                if b[i] != 48:
                    keep = o
                    nonzero = True
                elif lead == 48 and frac == 4 and not nonzero:  # "0.0000": below 1e-4
                    return False, values, counts, out, off
                i += 1
        else:
            out[o] = 48
            o += 1
        if digits > MAX_DIGITS:
            return False, values, counts, out, off
        o = keep
        v = m / pow10[frac]
        values[nv] = -v if neg else v
        nv += 1
        counts[text] += 1
        if i >= n:
            off[text + 1] = o
            return text == n_texts - 1, values[:nv], counts, out[:o], off
        c = b[i]
        i += 1
        if c == 44 or c == 59:  # "," ";"
            out[o] = 44
            o += 1
        elif c == 10:  # the next text
            off[text + 1] = o
            text += 1
            if text >= n_texts:
                return False, values, counts, out, off
        else:
            return False, values, counts, out, off


# ------------------------------------------------------------------ drawing
@jit
def _passed(xf, s, t, u, up):
    """Has pycocotools' walk along y passed column crossing u at step t?"""
    ut = np.int64(xf + s * float(t) + 0.5)
    return ut >= u + 1 if up else ut <= u


@jit
def crossings(xy, a, k, w, cols, rows):
    """The toggles of ring xy[a:a + k] (vertices within the coordinate limit) on an image w
    wide: pixel column and the walk's lower v (rows are derived by the caller) into `cols`
    and `rows`; returns their number."""
    umax = 5 * (w - 1) + 2
    nk = 0
    for j in range(k):
        q = j + 1 if j + 1 < k else 0
        xs = np.int64(SCALE * xy[2 * (a + j)] + 0.5)
        ys = np.int64(SCALE * xy[2 * (a + j) + 1] + 0.5)
        xe = np.int64(SCALE * xy[2 * (a + q)] + 0.5)
        ye = np.int64(SCALE * xy[2 * (a + q) + 1] + 0.5)
        dx, dy = abs(xe - xs), abs(ye - ys)
        along_x = dx >= dy
        if (xs > xe) if along_x else (ys > ye):
            xs, xe = xe, xs
            ys, ye = ye, ys
        if along_x:
            if dx == 0:
                continue
            s = float(ye - ys) / float(dx)
            lo, hi = max(xs, 2), min(xe - 1, umax)
            u = lo + (2 - lo) % 5
            yf = float(ys)
            while u <= hi:
                t = float(u - xs)
                va = np.int64(yf + s * t + 0.5)
                vb = np.int64(yf + s * (t + 1.0) + 0.5)
                cols[nk] = (u - 2) // 5
                rows[nk] = min(va, vb)
                nk += 1
                u += 5
        else:
            s = float(xe - xs) / float(dy)
            xf = float(xs)
            u0 = np.int64(xf + s * 0.0 + 0.5)
            u1 = np.int64(xf + s * float(dy) + 0.5)
            lo, hi = max(min(u0, u1), 2), min(max(u0, u1) - 1, umax)
            u = lo + (2 - lo) % 5
            up = s > 0
            while u <= hi:
                # the first step t in [1, dy] past u: u(t) is monotonic in t, so from an
                # estimate, step back while the step before has passed, on while this has not
                t = np.int64(np.floor((float(u) + 0.5 - xf) / s)) + 1
                t = min(max(t, 1), dy)
                while t > 1 and _passed(xf, s, t - 1, u, up):
                    t -= 1
                while t < dy and not _passed(xf, s, t, u, up):
                    t += 1
                cols[nk] = (u - 2) // 5
                rows[nk] = ys + t - 1
                nk += 1
                u += 5
    return nk


@jit
def put(buf, o, x):
    """pycocotools' compressed form of one number (5 bits a character) at buf[o:]."""
    more = True
    while more:
        c = x & 0x1F
        x >>= 5
        more = (x != -1) if (c & 0x10) else (x != 0)
        if more:
            c |= 0x20
        buf[o] = c + 48
        o += 1
    return o


@jit
def draw_rings(xy, ring_off, H, W):
    """One-ring polygons (ring i: xy[2 * ring_off[i]:2 * ring_off[i + 1]], flat x, y) ->
    (y0, x0, h, w, area, string offsets, string bytes, bad): each one's tight box and box
    RLE string; `bad` ones (not drawn here) have an empty box."""
    n = ring_off.size - 1
    y0 = np.zeros(n, np.int64)
    x0 = np.zeros(n, np.int64)
    bh = np.zeros(n, np.int64)
    bw = np.zeros(n, np.int64)
    area = np.zeros(n, np.int64)
    bad = np.zeros(n, np.bool_)
    soff = np.zeros(n + 1, np.int64)
    buf = np.empty(1 << 16, np.uint8)
    cols = np.empty(1024, np.int64)
    rows = np.empty(1024, np.int64)
    runs = np.empty(1024, np.int64)  # sorted rows, bucketed by column
    start = np.zeros(1024, np.int64)  # per column of the ring's span
    cnt = np.empty(1024, np.int64)
    limit = (COORD_LIMIT - 1) / SCALE
    o = 0
    for i in range(n):
        soff[i] = o
        a, k = ring_off[i], ring_off[i + 1] - ring_off[i]
        h, w = H[i], W[i]
        if k < 3 or h < 1 or w < 1 or h * w >= (1 << 31):
            bad[i] = True
            continue
        far = False
        span = 2 * k + 2  # crossings: at most (columns an edge spans) + 2 per edge
        for j in range(k):
            if not (abs(xy[2 * (a + j)]) < limit and abs(xy[2 * (a + j) + 1]) < limit):  # NaN too
                far = True
                break
            q = j + 1 if j + 1 < k else 0
            span += min(int(abs(xy[2 * (a + q)] - xy[2 * (a + j)])) + 1, w + 1)
        if far:  # too far to be exact here: pycocotools draws it
            bad[i] = True
            continue
        if span > cols.size:
            cols = np.empty(2 * span, np.int64)
            rows = np.empty(2 * span, np.int64)
            runs = np.empty(2 * span, np.int64)
        nk = crossings(xy, a, k, w, cols, rows)
        if nk == 0:
            continue
        # rows (ceil((v - 2) / 5), clamped to the image), bucketed by column, sorted
        c_lo, c_hi = cols[0], cols[0]
        for j in range(nk):
            c_lo = min(c_lo, cols[j])
            c_hi = max(c_hi, cols[j])
            rows[j] = min(max(-((2 - rows[j]) // 5), 0), h)
        nc = c_hi - c_lo + 1
        if nc + 1 > start.size:
            start = np.zeros(2 * nc + 2, np.int64)
        start[: nc + 1] = 0
        for j in range(nk):
            start[cols[j] - c_lo + 1] += 1
        for c in range(nc):
            start[c + 1] += start[c]
        for j in range(nk):  # into the column's bucket (sorted below)
            c = cols[j] - c_lo
            p = start[c]
            runs[p] = rows[j]
            start[c] = p + 1
        # start[c] is now the end of bucket c; bucket c is [end(c - 1), end(c))
        # toggles at one place cancel in pairs; the rest pair up into runs down each column
        m = 0
        odd = False
        b0 = 0
        for c in range(nc):
            b1 = start[c]
            for x in range(b0 + 1, b1):  # insertion sort (a few rows a column)
                r = runs[x]
                y = x - 1
                while y >= b0 and runs[y] > r:
                    runs[y + 1] = runs[y]
                    y -= 1
                runs[y + 1] = r
            mc = m
            x = b0
            while x < b1:
                e = 1
                while x + e < b1 and runs[x + e] == runs[x]:
                    e += 1
                if e & 1:
                    cols[m] = c + c_lo
                    rows[m] = runs[x]
                    m += 1
                x += e
            if (m - mc) & 1:
                odd = True
                break
            b0 = b1
        if odd:  # not a closed walk (cannot happen): pycocotools draws it
            bad[i] = True
            continue
        if m == 0:
            continue
        # cols/rows[0:m] hold run starts and ends, paired, by column then row
        top, bottom, total = h, 0, 0
        for r in range(0, m, 2):
            top = min(top, rows[r])
            bottom = max(bottom, rows[r + 1])
            total += rows[r + 1] - rows[r]
        lo_col = cols[0]
        bh_i, bw_i = bottom - top, cols[m - 1] - lo_col + 1
        y0[i], x0[i], bh[i], bw[i], area[i] = top, lo_col, bh_i, bw_i, total
        if o + 7 * (m + 2) > buf.size:
            grown = np.empty(2 * buf.size + 7 * (m + 2), np.uint8)
            grown[:o] = buf[:o]
            buf = grown
        # counts of the box, column-major: background, run, background, ...; runs that meet
        # across a column boundary are one; each written as it is final (`put` needs the
        # count two back, kept in c1 / c2)
        cnt_n, end = 0, 0
        for r in range(0, m, 2):
            s = (cols[r] - lo_col) * bh_i + rows[r] - top
            e = s + rows[r + 1] - rows[r]
            if cnt_n and s == end:
                cnt[cnt_n - 1] += e - s
            else:
                if cnt_n + 3 > cnt.size:
                    grown_c = np.empty(2 * cnt.size, np.int64)
                    grown_c[:cnt_n] = cnt[:cnt_n]
                    cnt = grown_c
                cnt[cnt_n] = s - end
                cnt[cnt_n + 1] = e - s
                cnt_n += 2
            end = e
        if end < bh_i * bw_i:
            cnt[cnt_n] = bh_i * bw_i - end
            cnt_n += 1
        for c in range(cnt_n):
            o = put(buf, o, cnt[c] - cnt[c - 2] if c > 2 else cnt[c])
    soff[n] = o
    return y0, x0, bh, bw, area, soff, buf[:o], bad
