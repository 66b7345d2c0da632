import os
import stat

import cv2
import numpy as np
import pytest

from segstudio.cutout.export import (
    ExportError,
    alpha_to_u8,
    crop_to_subject,
    make_rgba,
    save_cutout,
    save_matte,
    subject_box,
)
from segstudio.io.images import load_image


@pytest.fixture
def rgba():
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    alpha = np.zeros((37, 53), np.float32)
    alpha[10:30, 12:40] = rng.random((20, 28), dtype=np.float32)
    alpha[15:25, 20:30] = 1.0
    return make_rgba(rgb, alpha)


@pytest.mark.parametrize("fmt", ["png", "webp"])
def test_exports_carry_alpha_and_colour_exactly(tmp_path, rgba, fmt):
    path = save_cutout(tmp_path / f"c.{fmt}", rgba)
    loaded = load_image(path).data
    assert loaded.shape == rgba.shape
    assert np.array_equal(loaded[..., 3], rgba[..., 3])
    assert np.array_equal(loaded, rgba)  # lossless, exact colours even under alpha 0


def test_lossy_webp_keeps_alpha_exact(tmp_path, rgba):
    path = save_cutout(tmp_path / "c.webp", rgba, quality=60)
    loaded = load_image(path).data
    assert np.array_equal(loaded[..., 3], rgba[..., 3])


def test_matte_is_grey_png_equal_to_alpha(tmp_path, rgba):
    path = save_matte(tmp_path / "m.png", rgba[..., 3].astype(np.float32) / 255)
    m = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert m.ndim == 2 and np.array_equal(m, rgba[..., 3])


def test_crop_to_subject_with_margin(rgba):
    box = subject_box(rgba[..., 3])
    ys, xs = np.nonzero(rgba[..., 3])
    assert box == (xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
    cropped, (x, y, w, h) = crop_to_subject(rgba, margin=5)
    assert (x, y) == (box[0] - 5, box[1] - 5) and (w, h) == (box[2] + 10, box[3] + 10)
    assert np.array_equal(cropped, rgba[y : y + h, x : x + w])
    # The margin is clipped at the image border.
    _, (x, y, w, h) = crop_to_subject(rgba, margin=100)
    assert (x, y, w, h) == (0, 0, 53, 37)


def test_empty_cutout_is_not_cropped():
    empty = np.zeros((5, 6, 4), np.uint8)
    out, box = crop_to_subject(empty, 3)
    assert out.shape == empty.shape and box == (0, 0, 6, 5)
    assert subject_box(empty[..., 3]) is None


def test_writes_are_atomic_and_ordinary_files(tmp_path, rgba):
    path = save_cutout(tmp_path / "sub" / "c.png", rgba)
    assert os.listdir(tmp_path / "sub") == ["c.png"]
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask  # like any file the user makes


def test_errors_name_the_file(tmp_path, rgba):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="file"):
        save_cutout(blocker / "c.png", rgba)
    with pytest.raises(ExportError, match="format"):
        save_cutout(tmp_path / "c.jpg", rgba)


def test_alpha_to_u8_rounds_and_clips():
    a = np.array([[-0.1, 0.0, 0.5, 1.0, 1.2]], np.float32)
    assert alpha_to_u8(a).tolist() == [[0, 0, 128, 255, 255]]
