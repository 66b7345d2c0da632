"""COCO conversion of one block of annotations: the unit of work of import and export.

The same functions run inline (small files) or in a worker process (`segstudio.io.parallel`),
so output bytes do not depend on where they ran.  They take and return plain picklable data,
and this module imports only numpy and the RLE kernels, so a worker starts quickly (it is
preloaded by the fork server); the polygon modes import OpenCV and pycocotools on first use.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from segstudio.io import rle_batch as rb

Loss = tuple[str, str, int]  # (kind, item, count) for ExportReport.lose
# y0, x0, h, w, area, box-local counts of consecutive annotations
PatchBlock = tuple[list[int], list[int], list[int], list[int], list[int], list[str]]


def export_block(payload: tuple) -> tuple[str, dict[int, int], list[Loss]]:
    """JSON text of a block of annotations (comma-separated), instances per category id, losses.

    `payload`: store rows (image_id, category_id, rle, y0, x0, h, w, area, crowd, score,
    attributes, image height, image width, drawn shape), the segmentation mode, the index of
    the first row in its file (annotation ids are 1-based positions in the file) and, optionally,
    the polygon tolerance in pixels.
    """
    rows, mode, k0 = payload[:3]
    tolerance = payload[3] if len(payload) > 3 else 0.0
    if mode == "rle" and rows:
        return _rle_block(rows, k0)
    losses: list[Loss] = []
    segs = segmentations(rows, mode, k0, losses, tolerance)
    parts = []
    per_cat: Counter = Counter()
    for k, (row, seg) in enumerate(zip(rows, segs), k0 + 1):
        iid, cid, _, y0, x0, h, w, area, crowd, score, attrs = row[:11]
        extra = ""
        if score is not None:
            extra += f',"score":{float(score)!r}'
        if attrs and attrs != "{}":
            extra += f',"attributes":{attrs}'
        parts.append(
            f'{{"id":{k},"image_id":{iid},"category_id":{cid},"segmentation":{seg},'
            f'"area":{area},"bbox":[{x0},{y0},{w},{h}],"iscrowd":{int(crowd)}{extra}}}'
        )
        per_cat[cid] += 1
    return ",\n".join(parts), dict(per_cat), losses


def _rle_block(rows: list, k0: int) -> tuple[str, dict[int, int], list[Loss]]:
    """`export_block` for segmentation=rle: columns in, one f-string per annotation out."""
    iid, cid, enc, y0, x0, h, w, area, crowd, score, attrs, H, W = list(zip(*rows))[:13]
    y0a, x0a, ha, Ha, Wa = (np.array(c, np.int64) for c in (y0, x0, h, H, W))
    counts = rb.patch_strings_to_image(enc, y0a, x0a, ha, Ha, Wa)
    parts = [
        f'{{"id":{k},"image_id":{a},"category_id":{b},"segmentation":{{"size":[{hh},{ww}],'
        f'"counts":"{_escaped(s)}"}},"area":{ar},"bbox":[{x},{y},{wi},{he}],"iscrowd":{int(cr)}'
        f'{"" if sc is None and (not at or at == "{}") else _extra(sc, at)}}}'
        for k, a, b, hh, ww, s, ar, x, y, wi, he, cr, sc, at in zip(
            range(k0 + 1, k0 + 1 + len(rows)), iid, cid, H, W, counts, area, x0, y0, w, h,
            crowd, score, attrs)
    ]
    return ",\n".join(parts), dict(Counter(cid)), []


def _escaped(s: str) -> str:
    """JSON string body of an RLE counts string ('\\' is one of its characters)."""
    return s.replace("\\", "\\\\") if "\\" in s else s


def _extra(score, attrs) -> str:
    extra = ""
    if score is not None:
        extra += f',"score":{float(score)!r}'
    if attrs and attrs != "{}":
        extra += f',"attributes":{attrs}'
    return extra


def segmentations(rows: list, mode: str, k0: int, losses: list[Loss], tolerance: float = 0.0) -> list[str]:
    """JSON text of each row's segmentation; lossy conversions are appended to `losses`."""
    n = len(rows)
    out: list[str | None] = [None] * n
    need_rle = list(range(n))
    if mode != "rle":
        need_rle = _polygons(rows, mode, k0, losses, out, tolerance)
    if need_rle:
        sel = [rows[k] for k in need_rle] if len(need_rle) < n else rows
        arr = np.array([(r[3], r[4], r[5], r[11], r[12]) for r in sel], np.int64).reshape(-1, 5)
        strings = rb.patch_strings_to_image([r[2] for r in sel], arr[:, 0], arr[:, 1], arr[:, 2],
                                            arr[:, 3], arr[:, 4])
        for k, s, (_, _, _, H, W) in zip(need_rle, strings, arr.tolist()):
            if "\\" in s:
                s = s.replace("\\", "\\\\")
            out[k] = f'{{"size":[{H},{W}],"counts":"{s}"}}'
    return out  # type: ignore[return-value]


