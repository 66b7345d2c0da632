import numpy as np
import pytest

from segstudio.cutout.edges import (
    BACKGROUND,
    FOREGROUND,
    UNKNOWN,
    default_band,
    feather,
    shift_alpha,
    shift_mask,
    smooth_mask,
    trimap,
)


def square(n=40, a=10, b=30):
    m = np.zeros((n, n), bool)
    m[a:b, a:b] = True
    return m


@pytest.mark.parametrize("px", [1, 3, 40])
def test_shift_grows_and_shrinks_by_the_given_distance(px):
    m = np.zeros((200, 200), bool)
    m[90:110, 90:110] = True
    grown = shift_mask(m, px)
    assert grown[m].all()
    ys, xs = np.nonzero(grown)
    assert ys.min() == 90 - px and ys.max() == 109 + px and xs.min() == 90 - px
    shrunk = shift_mask(grown, -px)
    assert shrunk.sum() <= grown.sum() and not (shrunk & ~grown).any()


def test_shift_zero_is_a_copy_and_input_untouched():
    m = square()
    before = m.copy()
    out = shift_mask(m, 0)
    out[0, 0] = True
    assert np.array_equal(m, before)


def test_shift_alpha_is_a_max_min_filter():
    a = np.zeros((9, 9), np.float32)
    a[4, 4] = 0.7
    assert shift_alpha(a, 1)[3, 4] == pytest.approx(0.7)
    assert shift_alpha(a, -1).max() == 0.0


def test_smooth_removes_specks_and_notches_but_keeps_area():
    m = square(60, 10, 50)
    m[5, 5] = True  # speck
    m[30, 10:13] = False  # notch
    out = smooth_mask(m, 4)
    assert not out[5, 5] and out[30, 11]
    assert abs(int(out.sum()) - 1600) < 80


def test_feather_softens_within_range():
    m = square().astype(np.float32)
    f = feather(m, 4)
    assert f.min() >= 0 and f.max() <= 1
    assert 0.2 < f[10, 20] < 0.8  # the former hard edge is now partial
    assert np.array_equal(feather(m, 0), m)


def test_trimap_has_three_zones_and_honours_the_brush():
    m = square()
    brush = np.zeros_like(m)
    brush[20, 20] = True
    t = trimap(m, 3, brush)
    assert set(np.unique(t)) == {BACKGROUND, UNKNOWN, FOREGROUND}
    assert t[20, 20] == UNKNOWN and t[15, 15] == FOREGROUND and t[0, 0] == BACKGROUND
    assert t[10, 20] == UNKNOWN and t[8, 20] == UNKNOWN and t[6, 20] == BACKGROUND


def test_default_band_scales_with_image():
    assert default_band((100, 100)) == 3
    assert default_band((2000, 3000)) == 20
