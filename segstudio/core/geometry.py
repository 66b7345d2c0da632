"""Mask <-> polygons with holes and several parts.

Polygons are derived views of the mask, never the geometry of record.  Rings are
traced through pixel centres with OpenCV (`RETR_CCOMP`: outer borders and their
holes) and drawn back with every ring of a part in one even-odd fill whose
boundary pixels are included; that round trip reproduces the mask exactly
(checked by property tests).  Area and bbox always come from the mask.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from segstudio.core.masks import MaskPatch, Shape


@dataclass(frozen=True)
class PolygonPart:
    """One connected part: an exterior ring and its hole rings, (N, 2) float arrays of x, y."""

    exterior: np.ndarray
    holes: tuple[np.ndarray, ...] = field(default_factory=tuple)

    @property
    def rings(self) -> tuple[np.ndarray, ...]:
        return (self.exterior, *self.holes)


def mask_to_polygons(
    mask: np.ndarray | MaskPatch, *, offset: tuple[int, int] = (0, 0), simplify: bool = True
) -> list[PolygonPart]:
    """Trace a boolean mask into parts with holes; coordinates are pixel centres (x, y).

    `simplify` keeps only the corner points of straight runs (exact, CHAIN_APPROX_SIMPLE).
    """
    if isinstance(mask, MaskPatch):
        offset = (mask.x0 + offset[0], mask.y0 + offset[1])
        mask = mask.data
    m = np.ascontiguousarray(mask, dtype=np.uint8)
    if m.size == 0 or not m.any():
        return []
    # Pad so contours touching the border are traced as closed rings.
    padded = cv2.copyMakeBorder(m, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    method = cv2.CHAIN_APPROX_SIMPLE if simplify else cv2.CHAIN_APPROX_NONE
    contours, hierarchy = cv2.findContours(padded, cv2.RETR_CCOMP, method)
    if hierarchy is None:
        return []
    hier = hierarchy[0]
    shift = np.array([offset[0] - 1, offset[1] - 1], dtype=np.float64)
    parts: list[PolygonPart] = []
    for i, contour in enumerate(contours):
        if hier[i][3] != -1:  # a hole; collected with its parent
            continue
        exterior = contour.reshape(-1, 2).astype(np.float64) + shift
        holes = []
        child = hier[i][2]
        while child != -1:
            holes.append(contours[child].reshape(-1, 2).astype(np.float64) + shift)
            child = hier[child][0]
        parts.append(PolygonPart(exterior, tuple(holes)))
    return parts


def polygons_to_mask(parts: list[PolygonPart], shape: Shape) -> np.ndarray:
    """Rasterise parts traced by `mask_to_polygons` back to the exact mask."""
    out = np.zeros(shape, np.uint8)
    for part in parts:
        rings = [np.round(r).astype(np.int32).reshape(-1, 1, 2) for r in part.rings]
        layer = np.zeros(shape, np.uint8)
        # Rings of one part together: even-odd interior, with every ring's own pixels drawn.
        cv2.drawContours(layer, rings, -1, 1, thickness=cv2.FILLED, lineType=cv2.LINE_8)
        for ring in rings[1:]:
            cv2.polylines(layer, [ring], True, 1, thickness=1, lineType=cv2.LINE_8)
        out |= layer
    return out.astype(bool)


def fill_polygon(points: np.ndarray, shape: Shape) -> np.ndarray:
    """Pixels covered by a user-drawn polygon (vertices in image x, y), boundary included."""
    out = np.zeros(shape, np.uint8)
    pts = np.round(np.asarray(points, dtype=np.float64)).astype(np.int32).reshape(-1, 1, 2)
    if len(pts) >= 3:
        cv2.fillPoly(out, [pts], 1, lineType=cv2.LINE_8)
    elif len(pts) >= 1:
        cv2.polylines(out, [pts], False, 1)
    return out.astype(bool)


def polygon_area(ring: np.ndarray) -> float:
    """Shoelace area of a ring (for reporting only; areas of record come from masks)."""
    x, y = ring[:, 0], ring[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)


def has_holes(mask: np.ndarray | MaskPatch) -> bool:
    return any(p.holes for p in mask_to_polygons(mask))


def connected_parts(patch: MaskPatch, connectivity: int = 8) -> list[MaskPatch]:
    """Split a patch into its connected parts, largest first."""
    if patch.is_empty:
        return []
    n, labels, stats, _ = cv2.connectedComponentsWithStats(
        patch.data.astype(np.uint8), connectivity=connectivity
    )
    order = sorted(range(1, n), key=lambda i: -stats[i, cv2.CC_STAT_AREA])
    return [MaskPatch(patch.y0, patch.x0, labels == i, patch.image_shape).tight() for i in order]


def simplify_ring(ring: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas-Peucker simplification of a closed ring (lossy; for polygon exports)."""
    if tolerance <= 0 or len(ring) < 4:
        return ring
    approx = cv2.approxPolyDP(ring.astype(np.float32).reshape(-1, 1, 2), tolerance, True)
    return approx.reshape(-1, 2).astype(np.float64)
