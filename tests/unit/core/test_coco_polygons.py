"""core.coco_polygons draws polygons exactly as pycocotools draws them on the whole image:
checked against pycocotools itself on random polygons chosen to hit its rounding ties
(1/10 and 1/21 fractions, 2-decimal coordinates as CVAT writes them, vertices on and just
outside the border, repeated and collinear vertices), on small and large images."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as cmask

from segstudio.core.coco_polygons import rasterise


def random_ring(rng: np.random.Generator, h: int, w: int) -> list[float]:
    n = int(rng.integers(3, 30))
    kind = int(rng.integers(0, 6))
    if kind == 0:  # two decimals, anywhere within a pixel of the image
        xs, ys = np.round(rng.uniform(-1, w + 1, n), 2), np.round(rng.uniform(-1, h + 1, n), 2)
    elif kind == 1:  # tenths: 5 x = k + .5 ties
        xs, ys = rng.integers(-10, 10 * w + 10, n) / 10, rng.integers(-10, 10 * h + 10, n) / 10
    elif kind == 2:  # a small blob of integer points
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        xs = np.clip(np.round(cx + rng.normal(0, 3, n)), -1, w + 1)
        ys = np.clip(np.round(cy + rng.normal(0, 3, n)), -1, h + 1)
    elif kind == 3:  # a star of arbitrary doubles
        t = np.sort(rng.uniform(0, 2 * np.pi, n))
        r = rng.uniform(0.1, min(h, w) / 2 + 0.1) * rng.uniform(0.3, 1, n)
        xs, ys = np.clip(w / 2 + r * np.cos(t), -1, w + 1), np.clip(h / 2 + r * np.sin(t), -1, h + 1)
    elif kind == 4:  # repeated, collinear and border vertices
        xs = rng.choice([0.0, 0.5, 1.0, w / 2, float(w), w + 1.0, -1.0], n)
        ys = rng.choice([0.0, 0.5, 1.0, h / 2, float(h), h + 1.0, -1.0], n)
    else:  # 1/21 fractions
        xs = np.clip(rng.integers(0, 21 * w, n) / 21, -1, w + 1)
        ys = np.clip(rng.integers(0, 21 * h, n) / 21, -1, h + 1)
    flat = np.empty(2 * n)
    flat[0::2], flat[1::2] = xs, ys
    return flat.tolist()


def reference(rings: list[list[float]], h: int, w: int) -> np.ndarray:
    """pycocotools: each ring on the whole image, united (what COCO readers do)."""
    rles = cmask.frPyObjects(rings, h, w)
    return cmask.decode(cmask.merge(rles)).astype(bool)


def drawn(runs, i: int, h: int, w: int) -> np.ndarray:
    out = np.zeros((h, w), bool)
    y0, x0, box = runs.mask(i)
    out[y0:y0 + box.shape[0], x0:x0 + box.shape[1]] = box
    return out


@pytest.mark.parametrize("seed, max_side, max_rings", [(1, 60, 1), (2, 300, 1), (3, 80, 3), (4, 2500, 2)])
def test_masks_equal_pycocotools_on_the_whole_image(seed, max_side, max_rings):
    rng = np.random.default_rng(seed)
    n = 60 if max_side > 1000 else 400
    masks = []
    for _ in range(n):
        h, w = int(rng.integers(1, max_side)), int(rng.integers(1, max_side))
        masks.append((h, w, [random_ring(rng, h, w) for _ in range(int(rng.integers(1, max_rings + 1)))]))
    xy = np.concatenate([np.asarray(r, np.float64) for _, _, rings in masks for r in rings]).reshape(-1, 2)
    sizes = [len(r) // 2 for _, _, rings in masks for r in rings]
    owner = np.repeat(np.arange(n), [len(rings) for _, _, rings in masks])
    H = np.array([m[0] for m in masks])
    W = np.array([m[1] for m in masks])
    runs, bad = rasterise(xy, np.concatenate(([0], np.cumsum(sizes))), owner, H, W)
    assert not bad.any()
    area = runs.area()
    for i, (h, w, rings) in enumerate(masks):
        want = reference(rings, h, w)
        assert np.array_equal(drawn(runs, i, h, w), want), (i, h, w, rings)
        assert area[i] == want.sum()


def test_what_it_cannot_prove_is_returned_as_bad():
    xy = np.array([[1, 1], [5, 1], [5, np.nan], [1, 1], [5, 1], [1e300, 5], [1, 1], [9, 1], [9, 9]], np.float64)
    runs, bad = rasterise(xy, np.array([0, 3, 6, 9]), np.array([0, 1, 2]), np.array([10, 10, 10]),
                          np.array([10, 10, 10]))
    assert bad.tolist() == [True, True, False]
    assert np.array_equal(drawn(runs, 2, 10, 10), reference([[1, 1, 9, 1, 9, 9]], 10, 10))
    assert runs.area()[:2].tolist() == [0, 0]