def _polygons(rows: list, mode: str, k0: int, losses: list[Loss], out: list,
              tolerance: float = 0.0) -> list[int]:
    """Fill `out` with polygon JSON where mode allows; return the rows that need RLE.

    An instance kept as drawn (a polygon or box) is written as drawn when pycocotools draws it
    as exactly the mask; otherwise its outline is traced and simplified (`_vector`): the
    simplest polygon found that draws exactly the mask, or within `tolerance` pixels."""
    from segstudio.core import rle as core_rle
    from segstudio.core.drawn import DrawnShape
    from segstudio.core.masks import MaskPatch
    from segstudio.io.formats._polygons import coco_raster, fill_holes, outline_polygons
    from segstudio.io.formats._vector import simplify_exact, vector_shape

    need_rle = []
    for k, row in enumerate(rows):
        iid, _, enc, y0, x0, h, w, area, _, _, _, H, W = row[:13]
        item = f"image {iid} annotation {k0 + k + 1}"
        patch = MaskPatch(y0, x0, core_rle.decode({"size": [h, w], "counts": enc}), (H, W))
        drawn = DrawnShape.from_json(row[13]) if len(row) > 13 and row[13] else None
        if drawn is not None and drawn.area == area:
            vs = vector_shape(patch, drawn, "coco", frozenset({"polygon"}), tolerance=tolerance)
            if vs.as_drawn and vs.kind == "polygon":
                if vs.changed:
                    losses.append(("instances whose outline moved within the tolerance", item, 1))
                    losses.append(("pixels changed within the tolerance (total)", item, vs.changed))
                out[k] = _polygon_json(vs.rings)
                continue
        polys, holes = outline_polygons(patch)
        if mode == "auto" and holes:
            need_rle.append(k)
            continue
        wy0, wx0 = max(0, y0 - 1), max(0, x0 - 1)
        wh, ww = min(H, y0 + h + 1) - wy0, min(W, x0 + w + 1) - wx0
        drawn_px = coco_raster(polys, wy0, wx0, wh, ww)
        target = fill_holes(patch) if holes else patch
        diff = int(np.count_nonzero(drawn_px != target.window(wy0, wx0, wh, ww)))
        if diff and mode == "auto" and tolerance <= 0:
            need_rle.append(k)
            continue
        rings = [np.asarray(p, np.float64).reshape(-1, 2) for p in polys]
        if not diff:
            rings = simplify_exact(rings, target, "coco")
        elif tolerance > 0:
            vs = vector_shape(target, None, "coco", frozenset({"polygon"}), tolerance=tolerance, bitmap=False)
            if mode == "auto" and vs.changed and not _within(vs, target, tolerance):
                need_rle.append(k)
                continue
            rings, diff = vs.rings, vs.changed
        if holes:
            losses.append(("instances whose holes were filled (COCO polygons cannot have holes)", item, 1))
            losses.append(("hole pixels filled (total)", item, target.area - patch.area))
        if diff:
            losses.append(("instances whose outline changed under COCO polygon rasterisation", item, 1))
            losses.append(("outline pixels changed by polygon rasterisation (total)", item, diff))
        out[k] = _polygon_json(rings)
    return need_rle


def _within(vs, target, tolerance: float) -> bool:
    from segstudio.io.formats._vector import _changed_within, _window_of, rasterise

    want, _ = _window_of(target)
    return _changed_within(rasterise(vs.rings, "coco", target), want, tolerance)[1]


def _polygon_json(rings) -> str:
    return "[" + ",".join("[" + ",".join(_num(v) for v in np.asarray(r, np.float64).ravel().tolist()) + "]"
                          for r in rings) + "]"


def _num(v: float) -> str:
    s = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def import_block(payload: tuple[int, list[str], np.ndarray, np.ndarray]) -> PatchBlock:
    """Full-image compressed RLE strings of images H x W -> the store's form (box + box RLE).

    `payload`: index of the first string in the file, strings, image heights and widths.
    Raises rle_batch.RleStringError naming the position in the file.
    """
    a, strings, H, W = payload
    try:
        boxes, patch = rb.image_strings_to_patches(strings, H, W)
    except rb.RleStringError as e:
        raise rb.RleStringError(a + e.index, str(e)) from None
    return (boxes.y0.tolist(), boxes.x0.tolist(), boxes.h.tolist(), boxes.w.tolist(),
            boxes.area.tolist(), patch)
