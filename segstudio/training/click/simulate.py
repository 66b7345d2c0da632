"""Simulated users for training the click model (numpy/OpenCV): where people click first, how
a previous mask can be wrong, and where the next correcting click goes.

All functions take a numpy Generator so a training run is reproducible from its seed.
Clicks are (x, y, positive) in the pixel coordinates of the masks they are computed on.
"""

from __future__ import annotations

import cv2
import numpy as np

from segstudio.eval import noc

ClickT = tuple[float, float, bool]


def _dist(mask: np.ndarray) -> np.ndarray:
    padded = np.pad(mask.astype(np.uint8), 1)
    return cv2.distanceTransform(padded, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]


def _pick_weighted(weights: np.ndarray, rng: np.random.Generator) -> tuple[int, int] | None:
    flat = weights.ravel()
    total = float(flat.sum())
    if total <= 0:
        return None
    i = int(rng.choice(flat.size, p=flat / total))
    y, x = divmod(i, weights.shape[1])
    return x, y


def first_click(gt: np.ndarray, rng: np.random.Generator) -> ClickT:
    """A positive click: half the time the object's deepest interior point (what the NoC
    protocol does), else a random interior point, deeper points likelier."""
    d = _dist(gt)
    if rng.random() < 0.5:
        y, x = np.unravel_index(int(np.argmax(d)), d.shape)
        return float(x), float(y), True
    w = np.where(d >= max(1.0, 0.2 * float(d.max())), d, 0.0) ** 1.5
    p = _pick_weighted(w, rng)
    if p is None:
        ys, xs = np.nonzero(gt)
        k = int(rng.integers(len(xs)))
        return float(xs[k]), float(ys[k]), True
    return float(p[0]), float(p[1]), True


def extra_clicks(gt: np.ndarray, rng: np.random.Generator) -> list[ClickT]:
    """Sometimes more initial clicks: positives inside, negatives in a band around the object."""
    out: list[ClickT] = []
    h, w = gt.shape
    if rng.random() < 0.25:
        d = _dist(gt)
        for _ in range(int(rng.integers(1, 3))):
            p = _pick_weighted(np.where(d > 2, d, 0), rng)
            if p is not None:
                out.append((float(p[0]), float(p[1]), True))
    if rng.random() < 0.3:
        r = int(rng.integers(5, max(6, int(0.1 * max(h, w)))))
        band = cv2.dilate(gt.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2)) > 0
        band &= ~gt
        band &= _dist(~gt) > 3
        for _ in range(int(rng.integers(1, 4))):
            p = _pick_weighted(band.astype(np.float32), rng)
            if p is not None:
                out.append((float(p[0]), float(p[1]), False))
    return out


def error_click(pred: np.ndarray, gt: np.ndarray, rng: np.random.Generator) -> ClickT | None:
    """The next correcting click: the NoC protocol's click (either rule), or with some chance a
    random point deep inside the same error region."""
    rule = "distance" if rng.random() < 0.6 else "area"
    c = noc.next_click(pred, gt, None, rule)
    if c is None:
        return None
    x, y, positive = c
    if rng.random() < 0.4:
        err = (gt & ~pred) if positive else (pred & ~gt)
        n, labels = cv2.connectedComponents(err.astype(np.uint8), connectivity=8)
        region = labels == labels[y, x]
        d = _dist(region)
        p = _pick_weighted(np.where(d >= 0.6 * float(d[y, x]), d, 0), rng)
        if p is not None:
            x, y = p
    return float(x), float(y), positive


def _disk(r: int) -> np.ndarray:
    r = max(1, int(r))
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def corrupt(gt: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A plausible wrong previous mask: 1-3 of grow/shrink, blur-threshold (loses thin parts),
    an added or removed blob at the boundary, a cut along a line."""
    m = gt.astype(np.uint8)
    h, w = gt.shape
    ys, xs = np.nonzero(gt)
    if len(xs) == 0:
        return gt.copy()
    size = float(np.sqrt(len(xs)))
    for _ in range(int(rng.integers(1, 4))):
        op = rng.integers(5)
        if op == 0:  # grow or shrink
            k = _disk(rng.uniform(1, max(2.0, 0.12 * size)))
            m = cv2.dilate(m, k) if rng.random() < 0.5 else cv2.erode(m, k)
        elif op == 1:  # smooth: thin parts vanish, gaps fill
            s = rng.uniform(1.5, max(2.0, 0.08 * size))
            m = (cv2.GaussianBlur(m.astype(np.float32), (0, 0), s) > rng.uniform(0.3, 0.7)).astype(np.uint8)
        elif op in (2, 3):  # a blob added (leak into the background) or removed, at the boundary
            edge = np.nonzero(m - cv2.erode(m, _disk(1)))
            if len(edge[0]) == 0:
                continue
            k = int(rng.integers(len(edge[0])))
            cy, cx = int(edge[0][k]), int(edge[1][k])
            ax = max(2, int(rng.uniform(0.1, 0.5) * size))
            ay = max(2, int(ax * rng.uniform(0.4, 1.6)))
            blob = np.zeros_like(m)
            cv2.ellipse(blob, (cx, cy), (ax, ay), float(rng.uniform(0, 180)), 0, 360, 1, -1)
            m = (m | blob) if op == 2 else (m & ~blob.astype(bool)).astype(np.uint8)
        else:  # cut away one side of a line through the object
            k = int(rng.integers(len(xs)))
            a = rng.uniform(0, np.pi)
            yy, xx = np.mgrid[0:h, 0:w]
            side = (xx - xs[k]) * np.cos(a) + (yy - ys[k]) * np.sin(a) > rng.uniform(0.1, 0.6) * size
            m = (m.astype(bool) & ~side).astype(np.uint8)
    return m.astype(bool)


def jitter_box(gt: np.ndarray, rng: np.random.Generator) -> tuple[float, float, float, float]:
    """The object's box as a person draws it: each side off by up to ~8 % of the box size."""
    ys, xs = np.nonzero(gt)
    x0, x1, y0, y1 = float(xs.min()), float(xs.max() + 1), float(ys.min()), float(ys.max() + 1)
    bw, bh = x1 - x0, y1 - y0
    j = rng.normal(0, 0.04, 4).clip(-0.1, 0.1)
    h, w = gt.shape
    return (
        float(np.clip(x0 + j[0] * bw, 0, w)), float(np.clip(y0 + j[1] * bh, 0, h)),
        float(np.clip(x1 + j[2] * bw, 0, w)), float(np.clip(y1 + j[3] * bh, 0, h)),
    )


def apply_partly(prev: np.ndarray, gt: np.ndarray, click: ClickT, rng: np.random.Generator) -> np.ndarray:
    """The previous mask after a model's imperfect answer to `click`: the error region under the
    click corrected within a random radius around it (the rest of the region stays wrong)."""
    x, y, positive = click
    err = (gt & ~prev) if positive else (prev & ~gt)
    if not err[int(y), int(x)]:
        return prev
    _, labels = cv2.connectedComponents(err.astype(np.uint8), connectivity=8)
    region = labels == labels[int(y), int(x)]
    r = max(2.0, float(_dist(region)[int(y), int(x)]) * rng.uniform(1.0, 4.0))
    disk = np.zeros(prev.shape, np.uint8)
    cv2.circle(disk, (int(x), int(y)), int(r), 1, -1)
    fix = region & disk.astype(bool)
    out = prev.copy()
    out[fix] = positive
    return out
