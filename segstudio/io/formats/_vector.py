"""What a vector export writes for one instance: its shape as drawn, or the simplest exact polygon.

Every vector format is read by a tool with its own rasteriser (`rule`): pycocotools for COCO,
CVAT, Label Studio and YOLO polygons ("coco"), PIL for LabelMe ("labelme").  For each instance:

1. a kept shape (`core.drawn`) the format can hold is written as drawn when the reader's rule
   turns it into exactly the stored mask (same rule and same area: by construction; another
   rule: rasterised and compared), or, with a `tolerance` > 0, when it moves no pixel farther
   than that from the mask (the changed pixels are reported);
2. otherwise the mask's outline is traced exactly for that rule and simplified: vertices are
   dropped greedily while no pixel sample point falls in the area a drop cuts off or adds
   (`tolerance` > 0: Douglas-Peucker within that many pixels, changes reported); the result is
   rasterised once more and, if it is not exact after all, the unsimplified trace is written.

Holes cannot be polygons: formats with a bitmap form (COCO RLE, LabelMe/CVAT masks, Label
Studio brushes) write those instances as bitmaps; the others fill the holes and report it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from segstudio.core.drawn import DrawnShape
from segstudio.core.geometry import mask_to_polygons
from segstudio.core.masks import MaskPatch
from segstudio.core.shape_raster import PilCanvas, coco_window, pil_polygon

# where each rule samples a pixel, in image coordinates of its vertices: pycocotools samples
# column c at x = c + 0.4 (its 1/5-pixel grid), PIL at the integer pixel index
_SAMPLE = {"coco": 0.4, "labelme": 0.0}
START_TOLERANCE = 0.5  # pixels: the first Douglas-Peucker pass of an exact simplification
MAX_ROUNDS = 24  # refinement rounds before the exact trace is written whole


@dataclass
class VectorShape:
    """`kind`: polygon (rings: one exterior per part), rectangle (x0, y0, x1, y1: the box of
    the pixels covered, corners), ellipse (cx, cy, rx, ry), polyline, points, or mask (write
    the bitmap).  `changed`: pixels the reader will draw differently from the mask."""

    kind: str
    rings: list[np.ndarray] = field(default_factory=list)
    box: tuple[float, ...] = ()
    rotation: float = 0.0
    as_drawn: bool = False
    changed: int = 0
    holes_filled: int = 0  # hole pixels a polygon covers (formats without a bitmap form)


def rasterise(rings: list[np.ndarray], rule: str, patch: MaskPatch) -> np.ndarray:
    """`rings` drawn by `rule`'s reader over the patch's window grown by one pixel."""
    H, W = patch.image_shape
    y0, x0 = max(0, patch.y0 - 1), max(0, patch.x0 - 1)
    y1, x1 = min(H, patch.y1 + 1), min(W, patch.x1 + 1)
    return _draw(rings, rule, (y0, x0, y1 - y0, x1 - x0), patch.image_shape)


def _draw(rings, rule, win, image_shape) -> np.ndarray:
    y0, x0, h, w = win
    if rule == "coco":
        return coco_window([r.ravel().tolist() for r in rings], y0, x0, h, w, image_shape)
    out = np.zeros((h, w), bool)
    full = None
    for r in rings:
        if np.all(r == np.round(r)):  # integer vertices: PIL is translation invariant
            out |= pil_polygon(r - (x0, y0), PilCanvas((h, w))).window(0, 0, h, w)
        else:  # PIL's float arithmetic is not: drawn where they are
            full = full or PilCanvas(image_shape)
            out |= pil_polygon(r, full).window(y0, x0, h, w)
    return out


def _window_of(patch: MaskPatch) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    H, W = patch.image_shape
    y0, x0 = max(0, patch.y0 - 1), max(0, patch.x0 - 1)
    y1, x1 = min(H, patch.y1 + 1), min(W, patch.x1 + 1)
    return patch.window(y0, x0, y1 - y0, x1 - x0), (y0, x0, y1 - y0, x1 - x0)


def _changed_within(drawn: np.ndarray, target: np.ndarray, tolerance: float) -> tuple[int, bool]:
    """(pixels that differ, whether every differing pixel lies within `tolerance` of the other
    mask's boundary)."""
    diff = drawn != target
    n = int(np.count_nonzero(diff))
    if not n:
        return 0, True
    if tolerance <= 0:
        return n, False
    # distance of each differing pixel to the nearest pixel of the other side
    far = False
    for inside, other in ((drawn & ~target, target), (target & ~drawn, drawn)):
        if not inside.any():
            continue
        if not other.any():
            return n, False
        # chessboard distance: a pixel touching the other mask, diagonally too, is 1 away
        dist = cv2.distanceTransform((~other).astype(np.uint8), cv2.DIST_C, 3)
        far = far or bool((dist[inside] > tolerance + 1e-6).any())
    return n, not far


def vector_shape(patch: MaskPatch, drawn: DrawnShape | None, rule: str, kinds: frozenset[str],
                 *, tolerance: float = 0.0, bitmap: bool = True) -> VectorShape:
    """What to write for a mask (with its drawn shape, if any) in a format that holds `kinds`
    (shape kinds, and "rotation" for rotated boxes and ellipses) and whose reader rasterises
    polygons by `rule`.  `bitmap`: the format can write a mask."""
    patch = patch.tight()
    if drawn is not None:
        got = _as_drawn(patch, drawn, rule, kinds, tolerance)
        if got is not None:
            return got
    if "rectangle" in kinds and patch.area == patch.height * patch.width:
        return VectorShape("rectangle", box=(patch.x0, patch.y0, patch.x1, patch.y1))
    parts = mask_to_polygons(patch)
    holes = any(p.holes for p in parts)
    if holes and bitmap:
        return VectorShape("mask")
    target = _filled(patch, parts) if holes else patch
    rings = trace(target, rule)
    if tolerance > 0:
        rings = [_douglas_peucker(r, tolerance) for r in rings]
    else:
        rings = simplify_exact(rings, target, rule)
    drawn_px = rasterise(rings, rule, target)
    want, _ = _window_of(target)
    changed = int(np.count_nonzero(drawn_px != want))
    if changed and tolerance <= 0 and bitmap:
        return VectorShape("mask")
    return VectorShape("polygon", rings, changed=changed,
                       holes_filled=target.area - patch.area if holes else 0)


def _as_drawn(patch: MaskPatch, drawn: DrawnShape, rule: str, kinds, tolerance) -> VectorShape | None:
    kind = drawn.kind
    if kind == "rectangle" and ("rectangle" not in kinds or drawn.rotation and "rotation" not in kinds) \
            and not drawn.rotation:
        kind = "polygon"  # a box is a polygon of four corners in polygon-only formats
    if kind not in kinds or drawn.rotation and "rotation" not in kinds:
        return None
    if drawn.kind in ("rectangle", "ellipse"):
        if drawn.rotation and drawn.kind == "rectangle" and kind != "rectangle":
            return None
        if drawn.area != patch.area or not drawn.rasterise(patch.image_shape).equals(patch):
            return None
        if kind == "polygon":  # an unrotated pixel box: its corners, exact under both rules
            x0, y0, x1, y1 = drawn.coords[0]
            if rule == "labelme":
                x1, y1 = x1 - 1, y1 - 1  # PIL draws the outline: corners at pixel indices
            ring = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)
            return VectorShape("polygon", [ring], as_drawn=True)
        return VectorShape(kind, box=drawn.coords[0], rotation=drawn.rotation, as_drawn=True)
    rings = drawn.rings()
    if kind in ("polyline", "points"):
        exact = drawn.area == patch.area
        return VectorShape(kind, rings, as_drawn=True) if exact else None
    if drawn.rule == rule and drawn.area == patch.area:
        return VectorShape("polygon", rings, as_drawn=True)
    want, win = _window_of(patch)
    got = _draw(rings, rule, win, patch.image_shape)
    changed, close = _changed_within(got, want, tolerance)
    if changed == 0 or close:
        return VectorShape("polygon", rings, as_drawn=True, changed=changed)
    return None


