"""The vectorised RLE codec agrees with pycocotools and with the store's patch encoding."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pycocotools import mask as cmask

from segstudio.core import rle
from segstudio.core.masks import MaskPatch
from segstudio.io import rle_batch as rb


@st.composite
def masks(draw):
    h = draw(st.integers(1, 30))
    w = draw(st.integers(1, 30))
    seed = draw(st.integers(0, 2**31))
    density = draw(st.sampled_from([0.0, 0.05, 0.5, 0.95, 1.0]))
    rng = np.random.default_rng(seed)
    return rng.random((h, w)) < density


def coco_string(m: np.ndarray) -> str:
    return cmask.encode(np.asfortranarray(m.astype(np.uint8)))["counts"].decode()


@given(st.lists(masks(), min_size=1, max_size=8))
def test_strings_round_trip_like_pycocotools(ms):
    strings = [coco_string(m) for m in ms]
    runs = rb.decode_strings(strings)
    for i, m in enumerate(ms):
        assert runs.get(i) == rle.mask_to_counts(m) or (not m.any() and runs.get(i) == [m.size])
    assert rb.encode_strings(runs) == strings


@given(st.lists(masks(), min_size=1, max_size=8))
def test_image_to_patch_and_back(ms):
    strings = [coco_string(m) for m in ms]
    H = np.array([m.shape[0] for m in ms])
    W = np.array([m.shape[1] for m in ms])
    boxes, patch_runs = rb.image_to_patches(rb.decode_strings(strings), H, W)
    patch_strings = rb.encode_strings(patch_runs)
    for i, m in enumerate(ms):
        p = MaskPatch.from_full(m)
        assert boxes.area[i] == m.sum()
        if p.is_empty:
            assert patch_strings[i] == ""
            continue
        assert (boxes.y0[i], boxes.x0[i], boxes.h[i], boxes.w[i]) == (p.y0, p.x0, p.height, p.width)
        assert patch_strings[i] == rle.encode(p.data)["counts"]  # what the store keeps
    back = rb.patches_to_image(patch_runs, boxes.y0, boxes.x0, boxes.h, H, W)
    assert rb.encode_strings(back) == strings


@pytest.mark.parametrize(
    "bad, problem",
    [("0a", "truncated"), ("0 1", "invalid"), ("Ä", "non-ASCII"), ("`" * 14 + "0", "overlong")],
)
def test_malformed_strings_name_the_culprit(bad, problem):
    good = coco_string(np.ones((3, 3), bool))
    with pytest.raises(rb.RleStringError, match=problem) as e:
        rb.decode_strings([good, bad])
    assert e.value.index == 1
