"""Overlay composition, pure numpy: instance masks -> a premultiplied ARGB32 image of a box.

The canvas keeps one label raster (the id of the topmost visible instance per
pixel); an edit repaints only its dirty box of the raster, and a tile of the
overlay at any zoom level is a lookup-table pass over a (strided) window of it.
Holes are simply pixels of another label (or none), so they render as holes.

Pixel format: uint32 0xAARRGGBB with premultiplied colour, i.e. Qt's
Format_ARGB32_Premultiplied on little-endian machines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from segstudio.core.document import Box, ImageDocument

MODES = ("fill", "outline", "both")
SELECTED_LINE = 0xFFFFFFFF  # the selected instance's outline: opaque white


def argb(rgb: tuple[int, int, int], alpha: float) -> int:
    """Premultiplied 0xAARRGGBB for an RGB colour and an alpha in [0, 1]."""
    a = max(0.0, min(1.0, float(alpha)))
    r, g, b = (int(round(c * a)) for c in rgb)
    return (int(round(a * 255)) << 24) | (r << 16) | (g << 8) | b


@dataclass
class OverlayStyle:
    """Lookup tables indexed by label (instance id): fill and outline colours."""

    fill: np.ndarray  # uint32[n]
    line: np.ndarray  # uint32[n]
    mode: str = "both"
    hatch: np.ndarray | None = None  # bool[n]: drawn hatched (ignore regions)

    @classmethod
    def build(
        cls,
        colors: Mapping[int, tuple[int, int, int]],
        *,
        opacity: float = 0.45,
        mode: str = "both",
        selected: Iterable[int] = (),
        hover: int | None = None,
        hatched: Iterable[int] = (),
    ) -> OverlayStyle:
        if mode not in MODES:
            raise ValueError(f"unknown overlay mode {mode!r}; expected one of {MODES}")
        n = max(colors, default=0) + 1
        fill = np.zeros(n, np.uint32)
        line = np.zeros(n, np.uint32)
        selected = set(selected)
        for iid, rgb in colors.items():
            boost = 0.25 if iid == hover else 0.0
            fill[iid] = argb(rgb, min(1.0, opacity + boost))
            line[iid] = argb(rgb, 1.0)
            if iid in selected:
                fill[iid] = argb(rgb, min(1.0, opacity + 0.15 + boost))
                line[iid] = argb((255, 255, 255), 1.0)
            elif iid == hover:
                line[iid] = argb((min(255, rgb[0] + 90), min(255, rgb[1] + 90), min(255, rgb[2] + 90)), 1.0)
        if mode == "outline":
            fill[:] = 0
            if hover is not None and hover < n:
                fill[hover] = argb(colors[hover], 0.2)
        hatch = None
        marked = [i for i in hatched if 0 <= i < n]
        if marked:
            hatch = np.zeros(n, bool)
            hatch[marked] = True
        return cls(fill, line, mode, hatch)


class LabelRaster:
    """Per-pixel id of the topmost visible instance (0 = none), repainted by dirty box."""

    def __init__(self, shape: tuple[int, int], dtype: type = np.uint16) -> None:
        self.shape = (int(shape[0]), int(shape[1]))
        self.labels: np.ndarray = np.zeros(self.shape, dtype)  # calloc: untouched pages cost nothing
        self._blank = True

    def rebuild(self, document: ImageDocument, hidden: set[int] | None = None) -> None:
        self._ensure_dtype(document)
        if not self._blank:
            self.labels.fill(0)
        self._blank = False
        self._paint(document, (0, 0, self.shape[1], self.shape[0]), hidden or set())

    def update(self, document: ImageDocument, box: Box | None, hidden: set[int] | None = None) -> Box | None:
        """Repaint `box` (x0, y0, x1, y1) from the document; returns the clipped box."""
        if box is None:
            return None
        self._ensure_dtype(document)
        h, w = self.shape
        x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])
        if x1 <= x0 or y1 <= y0:
            return None
        self.labels[y0:y1, x0:x1] = 0
        self._blank = False
        self._paint(document, (x0, y0, x1, y1), hidden or set())
        return (x0, y0, x1, y1)

    def _paint(self, document: ImageDocument, box: Box, hidden: set[int]) -> None:
        """Write instance ids into a zeroed box, bottom to top (the topmost wins)."""
        x0, y0, x1, y1 = box
        region = self.labels[y0:y1, x0:x1]
        for inst in document:
            m = inst.mask
            if inst.id in hidden or m.data.size == 0:
                continue
            iy0, ix0, iy1, ix1 = max(y0, m.y0), max(x0, m.x0), min(y1, m.y1), min(x1, m.x1)
            if iy1 <= iy0 or ix1 <= ix0:
                continue
            sub = m.data[iy0 - m.y0 : iy1 - m.y0, ix0 - m.x0 : ix1 - m.x0]
            # copyto with a mask is several times faster than boolean fancy indexing.
            np.copyto(region[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0], inst.id, where=sub, casting="unsafe")

    def _ensure_dtype(self, document: ImageDocument) -> None:
        top = max(document.order, default=0)
        if top > np.iinfo(self.labels.dtype).max:
            self.labels = self.labels.astype(np.int32)


def _window(a: np.ndarray, box: Box, step: int, pad: int) -> np.ndarray:
    """a[y0-pad*step : y1+pad*step : step, ...] with edge replication outside `a`."""
    x0, y0, x1, y1 = box
    h, w = a.shape[:2]
    ys = np.arange(y0 - pad * step, y1 + pad * step, step)
    xs = np.arange(x0 - pad * step, x1 + pad * step, step)
    if ys[0] >= 0 and xs[0] >= 0 and ys[-1] < h and xs[-1] < w:
        return a[ys[0] : ys[-1] + 1 : step, xs[0] : xs[-1] + 1 : step]
    return a[np.clip(ys, 0, h - 1)[:, None], np.clip(xs, 0, w - 1)[None, :]]


def compose(labels: np.ndarray, box: Box, style: OverlayStyle, step: int = 1) -> np.ndarray:
    """The overlay of `box` (level-0 coordinates) sampled every `step` pixels: uint32 ARGB.

    Outlines are the labelled pixels with a differently labelled 4-neighbour (at this
    sampling), so they stay one screen pixel wide at every zoom level.
    """
    lab = _window(labels, box, step, 1)
    core = lab[1:-1, 1:-1]
    n = len(style.fill)
    idx = np.minimum(core, n - 1) if core.size and int(core.max(initial=0)) >= n else core
    out = style.fill[idx]
    edge = (
        (core != lab[:-2, 1:-1]) | (core != lab[2:, 1:-1]) | (core != lab[1:-1, :-2]) | (core != lab[1:-1, 2:])
    ) & (core != 0)
    if style.hatch is not None:
        _hatch(out, idx, core, box, step, style.hatch)
    if style.mode in ("outline", "both"):
        out[edge] = style.line[idx[edge]]
    else:  # fill mode still outlines the selection (drawn white)
        special = edge & (style.line[idx] == np.uint32(SELECTED_LINE))
        out[special] = np.uint32(SELECTED_LINE)
    return np.ascontiguousarray(out)


HATCH = 4  # screen pixels per stripe of an ignore region's hatching


def _hatch(out: np.ndarray, idx: np.ndarray, core: np.ndarray, box: Box, step: int, hatch: np.ndarray) -> None:
    """Clear every other diagonal stripe of hatched labels (in screen pixels: the same at any
    zoom), so ignore regions read as "not an object" at a glance."""
    marked = hatch[idx] & (core != 0)
    if not marked.any():
        return
    yy, xx = np.indices(core.shape)
    band = ((xx + box[0] // step + yy + box[1] // step) // HATCH) % 2 == 1
    out[marked & band] = 0


def compose_mask(
    mask: np.ndarray, box: Box, rgb: tuple[int, int, int], alpha: float, step: int = 1, stripes: bool = False
) -> np.ndarray:
    """A boolean (or uint8) image-sized mask's overlay over `box`: one colour, outlined.

    `stripes` gives a diagonal hatch (used for proposals, so they never look accepted)."""
    lab = _window(mask, box, step, 1).astype(bool)
    core = lab[1:-1, 1:-1]
    out = np.zeros(core.shape, np.uint32)
    fill = np.uint32(argb(rgb, alpha))
    if stripes:
        yy, xx = np.indices(core.shape)
        x0, y0 = box[0] // step, box[1] // step
        band = ((xx + x0 + yy + y0) // 4) % 2 == 0
        out[core & band] = fill
        out[core & ~band] = np.uint32(argb(rgb, alpha * 0.4))
    else:
        out[core] = fill
    edge = core & ~(lab[:-2, 1:-1] & lab[2:, 1:-1] & lab[1:-1, :-2] & lab[1:-1, 2:])
    out[edge] = np.uint32(argb(rgb, 1.0))
    return out


def blend_over(base_bgra: np.ndarray, overlay: np.ndarray) -> np.ndarray:
    """Premultiplied `overlay` (uint32 ARGB, HxW) over an opaque base (uint8 HxWx4 BGRA,
    i.e. uint32 RGB32 bytes); returns uint32 RGB32 (alpha 255).  One opaque tile per
    frame is far cheaper to draw than two layers blended by the paint engine."""
    h, w = overlay.shape
    ov = np.ascontiguousarray(overlay, np.uint32).view(np.uint8).reshape(h, w, 4)
    inv = 255 - ov[..., 3]
    inv4 = cv2.merge([inv, inv, inv, inv])
    out = cv2.multiply(np.ascontiguousarray(base_bgra), inv4, scale=1.0 / 255.0)
    cv2.add(out, ov, dst=out)
    out[..., 3] = 255
    return out.view(np.uint32).reshape(h, w)