def _filled(patch: MaskPatch, parts) -> MaskPatch:  # noqa: ARG001 - parts kept for callers
    from segstudio.io.formats._polygons import fill_holes

    return fill_holes(patch)


def trace(patch: MaskPatch, rule: str) -> list[np.ndarray]:
    """Exterior rings whose rasterisation by `rule` is the (hole-free) mask, in the vast
    majority of shapes: pixel-square outlines for pycocotools, pixel-centre outlines for PIL."""
    if rule == "coco":
        from segstudio.io.formats._polygons import outline_polygons

        flat, _ = outline_polygons(patch)
        return [np.asarray(p, np.float64).reshape(-1, 2) for p in flat]
    return [p.exterior.astype(np.float64) for p in mask_to_polygons(patch)]


def simplify_exact(rings: list[np.ndarray], patch: MaskPatch, rule: str,
                   start: float = START_TOLERANCE) -> list[np.ndarray]:
    """Fewer vertices, the same pixels under `rule`: Douglas-Peucker at `start` pixels, then
    every edge near a pixel the reader would draw differently is split at the traced vertex
    farthest from it, until nothing differs (at worst the exact trace comes back whole).  Each
    round is one rasterisation of the whole shape; a few rounds suffice."""
    want, win = _window_of(patch)
    keep = [_dp_indices(r, start) for r in rings]
    sample = _SAMPLE[rule]
    # pycocotools' own call over the window drafts each round (~10x cheaper than the exact
    # kernel; it differs from the whole-image result only at rare rounding ties); a draft
    # without differences is confirmed exactly, and once a confirmation fails every later
    # round is exact.
    draft = rule == "coco"
    for _ in range(MAX_ROUNDS):
        out = [r[k] for r, k in zip(rings, keep)]
        drawn = _coco_draft(out, win) if draft else _draw(out, rule, win, patch.image_shape)
        diff = np.argwhere(drawn != want)
        if not len(diff) and draft:
            draft = False
            diff = np.argwhere(_draw(out, rule, win, patch.image_shape) != want)
        if not len(diff):
            return out
        pts = diff[:, ::-1].astype(np.float64) + (win[1] + sample, win[0] + sample)  # x, y
        split = _edges_to_split(rings, keep, pts)
        if not split:
            break
        for ri, ks in split.items():
            r, k = rings[ri], keep[ri]
            extra = [_farthest_between(r, k[j], k[(j + 1) % len(k)]) for j in ks]
            keep[ri] = np.unique(np.concatenate([k, [e for e in extra if e is not None]]))
    return rings


