import numpy as np
import pytest

from segstudio.cutout.edges import BACKGROUND, FOREGROUND, UNKNOWN, edge_band, trimap
from segstudio.cutout.matting import _Laplacian, closed_form_matting
from segstudio.cutout.pipeline import UNCERTAIN, estimate_alpha, prior_alpha
from segstudio.cutout.settings import CutoutSettings

from .synthetic import coarse_of, soft_disc_scene


def _errors(a, alpha, region):
    d = a.astype(np.float64) - alpha
    return float(np.abs(d[region]).sum()), float((d[region] ** 2).mean())


@pytest.fixture(scope="module")
def scene():
    img, alpha, _, _, ring = soft_disc_scene(84, 104)
    coarse = coarse_of(alpha)
    mask = coarse >= 0.5
    region = edge_band(alpha > 0.5, 10) | ((alpha > 0) & (alpha < 1))
    return img, alpha, coarse, mask, region, ring


@pytest.mark.parametrize("method", ["guided", "matting"])
def test_refinement_lowers_edge_error_against_the_binary_mask(scene, method):
    img, alpha, coarse, mask, region, _ = scene
    sad0, mse0 = _errors(mask.astype(np.float32), alpha, region)
    sad_soft, mse_soft = _errors(coarse, alpha, region)
    refined = estimate_alpha(img, mask, CutoutSettings(refine=method), soft=coarse)
    sad1, mse1 = _errors(refined, alpha, region)
    assert sad1 < 0.7 * sad0
    assert mse1 < 0.5 * mse0
    # ...and against the model's own soft (blurry, low-resolution) map.
    assert sad1 < 0.9 * sad_soft and mse1 < mse_soft
    # Refinement is soft: there are partial values on the edge.
    assert ((refined > 0.05) & (refined < 0.95)).sum() > 50


def test_refinement_only_changes_the_unknown_band(scene):
    img, _, coarse, mask, _, _ = scene
    settings = CutoutSettings(refine="guided", band=4)
    refined = estimate_alpha(img, mask, settings, soft=coarse)
    prior = prior_alpha(mask, coarse)
    tri = trimap(mask, 4, (prior > UNCERTAIN[0]) & (prior < UNCERTAIN[1]))
    assert (tri == FOREGROUND).sum() > 1000 and (tri == BACKGROUND).sum() > 1000
    assert np.all(refined[tri == FOREGROUND] == 1.0)
    assert np.all(refined[tri == BACKGROUND] == 0.0)


def test_refine_brush_recovers_hair_strands_the_mask_missed(scene):
    img, alpha, coarse, mask, region, ring = scene
    plain = estimate_alpha(img, mask, CutoutSettings(refine="guided"), soft=coarse)
    brushed = estimate_alpha(img, mask, CutoutSettings(refine="guided"), soft=coarse, refine_region=ring)
    sad_plain, _ = _errors(plain, alpha, ring)
    sad_brushed, _ = _errors(brushed, alpha, ring)
    assert sad_brushed < 0.3 * sad_plain
    # Outside the brushed region and the band nothing moved.
    prior = prior_alpha(mask, coarse)
    tri = trimap(mask, 3, ring | ((prior > UNCERTAIN[0]) & (prior < UNCERTAIN[1])))
    assert np.array_equal(plain[tri != UNKNOWN], brushed[tri != UNKNOWN])


def test_closed_form_matting_with_the_true_trimap_is_nearly_exact(scene):
    img, alpha, *_ = scene
    tri = np.full(alpha.shape, UNKNOWN, np.uint8)
    tri[alpha >= 1] = FOREGROUND
    tri[alpha <= 0] = BACKGROUND
    est = closed_form_matting(img.astype(np.float32) / 255, tri, radius=1, eps=1e-7, iterations=400, tol=1e-6)
    unknown = tri == UNKNOWN
    assert np.abs(est - alpha)[unknown].mean() < 0.01
    assert np.abs(0.5 - alpha)[unknown].mean() > 0.1  # the starting guess was far off


def test_matting_laplacian_is_symmetric_psd_with_constant_null_space():
    rng = np.random.default_rng(3)
    img = rng.random((6, 7, 3))
    lap = _Laplacian.build(img, 1, 1e-5)
    n = 42
    m = np.zeros((n, n))
    for i in range(n):
        e = np.zeros(n)
        e[i] = 1
        m[:, i] = lap.apply(e.reshape(6, 7)).ravel()
    assert np.abs(m - m.T).max() < 1e-8
    assert np.linalg.eigvalsh(m).min() > -1e-8
    assert np.abs(m @ np.ones(n)).max() < 1e-8


def test_prior_agrees_with_an_edited_mask():
    soft = np.array([[0.9, 0.2, 0.6]], np.float32)
    mask = np.array([[False, True, True]])  # the user overruled the model on the first two
    prior = prior_alpha(mask, soft)
    assert prior.tolist()[0][:2] == [0.0, 1.0]  # hard where the user overruled the model
    assert prior[0, 2] == pytest.approx(0.6)  # the model's soft value where they agree


def test_refine_none_returns_the_soft_map(scene):
    img, _, coarse, mask, _, _ = scene
    out = estimate_alpha(img, mask, CutoutSettings(refine="none"), soft=coarse)
    assert np.allclose(out, prior_alpha(mask, coarse))


def test_size_mismatch_is_a_clear_error(scene):
    img, *_ = scene
    with pytest.raises(ValueError, match="sizes differ"):
        estimate_alpha(img, np.zeros((5, 5), bool))
