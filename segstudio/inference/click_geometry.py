"""Where the learned click model looks and what it is shown (numpy/OpenCV, torch-free).

The network sees a square *view* of the image resized to `VIEW` pixels: the whole image
(padded to a square) for a first click, or a box around the object being built (the previous
mask and the clicks, grown by `EXPAND`) once there is a mask (the "zoom-in" of RITM/FocalClick:
small objects get the network's full resolution).  Its input is six planes: the RGB view
normalised with the ImageNet mean/std, the previous mask, and positive / negative click disks.

Training (segstudio.training.click) and inference (segstudio.inference.click_model) both build
their inputs here, so the two can never disagree about coordinates or encodings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

VIEW = 256  # network input side (pixels)
CLICK_RADIUS = 5  # click disk radius in view pixels
EXPAND = 1.4  # zoom box = object box grown by this factor (RITM's expansion ratio)
MIN_ZOOM_FRAC = 0.2  # a zoom box is at least this fraction of the image's long side ...
MIN_ZOOM_PX = 48  # ... and at least this many image pixels
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
PAD_RGB = tuple(int(round(255 * m)) for m in MEAN)  # padding normalises to 0
IN_CHANNELS = 6

# (x, y, positive) in image pixel coordinates
ClickT = tuple[float, float, bool]


@dataclass(frozen=True)
class View:
    """A square window of the image: top-left (x0, y0) and side, in whole image pixels (it may
    reach past the image border; the part outside is padding)."""

    x0: int
    y0: int
    side: int

    @property
    def scale(self) -> float:
        return VIEW / self.side

    def to_view(self, x: float, y: float) -> tuple[float, float]:
        """Image pixel (index coordinates) -> view pixel (index coordinates)."""
        s = self.scale
        return (x + 0.5 - self.x0) * s - 0.5, (y + 0.5 - self.y0) * s - 0.5


def whole_view(h: int, w: int) -> View:
    """The whole image, centred in a square."""
    side = max(h, w)
    return View((w - side) // 2, (h - side) // 2, side)


def box_view(
    x0: float, y0: float, x1: float, y1: float, h: int, w: int, expand: float = EXPAND
) -> View:
    """A square around the box [x0, x1) x [y0, y1), grown by `expand`, never smaller than the
    minimum zoom and never larger than the whole-image view."""
    long_side = float(max(h, w))
    side = max(x1 - x0, y1 - y0) * expand
    side = min(max(side, MIN_ZOOM_FRAC * long_side, MIN_ZOOM_PX), long_side)
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    # keep the window inside the image where it fits (no needless padding)
    side = max(1, int(round(side)))
    vx = min(max(cx - side / 2.0, 0.0), max(w - side, 0.0)) if side <= w else (w - side) / 2.0
    vy = min(max(cy - side / 2.0, 0.0), max(h - side, 0.0)) if side <= h else (h - side) / 2.0
    return View(int(round(vx)), int(round(vy)), side)


def mask_extent(mask: np.ndarray) -> tuple[float, float, float, float] | None:
    """(x0, y0, x1, y1) of a boolean mask's set pixels, x1 and y1 exclusive; None when empty."""
    rows, cols = np.any(mask, axis=1), np.any(mask, axis=0)
    if not rows.any():
        return None
    r, c = np.flatnonzero(rows), np.flatnonzero(cols)
    return float(c[0]), float(r[0]), float(c[-1] + 1), float(r[-1] + 1)


def mask_box(mask: np.ndarray | None, clicks: Iterable[ClickT] = ()) -> tuple[float, float, float, float] | None:
    """Bounding box [x0, x1) x [y0, y1) of the mask and the positive clicks, or None."""
    xs: list[float] = []
    ys: list[float] = []
    for x, y, positive in clicks:
        if positive:
            xs += [x, x + 1]
            ys += [y, y + 1]
    extent = mask_extent(mask) if mask is not None else None
    if extent is not None:
        xs += [extent[0], extent[2]]
        ys += [extent[1], extent[3]]
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def _window(view: View, h: int, w: int) -> tuple[int, int, int, int, int, int, int, int]:
    """The part of the view inside the image: image rows/cols [iy0, iy1) x [ix0, ix1) and the
    view rows/cols [vy0, vy1) x [vx0, vx1) they map to (rounded to whole pixels)."""
    s = view.scale
    ix0, iy0 = max(0, view.x0), max(0, view.y0)
    ix1, iy1 = min(w, view.x0 + view.side), min(h, view.y0 + view.side)
    vx0 = min(VIEW - 1, int(round((ix0 - view.x0) * s)))
    vy0 = min(VIEW - 1, int(round((iy0 - view.y0) * s)))
    vx1 = max(vx0 + 1, min(VIEW, int(round((ix1 - view.x0) * s))))
    vy1 = max(vy0 + 1, min(VIEW, int(round((iy1 - view.y0) * s))))
    return ix0, iy0, ix1, iy1, vx0, vy0, vx1, vy1


