"""Shape interpolation between two keyframe masks through signed distance fields.

Each mask is taken in a window centred on its centroid, turned into a signed distance field
(positive inside, negative outside, in pixels), and the two fields are blended linearly; the
zero level set of the blend is the in-between shape, placed at the linearly interpolated
centroid.  Centring first separates motion from deformation, so a shape that moves and grows
interpolates as a moving, growing shape instead of fading out in one place and in at another.
At t=0 and t=1 the keyframe masks come back exactly.
"""

from __future__ import annotations

import cv2
import numpy as np

from segstudio.core.masks import MaskPatch


def signed_distance(mask: np.ndarray) -> np.ndarray:
    """float32 field: distance to the background inside (>= 1), minus distance to the
    object outside (<= -1); the boundary lies between."""
    m = mask.astype(np.uint8)
    inside = cv2.distanceTransform(m, cv2.DIST_L2, 5)
    outside = cv2.distanceTransform(1 - m, cv2.DIST_L2, 5)
    return inside - outside


def _centroid(mask: MaskPatch) -> tuple[float, float]:
    ys, xs = np.nonzero(mask.data)
    return mask.y0 + float(ys.mean()), mask.x0 + float(xs.mean())


def _half_extent(mask: MaskPatch, cy: float, cx: float) -> tuple[int, int]:
    return (
        int(np.ceil(max(cy - mask.y0, mask.y1 - cy))),
        int(np.ceil(max(cx - mask.x0, mask.x1 - cx))),
    )


def interpolate_masks(a: MaskPatch, b: MaskPatch, t: float) -> MaskPatch:
    """The shape a fraction `t` (0..1) of the way from mask `a` to mask `b`."""
    t = float(min(max(t, 0.0), 1.0))
    if a.is_empty or b.is_empty:
        # Nothing to morph from: the object appears/disappears at the midpoint.
        return (a if t < 0.5 else b).tight()
    a, b = a.tight(), b.tight()
    (ay, ax), (by, bx) = _centroid(a), _centroid(b)
    pad = 2
    hy = max(_half_extent(a, ay, ax)[0], _half_extent(b, by, bx)[0]) + pad
    hx = max(_half_extent(a, ay, ax)[1], _half_extent(b, by, bx)[1]) + pad
    h, w = 2 * hy + 1, 2 * hx + 1
    ca = (int(round(ay)) - hy, int(round(ax)) - hx)
    cb = (int(round(by)) - hy, int(round(bx)) - hx)
    wa = a.window(ca[0], ca[1], h, w)
    wb = b.window(cb[0], cb[1], h, w)
    blend = (1.0 - t) * signed_distance(wa) + t * signed_distance(wb)
    out = blend > 0
    y0 = int(round((1 - t) * ca[0] + t * cb[0]))
    x0 = int(round((1 - t) * ca[1] + t * cb[1]))
    if t == 0.0:
        y0, x0 = ca
    elif t == 1.0:
        y0, x0 = cb
    return MaskPatch.from_window(out, y0, x0, a.image_shape)


def interpolate_sequence(
    a: MaskPatch, frame_a: int, b: MaskPatch, frame_b: int
) -> dict[int, MaskPatch]:
    """Masks for every frame strictly between `frame_a` and `frame_b`."""
    if frame_b < frame_a:
        a, b, frame_a, frame_b = b, a, frame_b, frame_a
    span = frame_b - frame_a
    return {f: interpolate_masks(a, b, (f - frame_a) / span) for f in range(frame_a + 1, frame_b)}
