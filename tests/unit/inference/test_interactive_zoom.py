"""The zoomed-saliency helpers of the built-in click model (pure numpy/OpenCV)."""

from __future__ import annotations

import numpy as np

from segstudio.inference import interactive_zoom as zoom
from segstudio.inference.base import Click


def test_zoom_box_covers_mask_and_positive_clicks_with_margin():
    m = np.zeros((100, 200), bool)
    m[40:60, 50:90] = True
    box = zoom.zoom_box(m, [Click(120, 50), Click(5, 5, False)], margin=0.25)
    x0, y0, x1, y1 = box
    assert x0 < 50 and x1 > 121 and y0 < 40 and y1 > 60  # mask and the positive click inside
    assert x0 > 5 or y0 > 5  # the negative click does not stretch the box
    assert zoom.zoom_box(np.zeros((10, 10), bool), [], 0.3) is None
    assert zoom.zoom_box(m, [], 10.0) == (0, 0, 200, 100)  # clipped to the image


def test_candidate_keeps_the_parts_with_positive_clicks():
    prob = np.zeros((50, 80), np.float32)
    prob[5:15, 5:15] = 0.9
    prob[30:45, 50:75] = 0.8
    box = (10, 20, 90, 70)
    m = zoom.candidate(prob, box, (100, 100), [Click(70, 60)], threshold=0.5)
    assert m[60, 70] and not m[30, 20]  # the clicked part, not the other one
    assert m.sum() == 15 * 25
    none_clicked = zoom.candidate(prob, box, (100, 100), [Click(2, 2)], threshold=0.5)
    assert none_clicked.sum() == 100 + 15 * 25


def test_violated_and_correct():
    m = np.zeros((20, 20), bool)
    m[5:10, 5:10] = True
    clicks = [Click(7, 7), Click(15, 15), Click(6, 6, False)]
    assert zoom.violated(m, clicks) == clicks[1:]
    seen = []

    def fix(mask, cl):
        seen.append(cl[-1])
        out = mask.copy()
        c = cl[-1]
        out[int(c.y), int(c.x)] = c.positive
        return out

    fixed = zoom.correct(m, clicks, fix)
    assert not zoom.violated(fixed, clicks)
    assert seen == clicks[1:]  # each violated click fixed once, as the newest


def test_zoomed_saliency_cache_reuses_a_box():
    calls = []

    def sal(crop, cancel=None):
        calls.append(crop.shape)
        return np.full(crop.shape[:2], 0.7, np.float32)

    z = zoom.ZoomedSaliency(sal, size=2)
    img = np.zeros((40, 60, 3), np.uint8)
    a = z(img, (0, 0, 30, 20))
    b = z(img, (0, 0, 30, 20))
    assert a is b and len(calls) == 1 and a.shape == (20, 30)
    z(img, (1, 1, 10, 10))
    z(img, (2, 2, 10, 10))
    z(img, (0, 0, 30, 20))  # evicted by the two newer boxes
    assert len(calls) == 4
    z.clear()
    z(img, (2, 2, 10, 10))
    assert len(calls) == 5
