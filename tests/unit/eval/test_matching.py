import numpy as np

from segstudio.eval.matching import match_instances


def test_optimal_beats_greedy():
    # gt A overlaps preds P (0.9) and Q (0.6); gt B overlaps only P (0.6).
    iou = np.array([[0.9, 0.6], [0.6, 0.0]])
    r = match_instances(iou, np.array([1, 1]), np.array([1, 1]), threshold=0.5)
    assert r.pairs == [(0, 1, 0.6), (1, 0, 0.6)]
    assert (r.tp, r.fp, r.fn) == (2, 0, 0)


def test_threshold_is_inclusive_and_configurable():
    iou = np.array([[0.5, 0.0], [0.0, 0.3]])
    r = match_instances(iou, np.array([1, 1]), np.array([1, 1]), threshold=0.5)
    assert (r.tp, r.fp, r.fn) == (1, 1, 1) and r.unmatched_gt == [1] and r.unmatched_pred == [1]
    r = match_instances(iou, np.array([1, 1]), np.array([1, 1]), threshold=0.25)
    assert r.tp == 2


def test_per_class_and_class_agnostic():
    iou = np.array([[0.8]])
    r = match_instances(iou, np.array([1]), np.array([2]))
    assert (r.tp, r.fp, r.fn) == (0, 1, 1)
    r = match_instances(iou, np.array([1]), np.array([2]), per_class=False)
    assert r.tp == 1


def test_crowd_absorbs_predictions_and_is_never_missed():
    iou = np.array([[0.2, 0.0], [0.0, 0.1]])
    cover = np.array([[0.9, 0.0], [0.0, 0.1]])  # pred 0 lies inside the crowd region
    r = match_instances(iou, np.array([1, 1]), np.array([1, 1]), gt_crowd=np.array([True, False]), crowd_cover=cover)
    assert r.ignored_pred == [0] and r.unmatched_pred == [1] and r.unmatched_gt == [1]


def test_empty_sides():
    r = match_instances(np.zeros((0, 2)), np.array([]), np.array([1, 1]))
    assert (r.tp, r.fp, r.fn) == (0, 2, 0)
    r = match_instances(np.zeros((3, 0)), np.array([1, 1, 2]), np.array([]))
    assert (r.tp, r.fp, r.fn) == (0, 0, 3)


def test_components_give_the_same_answer_as_one_assignment():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from segstudio.eval.hungarian import linear_sum_assignment

    @settings(max_examples=80)
    @given(st.integers(0, 7), st.integers(0, 7), st.integers(0, 10_000), st.floats(0.1, 0.9))
    def check(n, m, seed, thr):
        rng = np.random.default_rng(seed)
        iou = np.where(rng.random((n, m)) < 0.4, rng.random((n, m)), 0.0)
        r = match_instances(iou, np.ones(n, int), np.ones(m, int), threshold=thr)
        valid = iou >= thr
        if valid.any():  # one global assignment, cardinality first then IoU
            w = np.where(valid, min(n, m) + 1 + iou, 0.0)
            rows, cols = linear_sum_assignment(w, maximize=True)
            best = [(a, b) for a, b in zip(rows, cols) if valid[a, b]]
        else:
            best = []
        assert len(r.pairs) == len(best)
        assert sum(v for _, _, v in r.pairs) == __import__("pytest").approx(sum(iou[a, b] for a, b in best))
        assert len({g for g, _, _ in r.pairs}) == len(r.pairs) and len({p for _, p, _ in r.pairs}) == len(r.pairs)

    check()


def test_class_agnostic_evaluation_counts_relabelled_predictions():
    from segstudio.eval.compare import EvalImage, EvalOptions, evaluate

    from .helpers import inst, rect

    shape = (20, 20)
    img = EvalImage(1, "a", shape, [inst(1, 1, rect(shape, 0, 0, 10, 10))], [inst(1, 2, rect(shape, 0, 0, 10, 10), 0.9)])
    cats = [(1, "a"), (2, "b")]
    per_class = evaluate([img], cats).images[0]
    agnostic = evaluate([img], cats, EvalOptions(per_class=False)).images[0]
    assert (per_class.tp, per_class.fp, per_class.fn) == (0, 1, 1)
    assert (agnostic.tp, agnostic.fp, agnostic.fn) == (1, 0, 0)
