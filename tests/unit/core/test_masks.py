import numpy as np
import pytest

from segstudio.core.masks import MaskPatch


def full(shape, *boxes):
    m = np.zeros(shape, bool)
    for y0, x0, y1, x1 in boxes:
        m[y0:y1, x0:x1] = True
    return m


def test_from_full_crops_to_the_tight_box():
    p = MaskPatch.from_full(full((40, 50), (5, 7, 10, 20)))
    assert (p.y0, p.x0, p.height, p.width) == (5, 7, 5, 13)
    assert p.bbox() == (7, 5, 13, 5)
    assert p.area == 65
    assert p.data.flags.writeable is False


def test_empty_patch():
    p = MaskPatch.from_full(np.zeros((4, 4), bool))
    assert p.is_empty and p.area == 0 and p.bbox() == (0, 0, 0, 0)
    assert p.to_full().shape == (4, 4)


def test_boolean_algebra_matches_numpy():
    a_full = full((30, 30), (2, 2, 15, 15))
    b_full = full((30, 30), (10, 10, 25, 28))
    a, b = MaskPatch.from_full(a_full), MaskPatch.from_full(b_full)
    assert np.array_equal(a.union(b).to_full(), a_full | b_full)
    assert np.array_equal(a.subtract(b).to_full(), a_full & ~b_full)
    assert np.array_equal(a.intersect(b).to_full(), a_full & b_full)
    assert a.overlaps(b)
    assert a.iou(b) == pytest.approx((a_full & b_full).sum() / (a_full | b_full).sum())


def test_paint_clips_to_the_image_and_erases():
    p = MaskPatch.from_full(full((20, 20), (5, 5, 10, 10)))
    painted = p.paint(np.ones((6, 6), bool), 17, 17)  # sticks out of the image
    assert painted.area == 25 + 9
    erased = painted.paint(np.ones((2, 2), bool), 5, 5, value=False)
    assert erased.area == 30
    assert not erased.to_full()[5, 5]


def test_window_outside_patch_is_zero():
    p = MaskPatch.from_full(full((20, 20), (5, 5, 10, 10)))
    w = p.window(0, 0, 8, 8)
    assert w.sum() == 9 and w[5:8, 5:8].all()


def test_equals_ignores_padding():
    a = MaskPatch.from_full(full((20, 20), (5, 5, 10, 10)))
    padded = MaskPatch(4, 4, full((7, 7), (1, 1, 6, 6)), (20, 20))
    assert a.equals(padded)
    assert not a.equals(MaskPatch.from_full(full((20, 20), (5, 5, 10, 11))))
