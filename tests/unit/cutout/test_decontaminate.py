import numpy as np

from segstudio.cutout.decontaminate import decontaminate, estimate_foreground

from .synthetic import soft_disc_scene


def _spill_scene():
    # Red-ish subject on a green lawn with a wide soft rim: the rim is green-contaminated.
    img, alpha, f, b, _ = soft_disc_scene(strands=0, ramp=16)
    return img, alpha, f, b


def test_decontamination_removes_the_known_spill_colour():
    img, alpha, f, b = _spill_scene()
    soft = (alpha > 0.15) & (alpha < 0.85)
    observed = img.astype(np.float32) / 255
    cleaned = decontaminate(img, alpha).astype(np.float32) / 255
    # Green is the spill: the subject has ~0.3 green, the lawn ~0.7.
    spill_before = np.abs(observed[..., 1] - f[..., 1])[soft].mean()
    spill_after = np.abs(cleaned[..., 1] - f[..., 1])[soft].mean()
    assert spill_before > 0.15
    assert spill_after < 0.35 * spill_before
    # The whole colour moves towards the true foreground.
    assert np.abs(cleaned - f)[soft].mean() < 0.4 * np.abs(observed - f)[soft].mean()


def test_opaque_pixels_keep_their_exact_colour_and_input_is_untouched():
    img, alpha, *_ = _spill_scene()
    before = img.copy()
    cleaned = decontaminate(img, alpha)
    assert np.array_equal(img, before)
    opaque = alpha >= 1
    assert np.array_equal(cleaned[opaque], img[opaque])
    assert cleaned.dtype == np.uint8


def test_strength_blends_between_observed_and_estimate():
    img, alpha, *_ = _spill_scene()
    off = decontaminate(img, alpha, strength=0.0)
    full = decontaminate(img, alpha, strength=1.0).astype(int)
    half = decontaminate(img, alpha, strength=0.5).astype(int)
    assert np.array_equal(off, img)
    mid = (img.astype(int) + full) / 2
    assert np.abs(half - mid).max() <= 1


def test_estimate_satisfies_the_compositing_equation_where_soft():
    img, alpha, *_ = _spill_scene()
    i = img.astype(np.float32) / 255
    f = estimate_foreground(i, alpha, radius=30, fine_radius=3)
    assert f.min() >= 0 and f.max() <= 1
