"""`shape_raster.coco_polygon_patch` and `coco_window` give exactly pycocotools' pixels on the
WHOLE image, for sub-pixel polygons whose rounding ties a shift into a small window would
move (tenth-pixel and 2-decimal coordinates, vertices on and beyond the border, several rings).
Drawing a polygon moved into a window around it changed a few pixels of about half of such
polygons (the defect this guards against)."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as cmask

from segstudio.core.shape_raster import coco_polygon_patch, coco_polygon_patches, coco_window


def whole_image(rings: list[list[float]], h: int, w: int) -> np.ndarray:
    """What a COCO reader draws: every ring on the whole image, united."""
    return cmask.decode(cmask.merge(cmask.frPyObjects(rings, h, w))).astype(bool)


def random_ring(rng: np.random.Generator, h: int, w: int, decimals: int) -> list[float]:
    n = int(rng.integers(3, 16))
    if rng.random() < 0.3:  # anywhere, also touching and crossing the border
        xs, ys = rng.uniform(-1, w + 1, n), rng.uniform(-1, h + 1, n)
    else:  # a star around a point, clipped at the border like annotation tools do
        t = np.sort(rng.uniform(0, 2 * np.pi, n))
        r = rng.uniform(1, min(h, w) / 2) * rng.uniform(0.4, 1, n)
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        xs, ys = np.clip(cx + r * np.cos(t), 0, w), np.clip(cy + r * np.sin(t), 0, h)
    flat = np.empty(2 * n)
    flat[0::2], flat[1::2] = np.round(xs, decimals), np.round(ys, decimals)
    return flat.tolist()


def cases(seed: int, n: int, decimals: int):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        h, w = int(rng.integers(8, 260)), int(rng.integers(8, 260))
        k = 1 if rng.random() < 0.7 else int(rng.integers(2, 4))
        yield h, w, [random_ring(rng, h, w, decimals) for _ in range(k)]


@pytest.mark.parametrize("decimals", [1, 2])
def test_polygon_patch_is_pycocotools_on_the_whole_image(decimals):
    wrong = []
    for i, (h, w, rings) in enumerate(cases(decimals, 1500, decimals)):
        want = whole_image(rings, h, w)
        got = coco_polygon_patch(rings, (h, w)).to_full()
        if not np.array_equal(got, want):
            wrong.append((i, int(np.count_nonzero(got != want))))
    assert not wrong, f"{len(wrong)} of 1500 polygons differ from pycocotools (index, pixels): {wrong[:10]}"


def test_window_is_the_whole_image_cut_to_it():
    rng = np.random.default_rng(7)
    wrong = 0
    for h, w, rings in cases(11, 600, 1):
        want = whole_image(rings, h, w)
        y0, x0 = int(rng.integers(0, h)), int(rng.integers(0, w))
        wh, ww = int(rng.integers(1, h - y0 + 1)), int(rng.integers(1, w - x0 + 1))
        got = coco_window(rings, y0, x0, wh, ww, (h, w))
        wrong += not np.array_equal(got, want[y0:y0 + wh, x0:x0 + ww])
        assert np.array_equal(coco_window(rings, 0, 0, h, w), want)
    assert wrong == 0


def test_far_and_degenerate_rings():
    h, w = 40, 50
    far = [-1e12, 5.5, 30.1, 5.5, 30.1, 1e12]  # clipped (pycocotools itself would crash)
    got = coco_polygon_patch([far], (h, w)).to_full()
    assert np.array_equal(got, whole_image([[-50.0, 5.5, 30.1, 5.5, 30.1, 90.0]], h, w))
    assert coco_polygon_patch([[3.0, 3.0, 9.0, 9.0]], (h, w)).is_empty  # two points: a line
    assert coco_polygon_patch([[1e9, 1e9, 2e9, 1e9, 2e9, 2e9]], (h, w)).is_empty
    with pytest.raises(ValueError):
        coco_polygon_patch([[1.0, 1.0, float("nan"), 2.0, 3.0, 3.0]], (h, w))


def test_many_masks_at_once_equal_one_by_one():
    masks = list(cases(5, 2500, 2))  # more than one kernel call
    for h, w, rings in masks[:300]:
        patch = coco_polygon_patches([rings], [(h, w)])[0]
        assert np.array_equal(patch.to_full(), whole_image(rings, h, w))
    masks.append((30, 40, []))  # no ring
    masks.append((30, 40, [[-1e12, 5.5, 30.1, 5.5, 30.1, 1e12], [3.0, 3.0, 9.0, 9.0]]))  # far, degenerate
    masks.append((30, 40, [[1e9, 1e9, 2e9, 1e9, 2e9, 2e9]]))  # wholly far outside
    got = coco_polygon_patches([rings for _, _, rings in masks], [(h, w) for h, w, _ in masks])
    for (h, w, rings), patch in zip(masks, got):
        one = coco_polygon_patch(rings, (h, w))
        assert patch.image_shape == (h, w)
        assert np.array_equal(patch.to_full(), one.to_full())
    with pytest.raises(ValueError):
        coco_polygon_patches([[[1.0, 1.0, float("inf"), 2.0, 3.0, 3.0]]], [(10, 10)])
