"""Learning-free closed-form matting, solved with conjugate gradients and box filters.

The matting Laplacian of Levin, Lischinski & Weiss ("A Closed-Form Solution to
Natural Image Matting", CVPR 2006 / TPAMI 2008) assumes alpha is locally a
linear function of colour.  Instead of building the sparse matrix (scipy is
not a dependency, and it has 25-81 entries per pixel), we apply it to a vector
with O(1) box filters per pixel, following He, Sun & Tang ("Fast Matting Using
Large Kernel Matting Laplacian Matrices", CVPR 2010):

    a_k = (Sigma_k + eps/|w_k| U)^-1 (mean_k(I p) - mu_k mean_k(p)),   b_k = mean_k(p) - a_k . mu_k
    (L p)_i = sum_{k: i in w_k} (p_i - a_k . I_i - b_k)

Windows are clipped at the crop border (zero-padded sums with per-window
counts), so every term stays a valid window Laplacian and the operator stays
symmetric positive semi-definite: conjugate gradients apply.  Known pixels
(trimap foreground/background) are eliminated, so the constraint is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from segstudio.core.tasks import CancelToken
from segstudio.cutout.edges import FOREGROUND, UNKNOWN
from segstudio.cutout.guided import guided_filter, inverse_sym3


def _boxsum(a: np.ndarray, r: int) -> np.ndarray:
    return cv2.boxFilter(a, -1, (2 * r + 1, 2 * r + 1), normalize=False, borderType=cv2.BORDER_CONSTANT)


@dataclass
class _Laplacian:
    """Precomputed per-window statistics of the guide image over a crop."""

    image: np.ndarray  # h x w x 3 float64
    radius: int
    count: np.ndarray  # pixels per (clipped) window, also windows per pixel
    mu: np.ndarray  # h x w x 3 window colour means
    inv: tuple[np.ndarray, ...]  # 6 unique entries of (Sigma + eps/N U)^-1

    @classmethod
    def build(cls, image: np.ndarray, radius: int, eps: float) -> _Laplacian:
        # float64 throughout: with small eps the window covariances are nearly singular and
        # float32 cancellation makes the operator indefinite (CG then stalls).
        img = np.ascontiguousarray(image[..., :3], np.float64)
        r = radius
        count = _boxsum(np.ones(img.shape[:2], np.float64), r)
        mu = _boxsum(img, r) / count[..., None]
        ch = [img[..., i] for i in range(3)]
        m = [mu[..., i] for i in range(3)]
        reg = eps / count

        def cov(i: int, j: int) -> np.ndarray:
            return _boxsum(ch[i] * ch[j], r) / count - m[i] * m[j]

        inv = inverse_sym3(
            cov(0, 0) + reg, cov(0, 1), cov(0, 2), cov(1, 1) + reg, cov(1, 2), cov(2, 2) + reg
        )
        return cls(img, r, count, mu, inv)

    def apply(self, p: np.ndarray) -> np.ndarray:
        r, img, n = self.radius, self.image, self.count
        mean_p = _boxsum(p, r) / n
        mean_ip = _boxsum(img * p[..., None], r) / n[..., None]
        c = mean_ip - self.mu * mean_p[..., None]
        i00, i01, i02, i11, i12, i22 = self.inv
        c0, c1, c2 = c[..., 0], c[..., 1], c[..., 2]
        a = np.empty_like(c)
        a[..., 0] = i00 * c0 + i01 * c1 + i02 * c2
        a[..., 1] = i01 * c0 + i11 * c1 + i12 * c2
        a[..., 2] = i02 * c0 + i12 * c1 + i22 * c2
        b = mean_p - np.einsum("hwc,hwc->hw", a, self.mu)
        sa = _boxsum(a, r)
        sb = _boxsum(b, r)
        return n * p - (np.einsum("hwc,hwc->hw", sa, img) + sb)


def closed_form_matting(
    image: np.ndarray,
    trimap: np.ndarray,
    init: np.ndarray | None = None,
    *,
    radius: int = 1,
    eps: float = 1e-6,
    iterations: int = 200,
    tol: float = 1e-4,
    max_pixels: int = 400_000,
    cancel: CancelToken | None = None,
) -> np.ndarray:
    """Alpha (HxW float32 in [0,1]) for the UNKNOWN pixels of `trimap`; known pixels are 0/1.

    image: HxWx3 float32 in [0,1].  init: a starting alpha for the unknown pixels (e.g. a
    guided-filter result), which makes a few dozen iterations enough.
    """
    tri = np.asarray(trimap, np.uint8)
    alpha = (tri == FOREGROUND).astype(np.float32)
    unknown = tri == UNKNOWN
    alpha[unknown] = 0.5 if init is None else np.clip(np.asarray(init, np.float32)[unknown], 0, 1)
    return solve_alpha(image, alpha, unknown, radius=radius, eps=eps, iterations=iterations,
                       tol=tol, max_pixels=max_pixels, cancel=cancel)


def solve_alpha(
    image: np.ndarray,
    alpha: np.ndarray,
    unknown: np.ndarray,
    *,
    radius: int = 1,
    eps: float = 1e-6,
    iterations: int = 200,
    tol: float = 1e-4,
    max_pixels: int = 400_000,
    cancel: CancelToken | None = None,
) -> np.ndarray:
    """Re-estimate `alpha` on the `unknown` pixels, holding every other pixel at its value.

    The values of `alpha` on the unknown pixels are the starting point.  The solve runs on the
    bounding box of the unknown region; if that holds more than `max_pixels`, it runs on a
    reduced copy and the result is brought back to full resolution with a guided filter.
    """
    img = np.asarray(image, np.float32)
    out = np.clip(np.asarray(alpha, np.float32), 0.0, 1.0).copy()
    unknown = np.asarray(unknown, bool)
    h, w = unknown.shape
    if not unknown.any():
        return out
    ys, xs = np.nonzero(unknown)
    pad = 2 * radius + 2
    y0, y1 = max(0, int(ys.min()) - pad), min(h, int(ys.max()) + 1 + pad)
    x0, x1 = max(0, int(xs.min()) - pad), min(w, int(xs.max()) + 1 + pad)
    crop = (slice(y0, y1), slice(x0, x1))
    sub_img, sub_unk, sub_alpha = img[crop], unknown[crop], out[crop]
    n_pix = sub_unk.size
    scale = 1.0 if n_pix <= max_pixels else float(np.sqrt(max_pixels / n_pix))
    if scale < 1.0:
        size = (max(1, round(sub_unk.shape[1] * scale)), max(1, round(sub_unk.shape[0] * scale)))
        small_img = cv2.resize(sub_img, size, interpolation=cv2.INTER_AREA)
        small_alpha = cv2.resize(sub_alpha, size, interpolation=cv2.INTER_AREA)
        # A pixel is only "known" at low resolution if its whole footprint was known.
        small_unk = cv2.resize(sub_unk.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
        solved = _solve(small_img, small_alpha, small_unk, radius, eps, iterations, tol, cancel)
        up = cv2.resize(solved, (sub_unk.shape[1], sub_unk.shape[0]), interpolation=cv2.INTER_LINEAR)
        # Bring back the detail lost by the reduction from the full-resolution colours.
        solved = guided_filter(sub_img, up, radius=max(2, round(2 / scale)), eps=1e-4)
    else:
        solved = _solve(sub_img, sub_alpha, sub_unk, radius, eps, iterations, tol, cancel)
    region = out[crop]
    region[sub_unk] = np.clip(solved[sub_unk], 0.0, 1.0)
    return out


def _solve(img, alpha, unknown, radius, eps, iterations, tol, cancel) -> np.ndarray:
    lap = _Laplacian.build(img, radius, eps)
    u = unknown.astype(np.float64)
    x = alpha.astype(np.float64)
    r = -u * lap.apply(x)
    p = r.copy()
    rr = float(np.dot(r.ravel(), r.ravel()))
    rr0 = rr
    if rr0 == 0.0:
        return x
    for it in range(iterations):
        if cancel is not None and it % 8 == 0:
            cancel.check()
        ap = u * lap.apply(p)
        pap = float(np.dot(p.ravel(), ap.ravel()))
        if pap <= 0.0:
            break
        step = rr / pap
        x += step * p
        r -= step * ap
        rr_new = float(np.dot(r.ravel(), r.ravel()))
        if rr_new <= (tol * tol) * rr0:
            break
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x.astype(np.float32)