def crop(image: np.ndarray, view: View, pad: float | Sequence[float] = 0) -> np.ndarray:
    """The view of an image (HxW or HxWxC; uint8 or float32) at VIEW x VIEW.  Shrinking uses area
    averaging (no aliasing on big photos), enlarging is bilinear; outside the image is `pad`."""
    h, w = image.shape[:2]
    ix0, iy0, ix1, iy1, vx0, vy0, vx1, vy1 = _window(view, h, w)
    shape = (VIEW, VIEW) + image.shape[2:]
    out = np.empty(shape, image.dtype)
    out[...] = pad
    if ix1 <= ix0 or iy1 <= iy0:
        return out
    part = image[iy0:iy1, ix0:ix1]
    size = (vx1 - vx0, vy1 - vy0)
    interp = cv2.INTER_AREA if size[0] < part.shape[1] else cv2.INTER_LINEAR
    if part.dtype == bool:
        part = part.astype(np.float32)
        out = out.astype(np.float32)
    out[vy0:vy1, vx0:vx1] = cv2.resize(np.ascontiguousarray(part), size, interpolation=interp).reshape(
        (vy1 - vy0, vx1 - vx0) + image.shape[2:]
    )
    return out


def paste(logits: np.ndarray, view: View, base: np.ndarray) -> np.ndarray:
    """The network's VIEWxVIEW logits back onto the image: inside the view the new answer
    (bilinear logits > 0), outside it `base` (the previous mask) stays as it was."""
    h, w = base.shape
    out = base.copy()
    ix0, iy0, ix1, iy1, vx0, vy0, vx1, vy1 = _window(view, h, w)
    if ix1 <= ix0 or iy1 <= iy0:
        return out
    part = np.ascontiguousarray(logits[vy0:vy1, vx0:vx1], dtype=np.float32)
    out[iy0:iy1, ix0:ix1] = cv2.resize(part, (ix1 - ix0, iy1 - iy0), interpolation=cv2.INTER_LINEAR) > 0
    return out


def click_maps(view_clicks: Iterable[ClickT], radius: int = CLICK_RADIUS) -> np.ndarray:
    """2 x VIEW x VIEW float32: disks of `radius` around positive (plane 0) and negative (1)
    clicks given in view coordinates.  Clicks outside the view leave no mark."""
    maps = np.zeros((2, VIEW, VIEW), np.uint8)
    for x, y, positive in view_clicks:
        cx, cy = int(round(x)), int(round(y))
        if -radius <= cx < VIEW + radius and -radius <= cy < VIEW + radius:
            cv2.circle(maps[0 if positive else 1], (cx, cy), radius, 1, -1)
    return maps.astype(np.float32)


def net_input(rgb_view: np.ndarray, prev_view: np.ndarray | None, view_clicks: Iterable[ClickT]) -> np.ndarray:
    """6 x VIEW x VIEW float32 network input from a uint8 RGB view, the previous mask's view
    (float in [0, 1] or None) and clicks in view coordinates."""
    x = np.empty((IN_CHANNELS, VIEW, VIEW), np.float32)
    rgb = rgb_view.astype(np.float32) * (1.0 / 255.0)
    x[:3] = ((rgb - MEAN) / STD).transpose(2, 0, 1)
    x[3] = 0.0 if prev_view is None else prev_view
    x[4:] = click_maps(view_clicks)
    return x


def view_clicks(clicks: Iterable[ClickT], view: View) -> list[ClickT]:
    out = []
    for x, y, positive in clicks:
        vx, vy = view.to_view(x, y)
        out.append((vx, vy, positive))
    return out


def box_prior(box: tuple[float, float, float, float], h: int, w: int) -> np.ndarray:
    """A box prompt as the network sees it: the previous mask is the filled box."""
    x0, y0, x1, y1 = box
    prior = np.zeros((h, w), bool)
    prior[max(0, int(round(y0))) : min(h, int(round(y1))), max(0, int(round(x0))) : min(w, int(round(x1)))] = True
    return prior
