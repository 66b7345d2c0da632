import numpy as np
import pytest

from segstudio.cutout.composite import (
    PreviewBackground,
    checkerboard,
    composite_rgba,
    cover,
    over,
    preview_layer,
)


def test_checkerboard_alternates_tiles():
    b = checkerboard((20, 30), tile=5)
    assert b.shape == (20, 30, 3)
    assert b[0, 0, 0] != b[0, 5, 0] and b[0, 0, 0] == b[5, 5, 0]


def test_over_is_the_compositing_equation():
    f = np.full((1, 3, 3), 200, np.uint8)
    b = np.full((1, 3, 3), 100, np.uint8)
    a = np.array([[0, 128, 255]], np.uint8)
    out = over(f, a, b)
    assert out[0, :, 0].tolist() == [100, round(100 + 100 * 128 / 255), 200]


@pytest.mark.parametrize("mode,value", [("black", 0), ("white", 255)])
def test_solid_backgrounds(mode, value):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[1, 1] = (10, 20, 30, 255)
    out = composite_rgba(rgba, PreviewBackground(mode))
    assert out[0, 0].tolist() == [value] * 3 and out[1, 1].tolist() == [10, 20, 30]


def test_colour_and_image_backgrounds():
    rgba = np.zeros((6, 8, 4), np.uint8)
    assert composite_rgba(rgba, PreviewBackground("color", (1, 2, 3)))[2, 2].tolist() == [1, 2, 3]
    bg = np.zeros((3, 2, 3), np.uint8)
    bg[..., 2] = 77
    out = composite_rgba(rgba, PreviewBackground("image", image=bg))
    assert out.shape == (6, 8, 3) and (out[..., 2] == 77).all()


def test_cover_keeps_aspect_and_fills():
    img = np.arange(10 * 20 * 3, dtype=np.uint8).reshape(10, 20, 3)
    assert cover(img, (30, 30)).shape == (30, 30, 3)


def test_preview_layer_before_is_none_after_is_opaque():
    rgba = np.zeros((4, 5, 4), np.uint8)
    assert preview_layer(rgba, PreviewBackground("none")) is None
    layer = preview_layer(rgba, PreviewBackground("checkerboard"))
    assert layer.shape == (4, 5, 4) and (layer[..., 3] == 255).all()


def test_bad_background_is_rejected():
    with pytest.raises(ValueError):
        PreviewBackground("plaid")
    with pytest.raises(ValueError):
        PreviewBackground("image")
