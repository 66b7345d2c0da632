"""Per-frame mask refiners for propagation: snap a flow-warped mask to the new frame's edges.

A refiner gets the full RGB frame and the warped mask and returns the refined mask with its
own score in [0, 1].  All work happens in a region of interest around the warped mask, scaled
down to a working size, so the cost is per object, not per frame size.

* `GrabCutRefiner` (default, no weights): a trimap from the warped mask (eroded core = sure
  foreground, a band around it = unknown, beyond = sure background), one GrabCut iteration at
  working resolution, kept only where connected to the warped core; back at full resolution
  only its corrections thicker than a working pixel are taken (`combine_scales`).
* `PromptModelRefiner`: any `segstudio.inference` prompt segmenter, prompted with the warped
  mask's box and a click at its most interior point.
* `NoRefiner`: the warped mask as is (pure optical-flow tracking).
"""

from __future__ import annotations

from typing import Protocol

import cv2
import numpy as np

from segstudio.core.masks import MaskPatch


class MaskRefiner(Protocol):
    name: str

    def refine(self, frame: np.ndarray, warped: MaskPatch) -> tuple[MaskPatch, float]: ...


def roi_around(mask: MaskPatch, margin: float, min_margin: int) -> tuple[int, int, int, int]:
    """(y0, x0, y1, x1) of the mask's box grown by `margin` x its size, clipped to the image."""
    H, W = mask.image_shape
    x, y, w, h = mask.bbox()
    m = max(min_margin, int(round(margin * max(w, h))))
    return max(0, y - m), max(0, x - m), min(H, y + h + m), min(W, x + w + m)


def _disk(r: int) -> np.ndarray:
    r = max(1, int(r))
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def keep_connected(mask: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """The parts of `mask` that touch `seed` (drops specks GrabCut grabs in the background)."""
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if n <= 2:
        return mask
    hit = np.unique(labels[seed & mask])
    hit = hit[hit > 0]
    if hit.size == 0:
        return mask
    return np.isin(labels, hit)


def combine_scales(warped: np.ndarray, coarse_fg: np.ndarray, scale: float) -> np.ndarray:
    """GrabCut's answer at `scale` brought back to full resolution, keeping the warped mask's
    full-resolution edge where the two differ by less than a coarse pixel.

    The difference is taken at full resolution and only its parts thicker than one coarse pixel
    (a morphological opening) are GrabCut's corrections.  Choosing per coarse pixel instead
    (a nearest-neighbour map of where the scales agree, against a linear upsampling) left
    1-pixel seams along coarse rows: horizontal slits every ~1/scale rows, stored and exported.
    """
    h, w = warped.shape
    up = cv2.resize(coarse_fg.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR) > 0.5
    diff = (up != warped).astype(np.uint8)
    r = max(1, int(np.ceil(0.5 / scale)))  # half a coarse pixel: thinner differences are resampling
    corrections = cv2.morphologyEx(diff, cv2.MORPH_OPEN, _disk(r)).astype(bool)
    return np.where(corrections, up, warped)


class NoRefiner:
    name = "none"

    def refine(self, frame: np.ndarray, warped: MaskPatch) -> tuple[MaskPatch, float]:
        return warped, 1.0


class GrabCutRefiner:
    name = "grabcut"

    def __init__(self, work_side: int = 200, iterations: int = 1, band: float = 0.12) -> None:
        self.work_side = work_side
        self.iterations = iterations
        self.band = band  # half-width of the unknown band, fraction of the object size

    def refine(self, frame: np.ndarray, warped: MaskPatch) -> tuple[MaskPatch, float]:
        if warped.is_empty:
            return warped, 0.0
        _, _, bw, bh = warped.bbox()
        band = max(2, int(round(self.band * max(bw, bh))))
        y0, x0, y1, x1 = roi_around(warped, 0.0, 2 * band + 2)
        crop = frame[y0:y1, x0:x1]
        m = warped.window(y0, x0, y1 - y0, x1 - x0)
        h, w = m.shape
        s = min(1.0, self.work_side / max(h, w))
        ws, hs = max(1, round(w * s)), max(1, round(h * s))
        small = cv2.resize(crop, (ws, hs), interpolation=cv2.INTER_AREA) if s < 1 else crop
        ms = cv2.resize(m.astype(np.float32), (ws, hs), interpolation=cv2.INTER_AREA) > 0.5 \
            if s < 1 else m
        bs = max(1, int(round(band * s)))
        core = cv2.erode(ms.astype(np.uint8), _disk(bs)).astype(bool)
        outer = cv2.dilate(ms.astype(np.uint8), _disk(bs)).astype(bool)
        tri = np.full((hs, ws), cv2.GC_BGD, np.uint8)
        tri[outer] = cv2.GC_PR_BGD
        tri[ms] = cv2.GC_PR_FGD
        tri[core] = cv2.GC_FGD
        if not core.any() or outer.all():
            return warped, 0.5  # too thin or fills the frame: nothing reliable to learn from
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        try:
            cv2.setRNGSeed(0x5E65)  # GrabCut's k-means start: the same clip propagates the same way
            cv2.grabCut(np.ascontiguousarray(small), tri, None, bgd, fgd, self.iterations,
                        cv2.GC_INIT_WITH_MASK)
        except cv2.error:
            return warped, 0.5
        fg = (tri == cv2.GC_FGD) | (tri == cv2.GC_PR_FGD)
        fg = keep_connected(fg, core)
        full = combine_scales(m, fg, s) if s < 1 else fg
        out = MaskPatch.from_window(full, y0, x0, warped.image_shape)
        return out, out.iou(warped)


class PromptModelRefiner:
    """Adapts any prompt segmenter (`set_image`, `predict(Prompt)`) to refine warped masks."""

    def __init__(self, segmenter, margin: float = 0.3) -> None:
        self.segmenter = segmenter
        self.margin = margin
        self.name = getattr(segmenter, "model_id", "model")

    def refine(self, frame: np.ndarray, warped: MaskPatch) -> tuple[MaskPatch, float]:
        from segstudio.inference.base import Click, Prompt

        if warped.is_empty:
            return warped, 0.0
        y0, x0, y1, x1 = roi_around(warped, self.margin, 16)
        crop = np.ascontiguousarray(frame[y0:y1, x0:x1])
        m = warped.window(y0, x0, y1 - y0, x1 - x0)
        dist = cv2.distanceTransform(m.astype(np.uint8), cv2.DIST_L2, 3)
        cy, cx = np.unravel_index(int(np.argmax(dist)), dist.shape)
        x, y, w, h = warped.bbox()
        box = (x - x0, y - y0, x - x0 + w, y - y0 + h)
        self.segmenter.set_image(crop)
        # Box + an interior click, the prompt every prompt model understands; the warped mask is
        # not passed as `prev_mask`, which models treat as "the user's last result" to correct
        # locally around new clicks, not as a shape to re-fit.
        res = self.segmenter.predict(Prompt((Click(float(cx), float(cy), True),), box, None))
        out = MaskPatch.from_window(np.asarray(res.mask, bool), y0, x0, warped.image_shape)
        agreement = out.iou(warped)
        return out, float(min(1.0, 0.5 * agreement + 0.5 * float(res.score)))


def make_refiner(kind: str, segmenter=None) -> MaskRefiner:
    if kind == "grabcut":
        return GrabCutRefiner()
    if kind == "none":
        return NoRefiner()
    if kind == "model":
        if segmenter is None:
            raise ValueError("refiner 'model' needs a loaded prompt model")
        return PromptModelRefiner(segmenter)
    raise ValueError(f"unknown refiner {kind!r}; expected grabcut, model or none")
