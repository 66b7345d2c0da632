"""Rasterising drawn shapes, each under the rule of the tool that reads it (see core.drawn).

* pycocotools for polygons (COCO, CVAT/Datumaro and YOLO readers): exactly its pixels on the
  whole image, computed from the image coordinates over the columns the shape crosses
  (`core.coco_polygons`), never by moving the shape into a small window (not exact).
* PIL for LabelMe's shapes (`labelme.utils.shape_to_mask`): outline included, float vertices
  as given; drawn at their true coordinates on an image-sized canvas, of which only each
  shape's box is read back and cleared (`PilCanvas`: a shape costs its box, not the image).
  PIL is imported on first use (~25 ms).
* Polygons reaching far beyond the image are clipped first (`polygon_clip.tame_polygon`):
  both rasterisers take C ints, and pycocotools segfaulted on a vertex at 1e12.
* pixel centres inside, for rectangles and ellipses (rotated about their centre).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from segstudio.core.coco_polygons import rasterise as coco_kernel
from segstudio.core.masks import MaskPatch, Shape
from segstudio.core.polygon_clip import far_window, tame_polygon, within

LINE_WIDTH = 10  # LabelMe's shape_to_mask defaults
POINT_RADIUS = 5


def rasterise(shape, image_shape: Shape) -> MaskPatch:
    """The mask a `DrawnShape` makes under its own rule."""
    kind, rule = shape.kind, shape.rule
    if kind == "rectangle":
        x0, y0, x1, y1 = shape.coords[0]
        return box_patch(x0, y0, x1, y1, shape.rotation, image_shape)
    if kind == "ellipse":
        cx, cy, rx, ry = shape.coords[0]
        return ellipse_patch(cx, cy, rx, ry, shape.rotation, image_shape)
    rings = shape.rings()
    if kind == "polygon" and rule == "coco":
        return coco_polygon_patch([r.ravel().tolist() for r in rings], image_shape)
    canvas = PilCanvas(image_shape)
    out = MaskPatch.empty(image_shape)
    for r in rings:
        if kind == "polygon":
            out = out.union(pil_polygon(r, canvas))
        elif kind == "polyline":
            out = out.union(pil_line(r, canvas))
        else:
            for x, y in r:
                out = out.union(pil_disc(x, y, POINT_RADIUS, canvas))
    return out.tight()


# ---------------------------------------------------------------------- pixel centres inside
def box_patch(x0: float, y0: float, x1: float, y1: float, rotation: float, image_shape: Shape) -> MaskPatch:
    """Pixels whose centres lie inside the box (edges included), rotated about its centre."""
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    if not rotation:
        H, W = image_shape  # clamped first: a box of 1e9 pixels costs its part in the image
        c0, c1 = max(0, int(math.ceil(x0 - 0.5))), min(W, int(math.floor(x1 - 0.5)) + 1)
        r0, r1 = max(0, int(math.ceil(y0 - 0.5))), min(H, int(math.floor(y1 - 0.5)) + 1)
        if c1 <= c0 or r1 <= r0:
            return MaskPatch.empty(image_shape)
        return MaskPatch.from_window(np.ones((r1 - r0, c1 - c0), bool), r0, c0, image_shape)
    cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    return _inside(cx, cy, hw, hh, rotation, image_shape,
                   lambda u, v: (np.abs(u) <= hw + 1e-9) & (np.abs(v) <= hh + 1e-9))


def ellipse_patch(cx: float, cy: float, rx: float, ry: float, rotation: float, image_shape: Shape) -> MaskPatch:
    """Pixels whose centres lie inside the ellipse (boundary included)."""
    if rx < 0.5 or ry < 0.5:
        return MaskPatch.empty(image_shape)
    return _inside(cx, cy, rx, ry, rotation, image_shape,
                   lambda u, v: (u / rx) ** 2 + (v / ry) ** 2 <= 1.0)


def _inside(cx, cy, a, b, rotation, image_shape, test) -> MaskPatch:
    t = math.radians(rotation)
    c, s = math.cos(t), math.sin(t)
    ex, ey = abs(a * c) + abs(b * s), abs(a * s) + abs(b * c)  # half-extent of the rotated box
    c0, r0 = max(0, int(math.floor(cx - ex))), max(0, int(math.floor(cy - ey)))
    c1 = min(image_shape[1], int(math.ceil(cx + ex)))
    r1 = min(image_shape[0], int(math.ceil(cy + ey)))
    if c1 <= c0 or r1 <= r0:
        return MaskPatch.empty(image_shape)
    yy, xx = np.mgrid[r0:r1, c0:c1]
    dx, dy = xx + 0.5 - cx, yy + 0.5 - cy
    # image y points down: a positive angle turns the shape clockwise on screen (as CVAT)
    u, v = dx * c + dy * s, -dx * s + dy * c
    return MaskPatch.from_window(test(u, v), r0, c0, image_shape).tight()


# ---------------------------------------------------------------------- pycocotools
# Exactness: pycocotools rounds 5 * x + .5 to an int and interpolates edges in doubles, so a
# polygon moved into a small window (a shifted double is a different double: 100.1 - 100 is
# not 0.1) rounds its ties differently -- half of all polygons with tenth-pixel coordinates
# lost or gained a few pixels that way.  Masks are drawn from the image coordinates by
# `core.coco_polygons` (pycocotools' algorithm, bit for bit, visiting only the columns the
# polygon crosses); what it cannot prove exact is drawn by pycocotools itself, unshifted, on
# the image cut at the polygon's bottom-right corner: a pixel never depends on the image
# beyond its own row and column, so that is the whole image's result (docs/decisions/
# formats-cvat.md, "Exact pycocotools masks").
_PYCOCO_PIXELS = 1 << 31  # pycocotools' positions are C uints: no reference beyond this
_BATCH = 2048  # masks per kernel call in `coco_polygon_patches`


def coco_window(polygons: list[list[float]], y0: int, x0: int, h: int, w: int,
                image_shape: Shape | None = None) -> np.ndarray:
    """pycocotools' rasterisation of flat polygons (image coordinates; their union) on the whole
    image, read over the window (y0, x0, h, w) inside it.  `image_shape` (default: the window's
    bottom-right corner) only decides which far vertices are clipped (`tame_polygon`)."""
    if not polygons or h <= 0 or w <= 0:
        return np.zeros((max(h, 0), max(w, 0)), bool)
    H, W = y0 + h, x0 + w  # the image cut at the window's corner: the same pixels in the window
    rings = _coco_rings(polygons, image_shape or (H, W))
    out = np.zeros((h, w), bool)
    if not rings:
        return out
    top, left, box = _coco_mask(rings, H, W)
    r0, c0 = max(top, y0), max(left, x0)
    r1, c1 = min(top + box.shape[0], H), min(left + box.shape[1], W)
    if r1 > r0 and c1 > c0:
        out[r0 - y0:r1 - y0, c0 - x0:c1 - x0] = box[r0 - top:r1 - top, c0 - left:c1 - left]
    return out


def coco_polygon_patch(polygons: list[list[float]], image_shape: Shape) -> MaskPatch:
    """Flat polygons (their union) rasterised exactly as pycocotools does on the whole image,
    at the cost of their own columns; far polygons are clipped first (`tame_polygon`)."""
    H, W = int(image_shape[0]), int(image_shape[1])
    rings = _coco_rings(polygons, (H, W))
    if not rings or H <= 0 or W <= 0:
        return MaskPatch.empty(image_shape)
    y0, x0, box = _coco_mask(rings, H, W)
    if not box.size:
        return MaskPatch.empty(image_shape)
    return MaskPatch(y0, x0, box, (H, W))


def coco_polygon_patches(masks: list[list[list[float]]], shapes: list[Shape]) -> list[MaskPatch]:
    """`coco_polygon_patch` of many masks (each a list of flat polygons, on an image of the
    matching shape) in one kernel call: ~20 us a mask instead of ~250 us of numpy calls."""
    n = len(masks)
    if n > _BATCH:  # arrays stay cache-sized
        return [p for a in range(0, n, _BATCH)
                for p in coco_polygon_patches(masks[a:a + _BATCH], shapes[a:a + _BATCH])]
    rings = coco_polygon_rings(masks, shapes)
    H, W = rings.H, rings.W
    if not rings.rings:
        return [MaskPatch.empty((int(h), int(w))) for h, w in zip(H, W)]
    runs, bad = coco_kernel(rings.xy, rings.ring_off, rings.owner, H, W)
    out = []
    for i, (y0, x0, box) in enumerate(runs.masks()):
        shape = (int(H[i]), int(W[i]))
        if bad[i]:
            y0, x0, box = _pycocotools_mask(rings.of(i), *shape)
        out.append(MaskPatch(y0, x0, box, shape) if box.size else MaskPatch.empty(shape))
    return out


@dataclass
class CocoRings:
    """The rings pycocotools is given for n masks (`_coco_rings` of each), concatenated for
    `core.coco_polygons.rasterise`: ring k is xy[ring_off[k]:ring_off[k + 1]] of mask owner[k]."""

    rings: list[np.ndarray]
    owner: np.ndarray
    H: np.ndarray
    W: np.ndarray

    @property
    def xy(self) -> np.ndarray:
        return np.concatenate(self.rings)

    @property
    def ring_off(self) -> np.ndarray:
        off = np.zeros(len(self.rings) + 1, np.int64)
        np.cumsum([len(r) for r in self.rings], out=off[1:])
        return off

    def of(self, i: int) -> list[np.ndarray]:
        """The rings of mask i."""
        return [r for r, o in zip(self.rings, self.owner.tolist()) if o == i]


def coco_polygon_rings(masks: list[list[list[float]]], shapes: list[Shape]) -> CocoRings:
    """The rings of many masks as `coco_polygon_patch` prepares them (ValueError when a
    coordinate is not finite); far or degenerate ones as `_coco_rings` makes them."""
    n = len(masks)
    rings: list[np.ndarray] = []
    owner: list[int] = []
    for i, polygons in enumerate(masks):
        for p in polygons:
            if len(p) >= 2:
                rings.append(np.asarray(p, np.float64).reshape(-1, 2))
                owner.append(i)
    H = np.array([s[0] for s in shapes], np.int64).reshape(n)
    W = np.array([s[1] for s in shapes], np.int64).reshape(n)
    own = np.asarray(owner, np.int64)
    if rings:
        sizes = np.array([len(r) for r in rings], np.int64)
        xy = np.concatenate(rings)
        if not np.isfinite(xy).all():
            raise ValueError("polygon coordinates must be finite numbers")
        f = np.maximum(np.maximum(H, W), 16)[own].astype(np.float64)  # far_window, per ring
        lo, hi = -np.repeat(f, sizes), np.repeat(np.stack([W[own] + f, H[own] + f], 1), sizes, axis=0)
        far = ((xy < lo[:, None]) | (xy > hi)).any(axis=1)
        odd = (np.bincount(np.repeat(np.arange(len(rings)), sizes), weights=far, minlength=len(rings)) > 0) \
            | (sizes < 3)
        for k in np.flatnonzero(odd).tolist():  # far or degenerate: as `coco_polygon_patch` does
            r = _coco_rings([rings[k].ravel()], (int(H[own[k]]), int(W[own[k]])))
            rings[k] = r[0] if r else rings[k][:0]
        keep = [k for k, r in enumerate(rings) if len(r)]
        rings = [rings[k] for k in keep]
        own = own[keep]
    return CocoRings(rings, own, H, W)


def _coco_rings(polygons: list[list[float]], image_shape: Shape) -> list[np.ndarray]:
    """The (n, 2) rings pycocotools is given: finite (else ValueError), far vertices clipped
    (its C ints overflow: a segfault at 1e12), rings of 1-2 points repeated to the 3 it needs
    (they cover nothing), rings wholly far outside dropped."""
    window = far_window(image_shape)
    rings = []
    for p in polygons:
        if len(p) < 2:
            continue
        a = np.asarray(p, np.float64).reshape(-1, 2)
        if not np.isfinite(a).all():
            raise ValueError("polygon coordinates must be finite numbers")
        if len(a) >= 3:
            a = tame_polygon(a, image_shape)
        elif not within(a, window):
            continue
        if len(a) == 0:
            continue
        if len(a) < 3:
            a = np.concatenate([a] * 3)[:3]
        rings.append(a)
    return rings


def _coco_mask(rings: list[np.ndarray], H: int, W: int) -> tuple[int, int, np.ndarray]:
    """(y0, x0, tight box) of the rings' union as pycocotools draws it on an H x W image."""
    sizes = [len(r) for r in rings]
    ring_off = np.zeros(len(rings) + 1, np.int64)
    np.cumsum(sizes, out=ring_off[1:])
    runs, bad = coco_kernel(np.concatenate(rings), ring_off, np.zeros(len(rings), np.int64),
                            np.array([H], np.int64), np.array([W], np.int64))
    if not bad[0]:
        return runs.mask(0)
    return _pycocotools_mask(rings, H, W)


