"""`polygon_rles` draws COCO-style polygon sets straight into the store's box RLE: exactly what
encoding the drawn patch gives (`PlanInstance.patch_rle`), for several rings, far, degenerate and
empty polygons, and for masks the kernel leaves to pycocotools."""

from __future__ import annotations

import numpy as np

from segstudio.core.shape_raster import coco_polygon_patches
from segstudio.io.formats import _polygons
from segstudio.io.plan import PlanInstance
from tests.unit.core.test_coco_polygons import random_ring


def polygon_sets(seed: int, n: int):
    rng = np.random.default_rng(seed)
    masks, shapes = [], []
    for _ in range(n):
        h, w = int(rng.integers(1, 300)), int(rng.integers(1, 300))
        masks.append([random_ring(rng, h, w) for _ in range(int(rng.integers(1, 4)))])
        shapes.append((h, w))
    masks += [[[5.0, 5.0, 5.1, 5.0, 5.1, 5.1]],  # covers no pixel
              [[1e12, 1.0, 20.0, 2.0, 3.0, 30.0]],  # a far vertex, clipped
              [[1.0, 1.0]], [], [[0.0, 0.0, 9.0, 0.0, 9.0, 9.0], [1e9, 1e9, 2e9, 1e9, 2e9, 2e9]]]
    shapes += [(40, 40)] * 5
    return masks, shapes


def expected(masks, shapes):
    return [PlanInstance("", mask=p).patch_rle() for p in coco_polygon_patches(masks, shapes)]


def test_the_same_rles_as_encoding_the_drawn_patches(monkeypatch):
    monkeypatch.setattr(_polygons, "RLE_BATCH", 128)  # several batches
    masks, shapes = polygon_sets(4, 600)
    got = _polygons.polygon_rles(masks, shapes)
    assert got == expected(masks, shapes)
    assert sum(r.area == 0 for r in got[-5:]) == 3 and got[-1].area > 0


def test_masks_the_kernel_does_not_prove_are_drawn_by_pycocotools(monkeypatch):
    masks, shapes = polygon_sets(5, 40)
    kernel = _polygons.rasterise

    def unsure(*args):
        runs, bad = kernel(*args)
        bad = bad.copy()
        bad[::3] = True
        return runs, bad

    monkeypatch.setattr(_polygons, "rasterise", unsure)
    assert _polygons.polygon_rles(masks, shapes) == expected(masks, shapes)
