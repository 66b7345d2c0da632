"""Qt-free parts of review mode: layers (pure numpy), review items and commands."""

from __future__ import annotations

import numpy as np

from segstudio.core.document import ImageDocument
from segstudio.core.history import History
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.eval import review_layers as layers
from segstudio.eval.compare import EvalOptions
from segstudio.eval.review_items import (
    accept_command,
    evaluate_document,
    image_items,
    reject_command,
)

SHAPE = (20, 30)


def box(y0, x0, y1, x1) -> MaskPatch:
    m = np.zeros(SHAPE, bool)
    m[y0:y1, x0:x1] = True
    return MaskPatch.from_full(m)


def test_prediction_layer_outline_fill_and_skip():
    a = Instance(1, 1, box(2, 2, 8, 8), "model", 0.9)
    b = Instance(2, 1, box(10, 10, 15, 20), "model", 0.4)
    rgba = layers.prediction_layer(SHAPE, [a, b], skip={2})
    assert rgba[2, 2].tolist() == [*layers.PRED_RGB, 255]  # outline
    assert rgba[5, 5].tolist() == [*layers.PRED_RGB, 50]  # faint fill inside
    assert rgba[12, 12, 3] == 0  # skipped (rejected)
    assert np.count_nonzero(rgba[..., 3] == 255) == 20  # the 6x6 square's ring


def test_difference_layer_four_colours():
    gt = [Instance(1, 1, box(0, 0, 10, 10)), Instance(2, 2, box(10, 10, 20, 20))]
    pred = [Instance(1, 1, box(0, 5, 10, 15), "model", 0.9), Instance(2, 3, box(10, 10, 20, 20), "model", 0.9)]
    counts = layers.difference_counts(layers.difference_layer(SHAPE, gt, pred))
    assert counts == {"agree": 50, "fp": 50, "fn": 50, "confused": 100}


def test_split_layer_and_focus():
    left = np.zeros((*SHAPE, 4), np.uint8)
    left[...] = (1, 2, 3, 4)
    right = np.zeros_like(left)
    out = layers.split_layer(left, right, 10)
    assert out[0, 9].tolist() == [1, 2, 3, 4] and out[0, 10].tolist() == [255, 255, 255, 255] and out[0, 11, 3] == 0
    assert layers.split_layer(left, right, 99)[0, 29].tolist() == [1, 2, 3, 4]
    f = layers.focus_layer(SHAPE, [Instance(1, 1, box(5, 5, 15, 15))])
    assert f[5, 5, 3] == 255 and f[10, 10, 3] == 0


def docs():
    gt = ImageDocument(SHAPE, [Instance(1, 1, box(0, 0, 10, 10))], image_id=3)
    pred = ImageDocument(SHAPE, [Instance(1, 1, box(0, 1, 10, 11), "import", 0.9),
                                 Instance(2, 2, box(12, 12, 18, 18), "import", 0.6)], image_id=3, label_set="p")
    return gt, pred


def test_items_order_and_live_evaluation():
    gt, pred = docs()
    ev = evaluate_document(gt, pred, [(1, "a"), (2, "b")], EvalOptions())
    items = image_items(ev, {i.id: i for i in pred}, {i.id: i for i in gt})
    assert [(i.kind, i.gt_id, i.pred_id) for i in items] == [("fp", None, 2), ("match", 1, 1)]
    assert items[1].iou == ev.matches[0][3] and not items[0].resolved


def test_accept_and_reject_are_single_undo_steps():
    gt, pred = docs()
    h = History()
    h.push(accept_command(gt, pred, 1, 1, "p"))  # replaces the matched mask
    assert gt.get(1).mask.equals(box(0, 1, 10, 11)) and pred.get(1).attributes["review"] == "accepted"
    assert gt.get(1).attributes == {"accepted_from": "p", "prediction_id": 1}
    h.push(accept_command(gt, pred, 2, None, "p"))  # a false positive becomes a new instance
    assert len(gt) == 2 and gt.get(2).category_id == 2 and gt.get(2).score == 0.6
    h.undo()
    assert len(gt) == 1 and "review" not in pred.get(2).attributes
    h.push(reject_command(pred, 2))
    assert pred.get(2).attributes["review"] == "rejected" and len(gt) == 1
    ev = evaluate_document(gt, pred, [(1, "a"), (2, "b")], EvalOptions())
    items = image_items(ev, {i.id: i for i in pred}, {i.id: i for i in gt})
    assert all(i.resolved for i in items)
    h.undo()
    h.undo()
    assert gt.get(1).mask.equals(box(0, 0, 10, 10)) and "review" not in pred.get(1).attributes
    assert h.undo_label == "" and not h.can_undo
