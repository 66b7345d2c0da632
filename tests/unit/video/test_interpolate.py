import cv2
import numpy as np
import pytest

from segstudio.core.masks import MaskPatch
from segstudio.video.interpolate import interpolate_masks, interpolate_sequence, signed_distance


def disc(cx, cy, r, shape=(100, 160)):
    m = np.zeros(shape, np.uint8)
    cv2.circle(m, (cx, cy), r, 1, -1)
    return MaskPatch.from_full(m > 0)


def test_endpoints_are_exact():
    a, b = disc(30, 40, 10), disc(120, 60, 25)
    assert interpolate_masks(a, b, 0.0).equals(a)
    assert interpolate_masks(a, b, 1.0).equals(b)


def test_midpoint_of_two_discs_is_a_disc_in_the_middle():
    a, b = disc(30, 40, 10), disc(120, 60, 24)
    mid = interpolate_masks(a, b, 0.5)
    expected = disc(75, 50, 17)
    assert mid.iou(expected) > 0.9
    x, y, w, h = mid.bbox()
    assert abs((x + w / 2) - 75.5) <= 1.5 and abs((y + h / 2) - 50.5) <= 1.5


def test_area_changes_monotonically():
    a, b = disc(50, 50, 8), disc(60, 50, 30)
    seq = interpolate_sequence(a, 10, b, 20)
    assert sorted(seq) == list(range(11, 20))
    areas = [seq[f].area for f in range(11, 20)]
    assert areas == sorted(areas)
    assert a.area < areas[0] and areas[-1] < b.area


def test_holes_and_empty_masks():
    ring = np.zeros((80, 80), bool)
    yy, xx = np.mgrid[:80, :80]
    d = np.hypot(yy - 40, xx - 40)
    ring[(d < 25) & (d > 10)] = True
    a = MaskPatch.from_full(ring)
    mid = interpolate_masks(a, a, 0.5)
    assert mid.equals(a)  # same shape both ends: unchanged, hole kept
    empty = MaskPatch.empty((80, 80))
    assert interpolate_masks(a, empty, 0.2).equals(a)
    assert interpolate_masks(a, empty, 0.8).is_empty


def test_signed_distance_sign():
    m = np.zeros((20, 20), bool)
    m[5:15, 5:15] = True
    sdf = signed_distance(m)
    assert (sdf[m] > 0).all() and (sdf[~m] < 0).all()


@pytest.mark.parametrize("t", [0.25, 0.75])
def test_interpolating_near_the_border_stays_in_the_image(t):
    a, b = disc(2, 2, 6), disc(155, 95, 6)
    out = interpolate_masks(a, b, t)
    assert out.image_shape == (100, 160)
    assert not out.is_empty
