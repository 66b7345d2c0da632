"""Our COCO AP/AR must equal pycocotools' COCOeval on the same data, to the last bit."""

import numpy as np
import pytest

from segstudio.eval import synthetic
from segstudio.eval.cocoref import run_cocoeval, to_coco
from segstudio.eval.compare import EvalImage, EvalOptions, evaluate

from .helpers import inst, rect

SHAPE = (60, 80)


def ours_and_reference(images, cats):
    ours = evaluate(images, cats, EvalOptions()).coco
    ref_stats, ev = run_cocoeval(*to_coco(images, cats))
    return ours, ref_stats, ev


def test_hand_made_ap():
    # One 10x10 ground truth; the best detection covers 82 of its pixels (IoU 0.82): a match
    # at the 7 thresholds 0.50..0.80, none at 0.85..0.95.  A second, lower-scored detection
    # elsewhere is a false positive that comes after full recall, so it costs nothing.
    gt = [inst(1, 1, rect(SHAPE, 10, 10, 20, 20))]
    hit = rect(SHAPE, 10, 10, 20, 20).subtract(rect(SHAPE, 10, 10, 12, 19))  # 100 - 18 = 82 px
    assert hit.area == 82
    pred = [inst(1, 1, hit, score=0.9), inst(2, 1, rect(SHAPE, 40, 40, 50, 50), score=0.8)]
    ours, ref, _ = ours_and_reference([EvalImage(1, "a", SHAPE, gt, pred)], [(1, "a")])
    assert ours.stat("AP") == pytest.approx(0.7)
    assert ours.stat("AP50") == pytest.approx(1.0) and ours.stat("AP75") == pytest.approx(1.0)
    assert ours.stat("AR100") == pytest.approx(0.7)
    assert np.array_equal(ours.stats, ref)


def test_fp_before_tp_lowers_precision():
    gt = [inst(1, 1, rect(SHAPE, 10, 10, 20, 20))]
    pred = [inst(1, 1, rect(SHAPE, 40, 40, 50, 50), score=0.9), inst(2, 1, rect(SHAPE, 10, 10, 20, 20), score=0.5)]
    ours, ref, _ = ours_and_reference([EvalImage(1, "a", SHAPE, gt, pred)], [(1, "a")])
    assert ours.stat("AP") == pytest.approx(0.5)  # precision 1/2 at every recall point
    assert np.array_equal(ours.stats, ref)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_cocoeval_on_synthetic_sets(seed):
    images = synthetic.make_images(12, 12, 4, shape=(96, 128), p_crowd=0.1, p_relabel=0.1, seed=seed)
    cats = synthetic.categories(4) + [(9, "never used")]
    ours, ref, ev = ours_and_reference(images, cats)
    assert np.array_equal(ours.stats, ref)
    assert np.array_equal(ours.precision, ev.eval["precision"])
    assert np.array_equal(ours.recall, ev.eval["recall"])


def test_equals_cocoeval_with_ties_duplicates_and_max_dets():
    rng = np.random.default_rng(5)
    images = []
    for i in range(3):
        gt = [inst(j + 1, 1, rect(SHAPE, 5 * j, 5 * j, 5 * j + 12, 5 * j + 12)) for j in range(6)]
        gt.append(inst(7, 1, rect(SHAPE, 40, 0, 60, 30), crowd=True))
        pred = []
        for k in range(130):  # more than 100 detections in one cell; equal scores everywhere
            j = int(rng.integers(0, 6))
            pred.append(inst(k + 1, 1, rect(SHAPE, 5 * j + int(rng.integers(0, 3)), 5 * j, 5 * j + 12, 5 * j + 12),
                             score=float(rng.choice([0.3, 0.5, 0.5, 0.9]))))
        pred.append(inst(200, 1, rect(SHAPE, 42, 2, 50, 20), score=0.95))  # inside the crowd
        images.append(EvalImage(i + 1, f"im{i}", SHAPE, gt, pred))
    ours, ref, ev = ours_and_reference(images, [(1, "a")])
    assert np.array_equal(ours.stats, ref)
    assert np.array_equal(ours.precision, ev.eval["precision"])


def test_area_ranges_follow_annotation_area():
    # The same mask declared as 'large' by its annotation area moves between area ranges.
    gt = [inst(1, 1, rect(SHAPE, 0, 0, 20, 20))]
    pred = [inst(1, 1, rect(SHAPE, 0, 0, 20, 20), score=0.9)]
    img = EvalImage(1, "a", SHAPE, gt, pred, gt_area=[100.0 ** 2])
    ours, ref, _ = ours_and_reference([img], [(1, "a")])
    assert np.array_equal(ours.stats, ref)
    assert ours.stat("APl") == pytest.approx(1.0) and ours.stat("APm") == -1.0
