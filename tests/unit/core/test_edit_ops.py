"""Selection operations: each returns one command; undo restores exactly."""

from __future__ import annotations

import numpy as np
import pytest

from segstudio.core import edit_ops
from segstudio.core.document import ImageDocument
from segstudio.core.history import History
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch

SHAPE = (50, 50)


def mk(iid, full, cat=1):
    return Instance(iid, cat, MaskPatch.from_full(full))


def ring_mask():
    m = np.zeros(SHAPE, bool)
    m[10:40, 10:40] = True
    m[20:30, 20:30] = False
    m[12:14, 35:37] = False  # a small hole
    return m


def run(doc, cmd):
    h = History()
    h.push(cmd)
    return h


def test_fill_holes_all_or_by_area():
    doc = ImageDocument(SHAPE, [mk(1, ring_mask())])
    before = doc.get(1).mask
    h = run(doc, edit_ops.fill_holes(doc, [1], max_area=10))
    m = doc.get(1).mask.to_full()
    assert m[13, 36] and not m[25, 25]
    h.undo()
    assert doc.get(1).mask.equals(before)
    run(doc, edit_ops.fill_holes(doc, [1]))
    assert doc.get(1).area == 900


def test_fill_holes_noop_returns_none():
    m = np.zeros(SHAPE, bool)
    m[5:10, 5:10] = True
    doc = ImageDocument(SHAPE, [mk(1, m)])
    assert edit_ops.fill_holes(doc, [1]) is None


def test_remove_islands_keeps_large_parts():
    m = np.zeros(SHAPE, bool)
    m[0:20, 0:20] = True
    m[30:32, 30:32] = True  # 4 px
    m[40:48, 40:48] = True  # 64 px
    doc = ImageDocument(SHAPE, [mk(1, m)])
    run(doc, edit_ops.remove_islands(doc, [1], 10))
    out = doc.get(1).mask.to_full()
    assert not out[30, 30] and out[45, 45] and out[5, 5]


def test_smooth_removes_a_spike():
    m = np.zeros(SHAPE, bool)
    m[10:40, 10:40] = True
    m[5:10, 24] = True  # one-pixel spike
    doc = ImageDocument(SHAPE, [mk(1, m)])
    run(doc, edit_ops.smooth(doc, [1], 2))
    out = doc.get(1).mask.to_full()
    assert not out[6, 24] and out[25, 25]


def test_split_merge_duplicate():
    m = np.zeros(SHAPE, bool)
    m[0:10, 0:10] = True
    m[20:40, 20:40] = True
    doc = ImageDocument(SHAPE, [mk(1, m, cat=3), mk(2, np.eye(50, dtype=bool))])
    h = History()
    h.push(edit_ops.split_parts(doc, [1]))
    assert len(doc) == 3
    new = [i for i in doc.order if i not in (1, 2)][0]
    assert doc.get(1).area == 400 and doc.get(new).area == 100 and doc.get(new).category_id == 3
    assert doc.order.index(new) == doc.order.index(1) + 1  # just above the original
    h.push(edit_ops.merge(doc, [1, new]))
    assert len(doc) == 2 and doc.get(1).area == 500
    h.push(edit_ops.duplicate(doc, [2]))
    assert len(doc) == 3 and doc.get(doc.order[-1]).mask.equals(doc.get(2).mask)
    for _ in range(3):
        h.undo()
    assert doc.order == (1, 2) and doc.get(1).mask.equals(MaskPatch.from_full(m))


def test_combine_with_shape_and_attributes():
    m = np.zeros(SHAPE, bool)
    m[10:30, 10:30] = True
    doc = ImageDocument(SHAPE, [mk(1, m)])
    shape = np.zeros(SHAPE, bool)
    shape[20:40, 20:40] = True
    run(doc, edit_ops.combine_with_shape(doc, [1], MaskPatch.from_full(shape), "intersect"))
    assert doc.get(1).area == 100
    run(doc, edit_ops.set_attributes(doc, 1, {"occluded": True}))
    assert doc.get(1).attributes == {"occluded": True}
    assert edit_ops.set_attributes(doc, 1, {"occluded": True}) is None


def test_z_order_moves():
    from segstudio.core.edit_ops import reordered

    order = (1, 2, 3, 4, 5)  # bottom -> top
    assert reordered(order, [2, 4], "front") == (1, 3, 5, 2, 4)
    assert reordered(order, [2, 4], "back") == (2, 4, 1, 3, 5)
    assert reordered(order, [2, 4], "up") == (1, 3, 2, 5, 4)
    assert reordered(order, [2, 4], "down") == (2, 1, 4, 3, 5)
    assert reordered(order, [4, 5], "up") == order  # already on top: the block stays
    assert reordered(order, [1, 2], "down") == order
    with pytest.raises(ValueError, match="z-order move"):
        reordered(order, [1], "sideways")
