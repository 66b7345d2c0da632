"""Scribble pixel classifier: features, boosted trees, session, model card."""

import cv2
import numpy as np
import pytest

from segstudio.training.scribble.boost import BoostedTrees, BoostError, BoostParams
from segstudio.training.scribble.features import compute_features, feature_names, margin
from segstudio.training.scribble.model import ScribbleClassifier, ScribbleModelError
from segstudio.training.scribble.session import ScribbleSession

FAST = BoostParams(trees=12, depth=4)


def _scene(seed=0, size=96):
    """Noisy textured background, a smooth red disc and a striped square."""
    rng = np.random.default_rng(seed)
    img = rng.integers(105, 125, (size, size, 3), dtype=np.uint8)
    truth = np.zeros((size, size), np.uint8)
    cv2.circle(truth, (size // 3, size // 3), size // 6, 1, -1)
    truth[size // 2 : size - 8, size // 2 : size - 8] = 2
    img[truth == 1] = (200, 40, 40)
    stripes = (np.arange(size)[:, None] // 3 % 2 * 120 + 60).astype(np.uint8)
    sq = truth == 2
    img[sq] = np.repeat(np.broadcast_to(stripes, (size, size))[..., None], 3, axis=2)[sq]
    return img, truth


def test_features_are_planar_named_and_local():
    img, _ = _scene()
    f = compute_features(img)
    assert f.dtype == np.float32 and f.shape == (len(feature_names()), 96, 96)
    assert np.isfinite(f).all()
    # a crop with enough margin gives the same features inside (small scales only: large
    # ones are computed on a pyramid level whose grid depends on the crop)
    m = margin((0.7, 1.6))
    crop = img[10 : 10 + 40 + 2 * m, 5 : 5 + 40 + 2 * m]
    a = compute_features(img, (0.7, 1.6))[:, 10 + m : 50 + m, 5 + m : 45 + m]
    b = compute_features(crop, (0.7, 1.6))[:, m : m + 40, m : m + 40]
    assert np.allclose(a, b, atol=1e-3)


def test_boosted_trees_learn_a_nonlinear_rule_and_balance_classes():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (3000, 4)).astype(np.float32)
    y = ((x[:, 0] * x[:, 1] > 0).astype(int) + (x[:, 2] > 0.8)).clip(0, 2)
    m = BoostedTrees.fit(x, y, 3, BoostParams(trees=30, depth=4))
    p = m.predict_proba(np.ascontiguousarray(x.T))
    assert p.shape == (3, 3000) and np.allclose(p.sum(0), 1, atol=1e-5)
    acc = (p.argmax(0) == y).mean()
    assert acc > 0.9
    # rows split over threads give the same answer as one thread
    assert np.array_equal(m.raw_scores(x.T, threads=1, chunk=512), m.raw_scores(x.T, threads=2, chunk=512))


def test_boost_rejects_bad_training_data():
    x = np.zeros((4, 2), np.float32)
    with pytest.raises(BoostError, match="two classes"):
        BoostedTrees.fit(x, np.zeros(4, int), 2)
    with pytest.raises(BoostError, match="NaN"):
        BoostedTrees.fit(np.full((4, 2), np.nan, np.float32), np.array([0, 1, 0, 1]), 2)
    with pytest.raises(BoostError, match="labels"):
        BoostedTrees.fit(x, np.array([0, 1, 2, 5]), 3)


def test_session_strokes_fit_predict_and_instances():
    img, truth = _scene()
    s = ScribbleSession(img, ["background", "disc", "stripes"], params=FAST)
    assert not s.ready
    s.add_stroke([(70, 10), (90, 10)], 2, 0)
    s.add_stroke([(5, 80), (5, 90)], 2, 0)
    s.add_stroke([(20, 32), (44, 32)], 2, 1)  # across the disc, close to its rim
    s.add_stroke([(10, 54), (40, 54)], 2, 0)  # just outside it
    assert not s.ready or s.counts()[2] == 0
    s.add_stroke([(60, 60), (80, 75)], 2, 2)
    s.add_stroke([(0, 0)], 1, None)  # erasing where nothing was painted changes nothing
    assert s.ready and all(c > 0 for c in s.counts())
    probs = s.predict()
    assert probs.shape == (3, 96, 96)
    acc = (s.class_map() == truth).mean()
    assert acc > 0.9
    overlay = s.overlay([(0, 0, 0), (255, 0, 0), (0, 0, 255)], skip=[0])
    assert overlay.shape == (96, 96, 4) and overlay[truth == 0, 3].mean() < overlay[truth == 1, 3].mean()
    insts = s.to_instances({1: 7, 2: 8}, next_id=5)
    assert [i.id for i in insts] == [5, 6] and [i.category_id for i in insts] == [7, 8]
    disc = insts[0].mask.to_full()
    assert (disc & (truth == 1)).sum() / (disc | (truth == 1)).sum() > 0.8
    assert all(i.source == "model" and 0 < i.score <= 1 for i in insts)


def test_saved_card_applies_to_another_image(tmp_path):
    img, _ = _scene(0)
    s = ScribbleSession(img, ["background", "disc", "stripes"], params=FAST)
    s.add_stroke([(70, 10), (90, 10)], 2, 0)
    s.add_stroke([(28, 32), (36, 32)], 2, 1)
    s.add_stroke([(60, 60), (80, 75)], 2, 2)
    clf = s.fit()
    card = clf.save(tmp_path / "scribble")
    loaded = ScribbleClassifier.load(card)
    other, truth = _scene(5)
    a = clf.segment(other)
    b = loaded.segment(other)
    assert np.array_equal(a.class_map, b.class_map)
    assert b.class_names == ["background", "disc", "stripes"]
    assert (b.class_map == truth).mean() > 0.85


def test_broken_cards_are_named(tmp_path):
    with pytest.raises(ScribbleModelError, match="not found"):
        ScribbleClassifier.load(tmp_path / "none" / "card.yaml")
    (tmp_path / "card.yaml").write_text("kind: pixel-classifier\nformat: boosted-trees\nfeatures: {scales: [1]}\n"
                                        "classes: [a, b]\nfiles: {weights: trees.npz}\n")
    (tmp_path / "trees.npz").write_bytes(b"not a zip")
    with pytest.raises(ScribbleModelError, match="trees.npz"):
        ScribbleClassifier.load(tmp_path)
    (tmp_path / "card.yaml").write_text("kind: semantic\n")
    with pytest.raises(ScribbleModelError, match="not a scribble"):
        ScribbleClassifier.load(tmp_path)
