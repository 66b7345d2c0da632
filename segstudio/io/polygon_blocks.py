"""Polygons of one block of instances -> the store's form: the unit of work of polygon imports.

Like `coco_blocks`, these functions run inline (small files) or in a worker process
(`segstudio.io.parallel`) and take and return plain picklable data, so the bytes stored do not
depend on where they ran.  Each polygon is drawn exactly as pycocotools draws it on the whole
image (`core.coco_polygons`), straight into the box RLE the store keeps, and comes back with
its drawn shape's JSON (kept as drawn, `core.drawn`).

Only *plain* polygons are converted here: at least 3 finite points, none more than
`OUTSIDE_TOLERANCE` outside the image.  The others (malformed text, NaN, far vertices) are
returned by index for the reader, which knows their file and line, to refuse or clip them.
"""

from __future__ import annotations

import numpy as np

from segstudio.core.coco_polygons import rasterise
from segstudio.io import polygon_jit
from segstudio.io import rle_batch as rb

OUTSIDE_TOLERANCE = 1.0  # px (= io.coords.OUTSIDE_TOLERANCE; not imported: workers stay light)
SHAPE_HEAD = '{"kind":"polygon","rule":"coco","coords":['  # DrawnShape.to_json's layout
# y0, x0, h, w, area, box-local RLE counts, drawn-shape JSON of consecutive instances
ShapeBlock = tuple[list[int], list[int], list[int], list[int], list[int], list[str], list[str | None]]


def cvat_block(payload: tuple) -> tuple[ShapeBlock, list[int]]:
    """CVAT `points` texts ("x0,y0;x1,y1;...") of polygons on images of H x W -> their
    instances, and the indices of the polygons that are not plain (their entries are
    placeholders: area 0, no shape).  `payload`: (texts, H, W[, polygons per numpy kernel
    call[, use the compiled kernels (`polygon_jit`) if they load]])."""
    texts, H, W = payload[:3]
    sub = payload[3] if len(payload) > 3 else len(texts)
    if len(payload) > 4 and payload[4]:
        kernels = polygon_jit.kernels(load=True)
        if kernels is not None:
            done = _compiled_block(kernels, texts, H, W)
            if done is not None:
                return done
    if len(texts) > sub:
        parts = [cvat_block((texts[a:a + sub], H[a:a + sub], W[a:a + sub])) for a in range(0, len(texts), sub)]
        block = tuple([v for part, _ in parts for v in part[c]] for c in range(7))
        return block, [a * sub + j for a, (_, odd) in enumerate(parts) for j in odd]  # type: ignore[return-value]
    n = len(texts)
    counts = [t.count(",") + t.count(";") + 1 for t in texts]
    tokens = ",".join(texts).replace(";", ",").split(",")
    try:
        values = list(map(float, tokens))
        parsed = [True] * n
    except ValueError:  # some polygon is malformed: parse them one by one
        values, parsed = [], []
        for t, c in zip(texts, counts):
            try:
                values += list(map(float, t.replace(";", ",").split(",")))  # all or nothing
                parsed.append(True)
            except ValueError:
                values += [float("nan")] * c
                parsed.append(False)
    return polygon_block(values, counts, np.asarray(parsed, bool), H, W, tokens)


def _compiled_block(kernels, texts: list[str], H, W) -> tuple[ShapeBlock, list[int]] | None:
    """`cvat_block` with the compiled kernels; None when some text is not of the plain decimal
    grammar they read (the numpy path then reads it with `float()`)."""
    joined = "\n".join(texts)
    if not joined.isascii():
        return None
    ok, values, counts, js, joff = kernels.read_points(np.frombuffer(joined.encode("ascii"), np.uint8),
                                                       len(texts))
    if not ok:
        return None
    text, at = js.tobytes().decode("ascii"), joff.tolist()
    drawn = [text[at[i]:at[i + 1]] for i in range(len(texts))]
    return polygon_block(values, counts.tolist(), np.ones(len(texts), bool), H, W,
                         drawn_json=drawn, kernels=kernels)


_REPR: dict[str, str] = {}  # a number's text in the file -> repr of its float
_REPR_LIMIT = 1 << 20  # entries (~100 MB at most); then it starts again


def reprs(tokens: list[str]) -> list[str]:
    """repr of the float of each token, looked up by its text: files repeat coordinates (a
    1024-pixel image has ~100,000 two-decimal ones), and formatting a float costs ~0.2 us.
    The texts not seen yet are found with one set difference (no Python loop over tokens);
    one that is not a number (a polygon the caller refuses) maps to "nan"."""
    if len(_REPR) > _REPR_LIMIT:
        _REPR.clear()
    new = set(tokens).difference(_REPR)
    for t in new:
        try:
            _REPR[t] = repr(float(t))
        except ValueError:
            _REPR[t] = "nan"
    return list(map(_REPR.__getitem__, tokens))


