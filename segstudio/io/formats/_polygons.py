"""Polygons that the COCO reference rasteriser (pycocotools) turns back into the exact mask.

`geometry.mask_to_polygons` traces pixel centres (exact with our own rasteriser).  COCO readers
rasterise with pycocotools, which treats coordinates as pixel-edge positions, so pixel-centre
rings lose half a pixel all round.  Here rings follow the outline of the pixel squares (traced on
a 2x upsampled mask), which pycocotools reproduces exactly in the vast majority of cases; callers
verify with `coco_raster` and fall back to RLE (or report the loss) when not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from segstudio.core.coco_polygons import rasterise
from segstudio.core.masks import MaskPatch
from segstudio.core.shape_raster import (
    coco_polygon_patch,
    coco_polygon_patches,
    coco_polygon_rings,
    coco_window,
)
from segstudio.io import rle_batch as rb
from segstudio.io.coords import REACHES_OUTSIDE, finite, reaches_outside, tame_polygon
from segstudio.io.errors import FormatError
from segstudio.io.plan import PatchRle, PlanInstance
from segstudio.io.reports import ImportReport


def outline_polygons(patch: MaskPatch, holes: bool = False) -> tuple[list[list[float]], bool]:
    """Flat [x0, y0, x1, y1, ...] outer rings in image coordinates, and whether holes exist.

    Holes are not representable in COCO polygons; they are filled (the caller reports it).
    """
    m = np.ascontiguousarray(patch.data, dtype=np.uint8)
    up = cv2.resize(m, (m.shape[1] * 2, m.shape[0] * 2), interpolation=cv2.INTER_NEAREST)
    up = cv2.copyMakeBorder(up, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    contours, hierarchy = cv2.findContours(up, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    has_holes = hierarchy is not None and bool((hierarchy[0][:, 3] != -1).any())
    out: list[list[float]] = []
    for i, c in enumerate(contours):
        if hierarchy[0][i][3] != -1:
            continue
        # 2x-trace coordinates map back with any offset in (-0.5, -0.25]; -0.375 keeps every
        # vertex away from pycocotools' rounding ties (x * 5 + 0.5 == n.5), so coordinates that
        # were rounded on the way (YOLO's normalised text) still rasterise to the same pixels.
        pts = c.reshape(-1, 2).astype(np.float64) * 0.5 - 0.375
        pts[:, 0] += patch.x0
        pts[:, 1] += patch.y0
        if len(pts) < 3:  # a degenerate ring; pycocotools needs >= 3 points
            pts = np.concatenate([pts] * (3 // len(pts) + 1))[:3]
        out.append([round(float(v), 3) for v in pts.ravel()])
    return out, has_holes


def coco_raster(polygons: list[list[float]], y0: int, x0: int, h: int, w: int) -> np.ndarray:
    """pycocotools' rasterisation of `polygons` over the window (y0, x0, h, w)."""
    return coco_window(polygons, y0, x0, h, w)


def polygons_to_patch(polygons: list[list[float]], image_shape: tuple[int, int]) -> MaskPatch:
    """Rasterise COCO polygons the way pycocotools does, over their bounding box only; far
    polygons are clipped first (see `coco_polygon_patch`).  Readers check the coordinates
    with the file and place first: `checked_polygons`."""
    return coco_polygon_patch(polygons, image_shape)


def checked_polygons(seg: Any, file: str | Path, where: str, image_shape: tuple[int, int],
                     rep: ImportReport | None = None, item: str = "") -> list[list[float]]:
    """A COCO-style polygon list (`[[x0, y0, x1, y1, ...], ...]`) read from a file: numbers
    only, finite (else a FormatError naming `where`), rings of fewer than 3 points dropped (none
    left: an error), rings reaching far beyond the image clipped (what is rasterised and kept as
    drawn; none left when all lie outside); a shape reaching outside the image is reported in
    `rep` (the outside part is dropped)."""
    if not isinstance(seg, list):
        raise FormatError(file, "polygons must be arrays of numbers", where)
    out = []
    for k, ring in enumerate(seg):
        pts = finite(ring, file, f"{where}[{k}]")
        if len(pts) >= 6 and len(pts) % 2 == 0:
            out.append(pts.reshape(-1, 2))
    if not out:
        raise FormatError(file, "no polygon with at least 3 points", where)
    if rep is not None and any(reaches_outside(p, image_shape) for p in out):
        rep.lose(REACHES_OUTSIDE, item or where)
    tamed = (tame_polygon(p, image_shape) for p in out)
    return [p.ravel().tolist() for p in tamed if len(p) >= 3]


def fill_holes(patch: MaskPatch) -> MaskPatch:
    """The patch with every hole filled (what a hole-less polygon format can at best keep)."""
    if patch.is_empty:
        return patch
    m = np.ascontiguousarray(patch.data, dtype=np.uint8)
    padded = cv2.copyMakeBorder(m, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    contours, _ = cv2.findContours(padded, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(padded, contours, -1, 1, thickness=cv2.FILLED)
    return MaskPatch(patch.y0, patch.x0, padded[1:-1, 1:-1].astype(bool), patch.image_shape)


RLE_BATCH = 2048  # masks per kernel call in `polygon_rles` (arrays stay cache-sized)


def polygon_rles(masks: list[list[list[float]]], shapes: list[tuple[int, int]]) -> list[PatchRle]:
    """`core.shape_raster.coco_polygon_patches` of many masks (each a list of flat polygons)
    straight into the store's form, the tight box's RLE as `PlanInstance.patch_rle` would
    encode the patch, with no mask decoded or re-encoded: drawn as column runs, boxed and
    encoded together (`rle_batch.column_runs_to_patches`).  An empty mask: a zero box."""
    out: list[PatchRle] = []
    for a in range(0, len(masks), RLE_BATCH):
        part, part_shapes = masks[a:a + RLE_BATCH], shapes[a:a + RLE_BATCH]
        rings = coco_polygon_rings(part, part_shapes)
        if not rings.rings:
            out += [PatchRle(0, 0, 0, 0, "", 0)] * len(part)
            continue
        runs, bad = rasterise(rings.xy, rings.ring_off, rings.owner, rings.H, rings.W)
        boxes, strings = rb.column_runs_to_patches(runs.fo, runs.col, runs.r0, runs.r1)
        rles = [PatchRle(y0, x0, h, w, enc, area) for y0, x0, h, w, enc, area in zip(
            boxes.y0.tolist(), boxes.x0.tolist(), boxes.h.tolist(), boxes.w.tolist(), strings,
            boxes.area.tolist())]
        for i in np.flatnonzero(bad).tolist():  # not proven exact by the kernel: pycocotools
            rles[i] = PlanInstance("", mask=coco_polygon_patches([part[i]], [part_shapes[i]])[0]).patch_rle()
        out += rles
    return out