def _pycocotools_mask(rings: list[np.ndarray], H: int, W: int) -> tuple[int, int, np.ndarray]:
    """pycocotools itself, for what the kernel does not prove (never seen on real shapes): on
    the image cut at the rings' bottom-right corner (+2 px), unshifted."""
    from pycocotools import mask as cmask

    pts = np.concatenate(rings)
    h = min(H, max(1, int(np.ceil(pts[:, 1].max())) + 2))
    w = min(W, max(1, int(np.ceil(pts[:, 0].max())) + 2))
    flat = [r.ravel().tolist() for r in rings]
    if h * w < _PYCOCO_PIXELS:
        full = cmask.decode(cmask.merge(cmask.frPyObjects(flat, h, w))).astype(bool)
        patch = MaskPatch(0, 0, full, (H, W)).tight()
        return patch.y0, patch.x0, patch.data
    # beyond pycocotools' own range there is no reference: drawn over the rings' box (shifted)
    x0 = max(0, int(np.floor(pts[:, 0].min())) - 1)
    y0 = max(0, int(np.floor(pts[:, 1].min())) - 1)
    if h <= y0 or w <= x0:
        return 0, 0, np.zeros((0, 0), bool)
    shifted = [(r - (x0, y0)).ravel().tolist() for r in rings]
    box = cmask.decode(cmask.merge(cmask.frPyObjects(shifted, h - y0, w - x0))).astype(bool)
    patch = MaskPatch(y0, x0, box, (H, W)).tight()
    return patch.y0, patch.x0, patch.data