def polygon_block(values: list[float] | np.ndarray, counts: list[int], parsed: np.ndarray, H, W,
                  tokens: list[str] | None = None, drawn_json: list[str] | None = None,
                  kernels=None) -> tuple[ShapeBlock, list[int]]:
    """One-ring polygons given as flat coordinates (`counts` numbers each, `parsed` False for
    the ones that could not be read) -> instances and the indices of the non-plain ones.
    `tokens`: the texts the values were read from, if any (see `reprs`); `drawn_json`: each
    polygon's numbers already as the drawn shape's JSON list body; `kernels`: draw with the
    compiled kernels (`polygon_jit`) instead of numpy."""
    n = len(counts)
    H = np.asarray(H, np.int64)
    W = np.asarray(W, np.int64)
    cnt = np.asarray(counts, np.int64)
    v = np.asarray(values, np.float64)
    owner = np.repeat(np.arange(n), cnt)
    start = np.cumsum(cnt) - cnt
    is_y = ((np.arange(v.size) - np.repeat(start, cnt)) & 1).astype(bool)
    t = OUTSIDE_TOLERANCE
    limit = np.where(is_y, H[owner], W[owner]) + t
    outside = ~((v >= -t) & (v <= limit))  # NaN and infinity too
    plain = parsed & (cnt >= 6) & (cnt % 2 == 0)
    if outside.any():
        plain &= np.bincount(owner, weights=outside, minlength=n) == 0
    ok = np.flatnonzero(plain)
    odd = np.flatnonzero(~plain).tolist()
    keep = np.repeat(plain, cnt)
    xy = v[keep].reshape(-1, 2)
    ring_off = np.concatenate(([0], np.cumsum(cnt[ok] // 2)))
    if kernels is not None:
        *box, at, buf, bad = kernels.draw_rings(xy.ravel(), ring_off, H[ok], W[ok])
        cols = [b.tolist() for b in box]
        enc, at = buf.tobytes().decode("ascii"), at.tolist()
        strings = [enc[at[j]:at[j + 1]] for j in range(ok.size)]
    else:
        runs, bad = rasterise(xy, ring_off, np.arange(ok.size), H[ok], W[ok])
        boxes, strings = rb.column_runs_to_patches(runs.fo, runs.col, runs.r0, runs.r1)
        cols = [b.tolist() for b in (boxes.y0, boxes.x0, boxes.h, boxes.w, boxes.area)]
    if bad.any():  # not proven exact here (never seen): pycocotools on the whole image
        _redraw(np.flatnonzero(bad), xy, ring_off, H[ok], W[ok], cols, strings)
    if drawn_json is not None:
        shapes = [f'{SHAPE_HEAD}[{drawn_json[i]}]],"area":{a}}}' if a else None
                  for i, a in zip(ok.tolist(), cols[4])]
        return _placed(n, ok, odd, cols, strings, shapes)
    if tokens is not None:
        text = reprs(tokens)
    else:
        text = list(map(repr, values if isinstance(values, list) else v.tolist()))
    bounds = np.cumsum(cnt).tolist()
    shapes = [f'{SHAPE_HEAD}[{",".join(text[bounds[i] - counts[i]:bounds[i]])}]],"area":{a}}}' if a else None
              for i, a in zip(ok.tolist(), cols[4])]
    return _placed(n, ok, odd, cols, strings, shapes)


def _placed(n: int, ok: np.ndarray, odd: list[int], cols: list[list[int]], strings: list[str],
            shapes: list[str | None]) -> tuple[ShapeBlock, list[int]]:
    """The block's columns with the plain polygons' entries at their places (`ok`)."""
    if ok.size == n:
        return (cols[0], cols[1], cols[2], cols[3], cols[4], strings, shapes), odd
    out: ShapeBlock = ([0] * n, [0] * n, [0] * n, [0] * n, [0] * n, [""] * n, [None] * n)
    columns: list[list] = [*cols, strings, shapes]
    for c, column in enumerate(columns):
        target: list = out[c]
        for j, i in enumerate(ok.tolist()):
            target[i] = column[j]
    return out, odd


def _redraw(idx, xy, ring_off, H, W, cols, strings) -> None:
    for j in idx.tolist():
        got = draw_full(xy[ring_off[j]:ring_off[j + 1]].ravel().tolist(), int(H[j]), int(W[j]))
        for c in range(5):
            cols[c][j] = got[c]
        strings[j] = got[5]


def draw_full(flat, h: int, w: int) -> tuple[int, int, int, int, int, str]:
    """A polygon drawn by pycocotools itself on the whole image -> (y0, x0, h, w, area, box
    RLE): for the few polygons the kernel does not take (far vertices clipped first)."""
    from pycocotools import mask as cmask

    full = cmask.frPyObjects([list(flat)], h, w)[0]["counts"]
    boxes, enc = rb.image_strings_to_patches([full], np.array([h]), np.array([w]))
    return int(boxes.y0[0]), int(boxes.x0[0]), int(boxes.h[0]), int(boxes.w[0]), int(boxes.area[0]), enc[0]
