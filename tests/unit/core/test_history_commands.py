import numpy as np
import pytest

from segstudio.core import commands as C
from segstudio.core.document import ImageDocument
from segstudio.core.history import History
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.core.proposal import Proposal

SHAPE = (60, 80)


def box(y0, x0, y1, x1):
    m = np.zeros(SHAPE, bool)
    m[y0:y1, x0:x1] = True
    return MaskPatch.from_full(m)


@pytest.fixture
def doc():
    return ImageDocument(SHAPE)


def add(doc, history, mask, cat=1):
    inst = Instance(doc.allocate_id(), cat, mask)
    history.push(C.add_instance(doc, inst))
    return inst.id


def test_add_undo_redo_and_change_events(doc):
    events = []
    doc.changed.connect(events.append)
    h = History()
    iid = add(doc, h, box(5, 5, 15, 25))
    assert len(doc) == 1 and events[-1].added == {iid}
    assert events[-1].dirty_box == (5, 5, 25, 15)
    assert h.undo_label == "Add instance"
    h.undo()
    assert len(doc) == 0 and events[-1].removed == {iid}
    h.redo()
    assert doc.get(iid).area == 200
    assert doc.revision == 3


def test_macro_is_one_step(doc):
    h = History()
    iid = add(doc, h, box(5, 5, 10, 10))
    h.begin_macro("Brush stroke")
    for x in (20, 30, 40):
        h.push(C.replace_mask(doc, iid, doc.get(iid).mask.paint(np.ones((3, 3), bool), 20, x)))
    h.end_macro()
    assert len(h) == 2 and h.undo_label == "Brush stroke"
    assert doc.get(iid).area == 25 + 27
    h.undo()
    assert doc.get(iid).area == 25
    h.redo()
    assert doc.get(iid).area == 52


def test_remove_restores_z_order_on_undo(doc):
    h = History()
    a = add(doc, h, box(0, 0, 5, 5))
    b = add(doc, h, box(0, 0, 6, 6))
    c = add(doc, h, box(0, 0, 7, 7))
    h.push(C.remove_instances(doc, [b]))
    assert doc.order == (a, c)
    h.undo()
    assert doc.order == (a, b, c)


def test_reorder_and_label_map(doc):
    h = History()
    a = add(doc, h, box(0, 0, 10, 10), cat=1)
    b = add(doc, h, box(5, 5, 15, 15), cat=2)
    assert doc.label_map()[7, 7] == b
    h.push(C.reorder(doc, (b, a)))
    assert doc.label_map()[7, 7] == a
    assert doc.label_map(category_ids=True)[12, 12] == 2
    h.undo()
    assert doc.label_map()[7, 7] == b
    with pytest.raises(ValueError):
        doc.apply({}, (a,))


def test_exclusive_paint_carves_others_in_one_step(doc):
    h = History()
    a = add(doc, h, box(0, 0, 20, 20))
    b = add(doc, h, box(30, 30, 40, 40))
    new_b = doc.get(b).with_mask(doc.get(b).mask.union(box(10, 10, 35, 35)))
    h.push(C.paint_exclusive(doc, new_b, "Brush stroke"))
    assert not doc.get(a).mask.overlaps(doc.get(b).mask)
    assert doc.get(a).area == 400 - 100
    h.undo()
    assert doc.get(a).area == 400 and doc.get(b).area == 100


def test_accept_proposal_new_and_target(doc):
    h = History()
    doc.set_proposal(Proposal(box(1, 1, 4, 4), score=0.9, model_id="m"))
    h.push(C.accept_proposal(doc, doc.proposal, category_id=3))
    inst = doc.instances[-1]
    assert inst.source == "model" and inst.score == 0.9 and inst.category_id == 3
    h.push(C.accept_proposal(doc, Proposal(box(1, 1, 8, 8), target_instance_id=inst.id), 3))
    assert len(doc) == 1 and doc.get(inst.id).area == 49


def test_clean_marker_and_redo_branch(doc):
    h = History()
    add(doc, h, box(0, 0, 2, 2))
    h.mark_clean()
    assert h.is_clean
    add(doc, h, box(0, 0, 3, 3))
    assert not h.is_clean
    h.undo()
    assert h.is_clean
    h.undo()
    add(doc, h, box(0, 0, 4, 4))  # drops the redo branch that held the clean state
    assert not h.is_clean
    assert not h.can_redo


def test_byte_budget_drops_oldest_steps(doc):
    h = History(byte_budget=20_000)
    for i in range(20):
        add(doc, h, box(0, 0, 30 + i, 30 + i))
    kept = len(h)
    assert 1 <= kept < 20
    assert h.nbytes <= 20_000 + max(c.nbytes for c in [C.add_instance(doc, doc.instances[-1])])
    undone = 0
    while h.undo():
        undone += 1
    assert undone == kept
    assert len(doc) == 20 - kept  # the dropped steps can no longer be undone


def test_macro_with_add_then_delete_vanishes(doc):
    h = History()
    h.begin_macro("Scratch")
    iid = add(doc, h, box(0, 0, 3, 3))
    h.push(C.remove_instances(doc, [iid]))
    h.end_macro()
    h.undo()
    h.redo()
    assert len(doc) == 0


def test_cancel_macro_reverts(doc):
    h = History()
    iid = add(doc, h, box(0, 0, 3, 3))
    h.begin_macro("Stroke")
    h.push(C.replace_mask(doc, iid, box(0, 0, 9, 9)))
    h.cancel_macro()
    assert doc.get(iid).area == 9 and len(h) == 1
