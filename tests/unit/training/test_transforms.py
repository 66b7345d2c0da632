import numpy as np

from segstudio.training.templates import get_template
from segstudio.training.transforms import (
    IGNORE,
    augment,
    normalise,
    random_resized_crop,
    resize_pair,
    rotate,
    shrink_to,
)


def _pair(h=40, w=60):
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    lbl = np.zeros((h, w), np.uint8)
    lbl[10:30, 20:50] = 2
    lbl[0:5, 0:5] = IGNORE
    return img, lbl


def test_resize_keeps_label_values_exact():
    img, lbl = _pair()
    i2, l2 = resize_pair(img, lbl, (33, 17))
    assert i2.shape == (17, 33, 3) and l2.shape == (17, 33)
    assert set(np.unique(l2)) <= {0, 2, IGNORE}


def test_shrink_only_downscales():
    img, lbl = _pair()
    i2, l2 = shrink_to(img, lbl, 20)
    assert min(i2.shape[:2]) == 20 and l2.shape == i2.shape[:2]
    i3, _ = shrink_to(img, lbl, 400)
    assert i3 is img


def test_crop_and_augment_are_seeded():
    img, lbl = _pair()
    hp = get_template("semantic").resolve({"input_size": 32, "vflip": True})
    a = augment(img, lbl, np.random.default_rng(5), hp)
    b = augment(img, lbl, np.random.default_rng(5), hp)
    c = augment(img, lbl, np.random.default_rng(6), hp)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    assert a[0].shape == (32, 32, 3) and a[1].shape == (32, 32)
    assert set(np.unique(a[1])) <= {0, 2, IGNORE}


def test_full_scale_crop_is_the_plain_resize():
    img, lbl = _pair(40, 40)
    i, l2 = random_resized_crop(img, lbl, np.random.default_rng(0), 20, scale=(1.0, 1.0), ratio=(1.0, 1.0))
    ri, rl = resize_pair(img, lbl, (20, 20))
    assert np.array_equal(i, ri) and np.array_equal(l2, rl)


def test_rotation_marks_new_pixels_ignored():
    img, lbl = _pair(40, 40)
    _, l2 = rotate(img, np.zeros_like(lbl), 45)
    assert l2[0, 0] == IGNORE and l2[20, 20] == 0


def test_normalise_layout_and_values():
    x = normalise(np.full((2, 4, 5, 3), 255, np.uint8), mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
    assert x.shape == (2, 3, 4, 5) and x.dtype == np.float32
    assert np.allclose(x, 1.0)