# ---------------------------------------------------------------------- PIL (LabelMe)
MARGIN = 2  # px beyond a shape's coordinates that PIL may touch (outline, rounding)


class PilCanvas:
    """One blank PIL canvas of the image's size, for many shapes (those of one file).

    Each shape is drawn at its true coordinates, so its pixels are exactly LabelMe's (PIL's
    float edge arithmetic is not translation-exact: on a shifted small canvas ~1 shape in 7,000
    differed by a pixel), then only its bounding box is read back and cleared: a shape costs its
    box, not the image (8000x8000: ~230 ms a shape on a fresh full-size canvas, ~1 ms here).
    The canvas (one byte per pixel) is made on first use.  Coordinates must be tamed first
    (finite, within `far_window`): PIL converts them to C ints."""

    def __init__(self, image_shape: Shape) -> None:
        self.shape = (int(image_shape[0]), int(image_shape[1]))
        self._img: Any = None  # PIL.Image.Image and its ImageDraw, made on first use
        self._draw: Any = None

    def paint(self, paint, lo: tuple[float, float], hi: tuple[float, float], reach: float = 0) -> MaskPatch:
        """`paint(ImageDraw)` drawn; the pixels within [lo - reach, hi + reach] as a patch."""
        h, w = self.shape
        if not within(np.array([lo, hi], np.float64), far_window(self.shape)):
            raise ValueError("a shape reaching more than one image size beyond the image")
        m = reach + MARGIN
        x0, y0 = max(0, math.floor(lo[0] - m)), max(0, math.floor(lo[1] - m))
        x1, y1 = min(w, math.ceil(hi[0] + m) + 1), min(h, math.ceil(hi[1] + m) + 1)
        if x1 <= x0 or y1 <= y0:
            return MaskPatch.empty(self.shape)
        if self._img is None:
            from PIL import Image, ImageDraw

            self._img = Image.new("L", (w, h), 0)
            self._draw = ImageDraw.Draw(self._img)
        paint(self._draw)
        box = (x0, y0, x1, y1)
        crop = np.asarray(self._img.crop(box)).astype(bool)
        self._img.paste(0, box)
        return MaskPatch(y0, x0, crop, self.shape).tight()


