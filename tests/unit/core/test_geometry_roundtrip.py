"""Property tests: mask -> RLE -> mask and mask -> polygons with holes -> mask are exact."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from segstudio.core import geometry, rle
from segstudio.core.masks import MaskPatch
from tests.unit.core.strategies import masks


@given(masks())
def test_rle_roundtrip_is_exact(mask):
    assert np.array_equal(rle.decode(rle.encode(mask)), mask)
    assert rle.area(rle.encode(mask)) == int(mask.sum())
    assert np.array_equal(rle.counts_to_mask(rle.mask_to_counts(mask), mask.shape), mask)


@given(masks(), st.integers(0, 30), st.integers(0, 30))
def test_patch_to_image_rle_matches_full_mask(mask, pad_y, pad_x):
    full = np.zeros((mask.shape[0] + pad_y, mask.shape[1] + pad_x), bool)
    full[pad_y:, pad_x:] = mask
    patch = MaskPatch.from_full(full)
    image_rle = rle.patch_to_image_rle(patch)
    assert image_rle["size"] == list(full.shape)
    assert np.array_equal(rle.decode(image_rle), full)
    assert image_rle == rle.encode(full)


@given(masks())
def test_polygons_with_holes_roundtrip_is_exact(mask):
    parts = geometry.mask_to_polygons(mask)
    assert np.array_equal(geometry.polygons_to_mask(parts, mask.shape), mask)


@given(masks(), st.integers(0, 20), st.integers(0, 20))
def test_polygons_of_a_patch_are_in_image_coordinates(mask, oy, ox):
    full = np.zeros((mask.shape[0] + oy, mask.shape[1] + ox), bool)
    full[oy:, ox:] = mask
    patch = MaskPatch.from_full(full)
    parts = geometry.mask_to_polygons(patch)
    assert np.array_equal(geometry.polygons_to_mask(parts, full.shape), full)


def test_ring_with_hole_has_one_part_with_one_hole():
    m = np.zeros((20, 20), bool)
    m[2:18, 2:18] = True
    m[7:12, 7:12] = False
    parts = geometry.mask_to_polygons(m)
    assert len(parts) == 1 and len(parts[0].holes) == 1
    assert geometry.has_holes(m)


def test_two_parts_are_separate():
    m = np.zeros((10, 30), bool)
    m[2:5, 2:8] = True
    m[2:5, 20:25] = True
    parts = geometry.mask_to_polygons(m)
    assert len(parts) == 2
    assert [p.area for p in geometry.connected_parts(MaskPatch.from_full(m))] == [18, 15]


def test_uncompressed_rle_with_wrong_sum_is_refused():
    import pytest

    with pytest.raises(ValueError, match="expected 2x2"):
        rle.counts_to_mask([1, 2], (2, 2))
