"""Simplifying a traced outline drafts its rounds with pycocotools over a window and confirms
the answer with the exact whole-image kernel: a draft that is wrong never reaches the file."""

import cv2
import numpy as np

from segstudio.core.masks import MaskPatch
from segstudio.io.formats import _vector
from segstudio.io.formats._polygons import outline_polygons


def _blob(seed: int, shape=(120, 160), noise: bool = True) -> MaskPatch:
    rng = np.random.default_rng(seed)
    m = np.zeros(shape, np.uint8)
    pts = np.stack([rng.uniform(30, 130, 9), rng.uniform(20, 100, 9)], 1).astype(np.int32)
    cv2.fillPoly(m, [cv2.convexHull(pts)], 1)
    if noise:  # pinholes inside: traced outlines that are not exact
        m = cv2.dilate(m, np.ones((3, 3), np.uint8)) ^ (rng.random(shape) < 0.02) * cv2.erode(m, np.ones((9, 9), np.uint8))
    return MaskPatch.from_full(m.astype(bool))


def _exact(rings, patch: MaskPatch) -> bool:
    want, win = _vector._window_of(patch)
    return np.array_equal(_vector._draw(rings, "coco", win, patch.image_shape), want)


def test_simplified_outlines_draw_exactly_and_match_exact_rounds(monkeypatch):
    checked = 0
    for seed in range(6):
        patch = _blob(seed, noise=seed % 2 == 0)
        polys, _ = outline_polygons(patch)
        rings = [np.asarray(p, np.float64).reshape(-1, 2) for p in polys]
        if not _exact(rings, patch):
            continue  # the caller writes RLE (or the whole trace) for these
        drafted = _vector.simplify_exact(rings, patch, "coco")
        assert _exact(drafted, patch)
        assert sum(map(len, drafted)) < sum(map(len, rings))
        with monkeypatch.context() as m:
            m.setattr(_vector, "_coco_draft", lambda out, win: _vector._draw(out, "coco", win, None))
            assert [r.tolist() for r in _vector.simplify_exact(rings, patch, "coco")] == \
                [r.tolist() for r in drafted]
        checked += 1
    assert checked >= 2


def test_a_draft_that_lies_is_caught_by_the_exact_check(monkeypatch):
    checked = 0
    for seed in range(6):
        patch = _blob(seed, noise=False)
        polys, _ = outline_polygons(patch)
        rings = [np.asarray(p, np.float64).reshape(-1, 2) for p in polys]
        if not _exact(rings, patch):
            continue
        want, _ = _vector._window_of(patch)
        with monkeypatch.context() as m:
            m.setattr(_vector, "_coco_draft", lambda out, win, w=want: w.copy())  # "no difference"
            coarse = [r[_vector._dp_indices(r, 6.0)] for r in rings]
            assert not _exact(coarse, patch)  # the first draft really is wrong
            out = _vector.simplify_exact(rings, patch, "coco", start=6.0)
        assert _exact(out, patch)
        checked += 1
    assert checked >= 2