def _xy(points) -> list[tuple[float, float]]:
    """Vertices as Python floats, what LabelMe hands to PIL (`[tuple(p) for p in points]`)."""
    return [(float(x), float(y)) for x, y in np.asarray(points, np.float64).reshape(-1, 2).tolist()]


def _extent(xy) -> tuple[tuple[float, float], tuple[float, float]]:
    xs, ys = [p[0] for p in xy], [p[1] for p in xy]
    return (min(xs), min(ys)), (max(xs), max(ys))


def pil_polygon(points, canvas: PilCanvas) -> MaskPatch:
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    if len(pts) >= 3:
        pts = tame_polygon(pts, canvas.shape)  # far vertices clipped (PIL takes C ints)
        if len(pts) < 3:
            return MaskPatch.empty(canvas.shape)
    xy = _xy(pts)
    lo, hi = _extent(xy)
    if len(xy) >= 3:
        return canvas.paint(lambda d: d.polygon(xy, outline=1, fill=1), lo, hi)
    return canvas.paint(lambda d: d.line(xy, fill=1, width=1), lo, hi)  # degenerate: its outline


def pil_rectangle(points, canvas: PilCanvas) -> MaskPatch:
    (x0, y0), (x1, y1) = _xy(points)[:2]
    # LabelMe passes the two corners as drawn; PIL wants them ordered (newer PIL refuses others)
    lo, hi = (min(x0, x1), min(y0, y1)), (max(x0, x1), max(y0, y1))
    return canvas.paint(lambda d: d.rectangle([*lo, *hi], outline=1, fill=1), lo, hi)


def pil_disc(cx: float, cy: float, r: float, canvas: PilCanvas) -> MaskPatch:
    lo, hi = (cx - r, cy - r), (cx + r, cy + r)
    return canvas.paint(lambda d: d.ellipse([*lo, *hi], outline=1, fill=1), lo, hi)


def pil_line(points, canvas: PilCanvas, width: int = LINE_WIDTH) -> MaskPatch:
    xy = _xy(points)
    lo, hi = _extent(xy)
    return canvas.paint(lambda d: d.line(xy, fill=1, width=width), lo, hi, reach=width / 2)