def _coco_draft(rings: list[np.ndarray], win: tuple[int, int, int, int]) -> np.ndarray:
    """pycocotools over the window, the rings shifted into it: a fast draft of `_draw` for the
    "coco" rule, not always exact (a shifted coordinate is another double and rounds ties
    differently), so callers confirm the final answer with `_draw`."""
    from pycocotools import mask as cmask

    y0, x0, h, w = win
    shifted = [(r - (x0, y0)).ravel().tolist() for r in rings if len(r) >= 3]  # traced: finite
    if not shifted:
        return np.zeros((h, w), bool)
    return cmask.decode(cmask.merge(cmask.frPyObjects(shifted, h, w))).astype(bool)


def _dp_indices(ring: np.ndarray, tolerance: float) -> np.ndarray:
    """Indices of the ring's vertices that Douglas-Peucker (OpenCV's) keeps (at least 3).
    Traced vertices lie on a 1/8-pixel grid: scaled to integers they map back exactly."""
    n = len(ring)
    if n <= 3:
        return np.arange(n)
    scaled = np.round(ring * 8).astype(np.int32)
    approx = cv2.approxPolyDP(scaled.reshape(-1, 1, 2), tolerance * 8, True).reshape(-1, 2)
    where: dict[tuple[int, int], int] = {}
    for k, (x, y) in enumerate(scaled.tolist()):
        where.setdefault((x, y), k)
    idx = np.unique([where[(int(x), int(y))] for x, y in approx if (int(x), int(y)) in where])
    if len(idx) < 3:
        idx = np.unique(np.array([0, n // 3, 2 * n // 3]))
    return idx


def _dist_to_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    L = float(ab @ ab)
    if L == 0:
        return np.hypot(*(p - a).T)
    t = np.clip(((p - a) @ ab) / L, 0.0, 1.0)
    return np.hypot(*(p - (a + t[:, None] * ab)).T)


def _edges_to_split(rings, keep, pts: np.ndarray) -> dict[int, list[int]]:
    """Ring -> edges (by position in its kept indices) nearest to the differing pixels, only
    those with traced vertices between their ends."""
    a = np.concatenate([r[k] for r, k in zip(rings, keep)])
    b = np.concatenate([r[np.roll(k, -1)] for r, k in zip(rings, keep)])
    owner = np.concatenate([np.full(len(k), ri) for ri, k in enumerate(keep)])
    pos = np.concatenate([np.arange(len(k)) for k in keep])
    ab = b - a  # E x 2
    L = np.maximum((ab * ab).sum(1), 1e-12)
    ap = pts[:, None, :] - a[None, :, :]  # P x E x 2
    t = np.clip((ap * ab[None]).sum(2) / L[None], 0.0, 1.0)
    d = np.hypot(*(ap - t[..., None] * ab[None]).transpose(2, 0, 1))
    nearest = np.unique(np.argmin(d, axis=1))
    out: dict[int, list[int]] = {}
    for e in nearest.tolist():
        ri, j = int(owner[e]), int(pos[e])
        k = keep[ri]
        if (k[(j + 1) % len(k)] - k[j]) % len(rings[ri]) > 1:
            out.setdefault(ri, []).append(j)
    return out


def _farthest_between(ring: np.ndarray, i0: int, i1: int) -> int | None:
    n = len(ring)
    span = (i1 - i0) % n
    if span < 2:
        return None
    idx = (i0 + 1 + np.arange(span - 1)) % n
    d = _dist_to_segment(ring[idx], ring[i0], ring[i1])
    return int(idx[int(np.argmax(d))])


def _douglas_peucker(ring: np.ndarray, tolerance: float) -> np.ndarray:
    if len(ring) < 4:
        return ring
    approx = cv2.approxPolyDP(ring.astype(np.float32).reshape(-1, 1, 2), tolerance, True)
    out = approx.reshape(-1, 2).astype(np.float64)
    return out if len(out) >= 3 else ring
