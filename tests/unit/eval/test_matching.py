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
