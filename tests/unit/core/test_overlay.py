"""Overlay composition of a dirty box: pure numpy, no Qt."""

from __future__ import annotations

import numpy as np
import pytest

from segstudio.core import commands
from segstudio.core.document import ImageDocument
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.core.overlay import LabelRaster, OverlayStyle, argb, compose, compose_mask

RED, BLUE = (255, 0, 0), (0, 0, 255)


def inst(iid, sl, shape=(40, 40), hole=None):
    m = np.zeros(shape, bool)
    m[sl] = True
    if hole is not None:
        m[hole] = False
    return Instance(iid, iid, MaskPatch.from_full(m))


def test_argb_is_premultiplied():
    assert argb((255, 0, 0), 1.0) == 0xFFFF0000
    assert argb((255, 0, 0), 0.5) == (128 << 24) | (128 << 16)
    assert argb((10, 20, 30), 0.0) == 0


def test_holes_render_as_holes_and_outlines_are_drawn():
    doc = ImageDocument((40, 40), [inst(1, np.s_[5:30, 5:30], hole=np.s_[12:20, 12:20])])
    r = LabelRaster(doc.image_shape)
    r.rebuild(doc)
    style = OverlayStyle.build({1: RED}, opacity=0.5, mode="both")
    out = compose(r.labels, (0, 0, 40, 40), style)
    assert out[15, 15] == 0  # the hole
    assert out[8, 8] == style.fill[1]  # interior
    assert out[5, 10] == style.line[1] and out[11, 15] == style.line[1]  # outer edge, hole edge
    assert out[0, 0] == 0
    fill_only = compose(r.labels, (0, 0, 40, 40), OverlayStyle.build({1: RED}, mode="fill"))
    assert fill_only[5, 10] == fill_only[8, 8]
    outline = compose(r.labels, (0, 0, 40, 40), OverlayStyle.build({1: RED}, mode="outline"))
    assert outline[8, 8] == 0 and outline[5, 10] != 0


def test_z_order_and_hidden():
    doc = ImageDocument((40, 40), [inst(1, np.s_[0:20, 0:20]), inst(2, np.s_[10:30, 10:30])])
    r = LabelRaster(doc.image_shape)
    r.rebuild(doc)
    assert r.labels[15, 15] == 2
    r.rebuild(doc, hidden={2})
    assert r.labels[15, 15] == 1 and r.labels[25, 25] == 0


def test_dirty_box_update_equals_full_rebuild():
    rng = np.random.default_rng(0)
    insts = []
    for i in range(1, 30):
        y, x = rng.integers(0, 90, 2)
        insts.append(inst(i, np.s_[y : y + rng.integers(3, 30), x : x + rng.integers(3, 30)], (100, 100)))
    doc = ImageDocument((100, 100), insts)
    r = LabelRaster(doc.image_shape)
    r.rebuild(doc)
    m = np.zeros((100, 100), bool)
    m[40:60, 40:70] = True
    cmd = commands.paint_exclusive(doc, Instance(99, 1, MaskPatch.from_full(m)), "paint")
    change = []
    doc.changed.connect(change.append)
    cmd.do()
    r.update(doc, change[-1].dirty_box)
    fresh = LabelRaster(doc.image_shape)
    fresh.rebuild(doc)
    assert np.array_equal(r.labels, fresh.labels)


def test_compose_box_matches_full_image_slice_and_strided_levels():
    doc = ImageDocument((64, 64), [inst(1, np.s_[3:40, 7:50], (64, 64)), inst(2, np.s_[20:60, 30:60], (64, 64))])
    r = LabelRaster(doc.image_shape)
    r.rebuild(doc)
    style = OverlayStyle.build({1: RED, 2: BLUE})
    full = compose(r.labels, (0, 0, 64, 64), style)
    part = compose(r.labels, (16, 8, 48, 40), style)
    assert np.array_equal(part, full[8:40, 16:48])  # tiles agree at their borders
    coarse = compose(r.labels, (0, 0, 64, 64), style, step=4)
    assert coarse.shape == (16, 16)
    assert coarse[10, 12] in (style.fill[2], style.line[2])


def test_selection_is_outlined_even_in_fill_mode_and_hover_is_brighter():
    doc = ImageDocument((20, 20), [inst(1, np.s_[2:10, 2:10], (20, 20))])
    r = LabelRaster(doc.image_shape)
    r.rebuild(doc)
    plain = OverlayStyle.build({1: RED}, mode="fill")
    sel = OverlayStyle.build({1: RED}, mode="fill", selected=[1])
    assert compose(r.labels, (0, 0, 20, 20), sel)[2, 5] == 0xFFFFFFFF
    assert compose(r.labels, (0, 0, 20, 20), plain)[2, 5] != 0xFFFFFFFF
    hov = OverlayStyle.build({1: RED}, hover=1)
    assert (hov.fill[1] >> 24) > (plain.fill[1] >> 24)


def test_raster_grows_dtype_for_large_ids():
    doc = ImageDocument((10, 10), [inst(70000, np.s_[0:5, 0:5], (10, 10))])
    r = LabelRaster(doc.image_shape)
    r.rebuild(doc)
    assert r.labels[2, 2] == 70000


def test_compose_mask_stripes_and_outline():
    m = np.zeros((30, 30), bool)
    m[5:25, 5:25] = True
    out = compose_mask(m, (0, 0, 30, 30), BLUE, 0.5, stripes=True)
    inner = out[8:22, 8:22]
    assert len(np.unique(inner)) == 2  # hatched
    assert out[5, 10] == argb(BLUE, 1.0) and out[0, 0] == 0


def test_unknown_mode_rejected():
    with pytest.raises(ValueError, match="overlay mode"):
        OverlayStyle.build({}, mode="glow")


def test_ignore_regions_are_hatched_in_screen_pixels():
    doc = ImageDocument((40, 40), [inst(1, np.s_[0:40, 0:20]), inst(2, np.s_[4:36, 20:38])])
    r = LabelRaster(doc.image_shape)
    r.rebuild(doc)
    style = OverlayStyle.build({1: RED, 2: BLUE}, opacity=0.5, hatched=[2])
    out = compose(r.labels, (0, 0, 40, 40), style)
    inner = out[6:34, 22:36]
    assert (inner == style.fill[2]).any() and (inner == 0).any()  # stripes: filled and clear
    assert (out[2:38, 2:18] == style.fill[1]).all()  # the other instance is untouched
    assert (out[4, 21:37] == style.line[2]).all()  # the outline stays whole
    # the same stripes (in screen pixels) when the tile is sampled every 2nd pixel
    coarse = compose(r.labels, (0, 0, 40, 40), style, step=2)
    assert (coarse[3:17, 11:18] == 0).any() and (coarse[3:17, 11:18] == style.fill[2]).any()
