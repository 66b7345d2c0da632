"""Ignore regions (a category flagged "ignore") are left out of every metric: instance matching
and AP treat them as crowd regions of every category (COCOeval's rule for crowds), pixel
metrics drop their pixels (the VOC protocol's void)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.eval.cocoref import run_cocoeval, to_coco
from segstudio.eval.compare import EvalImage, EvalOptions, evaluate
from segstudio.eval.project_eval import compare_label_sets
from segstudio.store.project import Project

SHAPE = (60, 80)
CAT, DOG, IGN = 1, 2, 3
CATS = [(CAT, "cat"), (DOG, "dog"), (IGN, "__ignore__")]


def box(y0, y1, x0, x1):
    m = np.zeros(SHAPE, bool)
    m[y0:y1, x0:x1] = True
    return MaskPatch.from_full(m)


def scene():
    gt = [Instance(1, CAT, box(5, 20, 5, 20)), Instance(2, IGN, box(30, 55, 40, 75))]
    pred = [Instance(1, CAT, box(5, 20, 5, 21), "model", 0.9),   # matches the cat
            Instance(2, CAT, box(35, 50, 45, 70), "model", 0.8),  # inside the ignore region
            Instance(3, DOG, box(32, 45, 50, 72), "model", 0.7)]  # inside it too, another class
    return EvalImage(1, "a.png", SHAPE, gt, pred)


def test_predictions_in_an_ignore_region_are_neither_true_nor_false():
    res = evaluate([scene()], CATS, EvalOptions(), ignore={IGN})
    im = res.images[0]
    assert (im.tp, im.fp, im.fn, im.ignored, im.n_gt) == (1, 0, 0, 2, 1)
    assert [c for c, _ in res.categories] == [CAT, DOG]  # no metrics of its own
    naive = evaluate([scene()], CATS, EvalOptions())  # without the flag: two false positives
    assert naive.images[0].fp == 2


def test_ap_equals_cocoeval_with_the_region_as_a_crowd_of_every_category():
    res = evaluate([scene()], CATS, EvalOptions(), ignore={IGN})
    img = scene()
    region = img.gt[1]
    ref_img = EvalImage(1, "a.png", SHAPE, [img.gt[0]] + [region.with_(category_id=c, crowd=True)
                                                          for c in (CAT, DOG)], img.pred)
    stats, _ = run_cocoeval(*to_coco([ref_img], CATS[:2]))
    assert res.coco.stats[0] == pytest.approx(stats[0]) and stats[0] > 0.8  # no false positive


def test_pixels_under_an_ignore_region_leave_the_pixel_metrics():
    res = evaluate([scene()], CATS, EvalOptions(), ignore={IGN})
    im = res.images[0]
    assert im.class_iou[CAT] > 0.9
    assert DOG not in im.class_iou or math.isnan(im.class_iou[DOG])  # its pixels were all ignored
    naive = evaluate([scene()], CATS[:2], EvalOptions())
    assert naive.images[0].class_iou[DOG] == 0.0


def test_project_eval_reads_the_category_flag(tmp_path):
    with Project.create(tmp_path / "p") as p:
        cat = p.add_category("cat")
        dog = p.add_category("dog")
        ign = p.add_category("dontcare", ignore=True)
        p.add_label_set("pred")
        (iid,) = p.add_images([(tmp_path / "a.png", SHAPE[1], SHAPE[0])])
        ids = {CAT: cat.id, DOG: dog.id, IGN: ign.id}
        s = scene()
        p.replace_instances(iid, [g.with_category(ids[g.category_id]) for g in s.gt])
        p.replace_instances(iid, [q.with_category(ids[q.category_id]) for q in s.pred], label_set="pred")
        res = compare_label_sets(p, "gt", "pred")
        assert (res.images[0].tp, res.images[0].fp, res.images[0].ignored) == (1, 0, 2)
        assert res.ignore == {ign.id}
