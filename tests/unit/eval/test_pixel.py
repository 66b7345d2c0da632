import math

import numpy as np
import pytest

from segstudio.eval.pixel import IGNORE, boundary, class_map, pixel_stats

from .helpers import inst, rect

SHAPE = (40, 40)


def maps(gt_box, pred_box):
    g = np.zeros(SHAPE, np.uint8)
    p = np.zeros(SHAPE, np.uint8)
    g[gt_box[0] : gt_box[2], gt_box[1] : gt_box[3]] = 1
    p[pred_box[0] : pred_box[2], pred_box[1] : pred_box[3]] = 1
    return g, p


def test_iou_and_dice_of_shifted_squares():
    g, p = maps((10, 10, 20, 20), (10, 12, 20, 22))  # 10x10 squares, 2 px apart: 80 shared
    s = pixel_stats(g, p, 1)
    assert s.confusion.tolist() == [[1600 - 120, 20], [20, 80]]
    assert s.iou()[0] == pytest.approx(80 / 120)
    assert s.dice()[0] == pytest.approx(160 / 200)


@pytest.mark.parametrize("tol, expected", [(0, 16 / 36), (1, 20 / 36), (2, 1.0)])
def test_boundary_f_known_answers(tol, expected):
    # Each square's boundary is its 36-pixel ring; shifted by 2 px the rings share 16 pixels
    # (top and bottom rows).  Within 1 px (4-neighbours): those 16, the next pixel of each of the
    # two rows, and the two pixels of the inner side column that touch the other ring's rows = 20.
    # Within 2 px: all 36.  Both directions are symmetric, so F = precision = recall.
    g, p = maps((10, 10, 20, 20), (10, 12, 20, 22))
    s = pixel_stats(g, p, 1, tolerance=tol)
    assert (s.boundary_gt[0], s.boundary_pred[0]) == (36, 36)
    assert s.boundary_f()[0] == pytest.approx(expected)


def test_boundary_ignores_the_image_frame():
    m = np.zeros((10, 10), bool)
    m[:, :5] = True  # touches three image edges; only the column at x=4 is a real edge
    assert np.count_nonzero(boundary(m)) == 10


def test_absent_class_is_nan_and_missing_prediction_is_zero():
    g, _ = maps((10, 10, 20, 20), (0, 0, 0, 0))
    s = pixel_stats(g, np.zeros(SHAPE, np.uint8), 2)
    assert s.iou()[0] == 0 and s.boundary_f()[0] == 0 and s.dice()[0] == 0
    assert math.isnan(s.iou()[1]) and math.isnan(s.boundary_f()[1])


def test_class_map_orders_by_score_and_ignores_crowd():
    a = inst(1, 7, rect(SHAPE, 0, 0, 10, 10), score=0.9)
    b = inst(2, 8, rect(SHAPE, 5, 5, 15, 15), score=0.4)
    m = class_map(SHAPE, [a, b], {7: 0, 8: 1}, by_score=True)
    assert m[7, 7] == 1  # the higher score wins the overlap although it comes first
    crowd = inst(3, 7, rect(SHAPE, 20, 20, 30, 30), crowd=True)
    m = class_map(SHAPE, [crowd], {7: 0}, ignore_crowd=True)
    assert m[25, 25] == IGNORE
    g = m
    p = np.zeros(SHAPE, np.uint8)
    p[20:30, 20:30] = 1
    s = pixel_stats(g, p, 1)
    assert s.confusion.sum() == 1600 - 100  # ignored pixels are not counted at all


@pytest.mark.parametrize("radius", [0, 1, 2, 3, 5, 8])
def test_fast_morphology_equals_the_disk_and_cross_definitions(radius):
    import cv2

    from segstudio.eval.pixel import _disk, dilate_disk

    rng = np.random.default_rng(radius)
    m = rng.random((50, 64)) > 0.97
    assert np.array_equal(dilate_disk(m, radius), cv2.dilate(m.astype(np.uint8), _disk(radius)) > 0)
    blob = rng.random((50, 64)) > 0.4
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    assert np.array_equal(boundary(blob), blob & (cv2.erode(blob.astype(np.uint8), cross) == 0))


def test_many_classes_use_wide_maps_with_the_same_answers():
    index = {c: k for k, c in enumerate(range(1, 301))}  # 300 classes: uint16 maps
    gt = [inst(1, 300, rect(SHAPE, 0, 0, 10, 10)), inst(2, 7, rect(SHAPE, 20, 20, 30, 30), crowd=True)]
    pred = [inst(1, 300, rect(SHAPE, 0, 2, 10, 12), score=0.9), inst(2, 7, rect(SHAPE, 20, 20, 25, 25), score=0.9)]
    g = class_map(SHAPE, gt, index, ignore_crowd=True)
    p = class_map(SHAPE, pred, index, by_score=True)
    assert g.dtype == np.uint16 and g[25, 25] == np.iinfo(np.uint16).max
    s = pixel_stats(g, p, 300)
    assert s.confusion.shape == (301, 301) and s.confusion.sum() == 1600 - 100
    assert s.iou()[299] == pytest.approx(80 / 120)
