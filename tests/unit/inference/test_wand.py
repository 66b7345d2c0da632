"""Magic wand, flood fill, superpixels and snapping."""

from __future__ import annotations

import numpy as np
import pytest

from segstudio.inference.wand import flood_fill, magic_wand, snap_to_superpixels, superpixels


def _two_squares():
    img = np.full((60, 80, 3), 30, np.uint8)
    img[10:30, 10:30] = (200, 40, 40)
    img[35:55, 50:70] = (205, 42, 38)  # same colour, not connected
    return img


def test_magic_wand_contiguous_and_global():
    img = _two_squares()
    m = magic_wand(img, 15, 15, tolerance=10)
    assert m.sum() == 400 and m[10:30, 10:30].all()
    g = magic_wand(img, 15, 15, tolerance=10, contiguous=False)
    assert g.sum() == 800
    assert magic_wand(img, 15, 15, tolerance=2, contiguous=False).sum() == 400
    with pytest.raises(ValueError, match="outside"):
        magic_wand(img, 100, 5)


def test_flood_fill_fills_a_hole_only():
    ring = np.zeros((30, 30), bool)
    ring[5:25, 5:25] = True
    ring[10:20, 10:20] = False
    hole = flood_fill(ring, 15, 15)
    assert hole.sum() == 100 and hole[10:20, 10:20].all()
    assert not flood_fill(ring, 6, 6).any()  # clicked on the barrier


def test_superpixels_follow_edges_and_snapping_cleans_a_rough_mask():
    img = _two_squares()
    labels = superpixels(img, step=8)
    assert labels.shape == img.shape[:2] and labels.min() == 0
    assert len(np.unique(labels)) > 20
    # no superpixel straddles the square's edge by much
    inside = np.zeros(img.shape[:2], bool)
    inside[10:30, 10:30] = True
    rough = np.zeros_like(inside)
    rough[8:31, 12:32] = True  # a sloppy brush stroke around the square
    snapped = snap_to_superpixels(rough, labels)
    err_before = np.count_nonzero(rough ^ inside)
    assert np.count_nonzero(snapped ^ inside) < err_before / 2
