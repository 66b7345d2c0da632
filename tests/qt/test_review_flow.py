"""Review mode driven like a reviewer: open, step through the queue, accept, reject, undo."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QObject, Qt

from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.store import Project

H, W = 60, 80


def box(y0, x0, y1, x1) -> MaskPatch:
    m = np.zeros((H, W), bool)
    m[y0:y1, x0:x1] = True
    return MaskPatch.from_full(m)


@pytest.fixture
def review_project(project_dir):
    """im0: a good match and a false positive; im1: a miss; im2: perfect."""
    with Project.open(project_dir) as p:
        cat, dog = (c.id for c in p.categories())
        im0, im1, im2 = (r.id for r in p.images())
        p.add_label_set("pred", "prediction", "test")
        p.replace_instances(im0, [Instance(1, cat, box(10, 10, 30, 30))])
        p.replace_instances(im0, [Instance(1, cat, box(10, 12, 30, 32), "import", 0.9),
                                  Instance(2, dog, box(40, 50, 55, 70), "import", 0.8)], label_set="pred")
        p.replace_instances(im1, [Instance(1, cat, box(5, 5, 25, 25)), Instance(2, dog, box(30, 40, 50, 60))])
        p.replace_instances(im1, [Instance(1, cat, box(5, 5, 25, 25), "import", 0.95)], label_set="pred")
        p.replace_instances(im2, [Instance(1, cat, box(0, 0, 10, 10))])
        p.replace_instances(im2, [Instance(1, cat, box(0, 0, 10, 10), "import", 0.99)], label_set="pred")
    return project_dir, (im0, im1, im2), (cat, dog)


@pytest.fixture
def review(review_project, window, qtbot):
    from segstudio.qt.features import review as feature_module

    feature_module.install(window)
    feature = window.findChild(QObject, "review_feature")
    feature.show_panel()
    with qtbot.waitSignal(feature.controller.result_ready, timeout=10_000):
        feature.panel.start()
    yield feature
    feature.controller.worker.wait(5000)
    assert not feature.controller.worker.busy()  # no comparison thread left behind


def key(qtbot, window, k, mods=Qt.KeyboardModifier.NoModifier):
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, k, mods)


def test_queue_accept_reject_undo_with_the_keyboard(review_project, window, qtbot, review):
    root, (im0, im1, im2), (cat, dog) = review_project
    c = review.controller
    assert [i.image_id for i in c.queue.items] == [im0, im1, im2]  # most disagreement first
    assert window.current_image().id == im0
    assert [i.kind for i in c.items] == ["fp", "match"]
    assert review.panel.queue.rowCount() == 3

    # arriving on the image selects its first disagreement: the false positive
    assert c.current_item().kind == "fp" and c.current_item().pred_id == 2
    key(qtbot, window, Qt.Key.Key_J)  # J / Shift+J step through the disagreements
    assert c.current_item().kind == "match"
    key(qtbot, window, Qt.Key.Key_J, Qt.KeyboardModifier.ShiftModifier)
    assert c.current_item().kind == "fp"
    key(qtbot, window, Qt.Key.Key_U)  # reject it: the cursor moves on to the next one
    assert c.pred_document().get(2).attributes["review"] == "rejected"
    assert len(window.current_document()) == 1  # the ground truth is untouched
    item = c.current_item()
    assert item.kind == "match" and item.gt_id == 1 and window.selected_instance_ids() == [1]
    key(qtbot, window, Qt.Key.Key_Y)  # accept: the prediction's mask becomes the ground truth
    doc = window.current_document()
    assert doc.get(1).mask.equals(box(10, 12, 30, 32)) and len(doc) == 1
    assert all(i.resolved for i in c.items) and c.image_eval.fp == 1 and c.image_eval.tp == 1
    with Project.open(root) as p:  # both documents reached the store
        assert p.load_instances(im0)[0].mask.equals(box(10, 12, 30, 32))
        assert p.load_instances(im0, 0, "pred")[1].attributes["review"] == "rejected"

    key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the accept
    assert doc.get(1).mask.equals(box(10, 10, 30, 30))
    assert "review" not in c.pred_document().get(1).attributes
    key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the reject
    assert "review" not in c.pred_document().get(2).attributes
    qtbot.waitUntil(lambda: not any(i.resolved for i in c.items))  # live items follow the undo

    key(qtbot, window, Qt.Key.Key_G)  # next image of the queue: a miss
    assert window.current_image().id == im1
    assert [i.kind for i in c.items] == ["fn", "match"] and c.current_item().kind == "fn"
    key(qtbot, window, Qt.Key.Key_Y)  # nothing to accept for a miss: no change
    assert len(window.current_document()) == 2 and not window.current_history().can_undo
    key(qtbot, window, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)  # image OK, next
    assert window.current_image().id == im2
    with Project.open(root) as p:
        assert p.image(im1).review_status == "accepted"
    key(qtbot, window, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)  # needs fix, end of queue
    with Project.open(root) as p:
        assert p.image(im2).review_status == "needs_fix"
    key(qtbot, window, Qt.Key.Key_G, Qt.KeyboardModifier.ShiftModifier)  # back
    assert window.current_image().id == im1


def test_accepting_a_false_positive_adds_it_to_the_ground_truth(review_project, window, qtbot, review):
    _, (im0, _, _), (cat, dog) = review_project
    c = review.controller
    c.select_item(0)
    key(qtbot, window, Qt.Key.Key_Y)
    doc = window.current_document()
    added = [i for i in doc if i.id != 1]
    assert len(added) == 1 and added[0].category_id == dog and added[0].mask.equals(box(40, 50, 55, 70))
    assert added[0].attributes["accepted_from"] == "pred" and added[0].source == "model"
    assert c.image_eval.fp == 0 and c.image_eval.tp == 2
    assert review.panel.queue.item(0, 3).text() == "0"  # the queue row follows the edit (FP 0)
    assert c.queue.items[0].agreement > 0.9
    window.actions["undo"].trigger()
    assert len(doc) == 1
    qtbot.waitUntil(lambda: c.image_eval.fp == 1)
    qtbot.waitUntil(lambda: review.panel.queue.item(0, 3).text() == "1")


def test_queue_clicks_and_order(review_project, window, qtbot, review):
    _, (im0, im1, im2), _ = review_project
    panel = review.panel
    panel.queue.cellClicked.emit(2, 0)
    assert window.current_image().id == im2
    panel.order.setCurrentIndex(2)  # by name
    assert [i.name for i in review.controller.queue.items] == ["img/im0.png", "img/im1.png", "img/im2.png"]
    assert review.controller.queue.current.image_id == im2


def test_hide_accepted_images(review_project, window, qtbot, review):
    _, (im0, im1, im2), _ = review_project
    c, panel = review.controller, review.panel
    c.set_status("accepted", advance=False)  # im0, the current image
    assert panel.queue.item(0, 5).text() == "accepted"
    panel.hide_accepted.setChecked(True)
    assert panel.queue.rowCount() == 3  # the current image stays until we leave it
    key(qtbot, window, Qt.Key.Key_G)
    c.set_hide_accepted(True)
    assert [i.image_id for i in c.queue.items] == [im1, im2] and panel.queue.rowCount() == 2


def test_nothing_active_before_a_comparison(review_project, window, qtbot):
    from segstudio.qt.features import review as feature_module

    feature = feature_module.install(window)
    assert not feature.actions["accept"].isEnabled() and feature.actions["review_mode"].isEnabled()
    key(qtbot, window, Qt.Key.Key_Y)  # no effect, no error
    assert not window.current_history().can_undo
