import math

import pytest

from segstudio.eval.compare import EvalImage, EvalOptions, evaluate

from .helpers import inst, rect

SHAPE = (50, 50)
CATS = [(1, "cat"), (2, "dog")]


def image_with_known_errors():
    gt = [
        inst(1, 1, rect(SHAPE, 0, 0, 10, 10)),  # matched exactly
        inst(2, 1, rect(SHAPE, 20, 20, 30, 30)),  # matched by a shifted square: IoU 80/120
        inst(3, 2, rect(SHAPE, 40, 0, 50, 10)),  # missed
    ]
    pred = [
        inst(11, 1, rect(SHAPE, 0, 0, 10, 10), score=0.9),
        inst(12, 1, rect(SHAPE, 20, 22, 30, 32), score=0.8),
        inst(13, 2, rect(SHAPE, 0, 40, 10, 50), score=0.7),  # false positive
        inst(14, 2, rect(SHAPE, 40, 0, 50, 10), score=0.2),  # below the score threshold
    ]
    return EvalImage(5, "img.png", SHAPE, gt, pred)


def test_counts_and_per_image_metrics():
    r = evaluate([image_with_known_errors()], CATS, EvalOptions(score_threshold=0.5))
    im = r.images[0]
    assert (im.tp, im.fp, im.fn) == (2, 1, 1)
    assert sorted(m[:2] for m in im.matches) == [(1, 11), (2, 12)]
    assert im.false_positives == [13] and im.false_negatives == [3]
    assert im.agreement == pytest.approx((1 + 80 / 120) / 4)
    # class 'cat' pixels: gt 200, pred 200, shared 180
    assert im.class_iou[1] == pytest.approx(180 / 220)
    assert im.class_dice[1] == pytest.approx(360 / 400)
    assert im.class_iou[2] == 0.0  # dog: a miss and a false positive, no overlap
    cat, dog = r.classes
    assert (cat.tp, cat.fp, cat.fn, dog.tp, dog.fp, dog.fn) == (2, 0, 0, 0, 1, 1)
    assert cat.precision == 1.0 and dog.recall == 0.0
    assert cat.matched_iou == pytest.approx((1 + 80 / 120) / 2)
    assert r.low_scores.tolist() == [0.2]
    assert sorted(r.tp_scores.tolist()) == [0.8, 0.9] and r.fp_scores.tolist() == [0.7]
    # confusion rows gt, cols pred: dog's 100 gt pixels are predicted as background
    assert r.confusion[2, 0] == 100 and r.confusion[0, 2] == 100 and r.confusion[1, 1] == 180


def test_low_score_threshold_admits_the_weak_prediction():
    r = evaluate([image_with_known_errors()], CATS, EvalOptions(score_threshold=0.1))
    assert (r.images[0].tp, r.images[0].fp, r.images[0].fn) == (3, 1, 0)


def test_perfect_and_empty_images():
    gt = [inst(1, 1, rect(SHAPE, 0, 0, 10, 10))]
    same = [inst(1, 1, rect(SHAPE, 0, 0, 10, 10), score=1.0)]
    r = evaluate([EvalImage(1, "p", SHAPE, gt, same), EvalImage(2, "e", SHAPE, [], [])], CATS)
    assert r.images[0].agreement == 1.0 and r.images[0].iou == 1.0 and r.images[0].boundary_f == 1.0
    assert r.images[1].agreement == 1.0 and math.isnan(r.images[1].iou)
    s = r.summary()
    assert s["AP"] == pytest.approx(1.0) and s["precision"] == 1.0 and s["mIoU"] == 1.0


def test_uncertainty_prefers_stored_values():
    gt = [inst(1, 1, rect(SHAPE, 0, 0, 10, 10))]
    pred = [inst(1, 1, rect(SHAPE, 0, 0, 10, 10), score=0.5)]
    assert evaluate([EvalImage(1, "a", SHAPE, gt, pred)], CATS).images[0].uncertainty == 1.0
    pred = [inst(1, 1, rect(SHAPE, 0, 0, 10, 10), score=0.5, uncertainty=0.25)]
    assert evaluate([EvalImage(1, "a", SHAPE, gt, pred)], CATS).images[0].uncertainty == 0.25
    assert evaluate([EvalImage(1, "a", SHAPE, gt, [])], CATS).images[0].uncertainty is None


def test_options_are_checked():
    with pytest.raises(ValueError):
        EvalOptions(iou_threshold=0)
    with pytest.raises(ValueError):
        EvalOptions(boundary_tolerance=-1)


def test_windowed_pixel_metrics_equal_full_image_computation():
    import numpy as np

    from segstudio.eval import synthetic
    from segstudio.eval.pixel import class_map, pixel_stats

    images = synthetic.make_images(4, 5, 3, shape=(40, 56), p_crowd=0.2, seed=11)
    cats = synthetic.categories(3)
    r = evaluate(images, cats, EvalOptions(score_threshold=0.0, boundary_tolerance=1))
    index = {c: k for k, (c, _) in enumerate(cats)}
    for img, res in zip(images, r.images):
        g = class_map(img.shape, img.gt, index, ignore_crowd=True)
        p = class_map(img.shape, img.pred, index, by_score=True)
        s = pixel_stats(g, p, 3, tolerance=1)
        for k, (c, _) in enumerate(cats):
            if c in res.class_iou:
                assert res.class_iou[c] == s.iou()[k]
                assert np.isnan(res.class_boundary_f[c]) == np.isnan(s.boundary_f()[k])
                if not np.isnan(s.boundary_f()[k]):
                    assert res.class_boundary_f[c] == s.boundary_f()[k]


def test_progress_and_cancellation():
    from segstudio.core.tasks import Cancelled, CancelToken
    from segstudio.eval import synthetic

    images = synthetic.make_images(40, 3, 2, shape=(24, 32), seed=4)
    seen = []
    evaluate(images, synthetic.categories(2), progress=lambda d, t, m: seen.append((d, t)))
    assert seen[0] == (0, 40) and seen[-1] == (40, 40)
    token = CancelToken()

    def cancel_midway(done, total, message):
        if done >= 32:
            token.cancel()

    with pytest.raises(Cancelled):
        evaluate(images, synthetic.categories(2), cancel=token, progress=cancel_midway)
