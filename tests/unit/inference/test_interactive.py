"""The built-in GrabCut interactive model on synthetic images (no saliency, no weights)."""

from __future__ import annotations

import numpy as np
import pytest

from segstudio.core.tasks import Cancelled, CancelToken
from segstudio.inference.base import Click, Prompt, PromptSegmenter
from segstudio.inference.interactive import GrabCutInteractive, GrabCutParams


def _iou(a, b):
    return np.count_nonzero(a & b) / max(1, np.count_nonzero(a | b))


def test_is_a_prompt_segmenter():
    assert isinstance(GrabCutInteractive(), PromptSegmenter)


def test_one_click_finds_a_distinct_object(disk_image):
    img, gt = disk_image
    m = GrabCutInteractive()
    m.set_image(img)
    res = m.predict(Prompt((Click(70, 60),)))
    assert res.mask.shape == gt.shape
    assert _iou(res.mask, gt) > 0.85


def test_box_prompt(disk_image):
    img, gt = disk_image
    m = GrabCutInteractive()
    m.set_image(img)
    res = m.predict(Prompt(box=(34, 24, 106, 96)))
    assert _iou(res.mask, gt) > 0.85
    assert not res.mask[:, 110:].any()  # nothing outside the box


def test_negative_click_removes_a_wrong_part(disk_image):
    img, gt = disk_image
    m = GrabCutInteractive()
    m.set_image(img)
    wrong = gt.copy()
    wrong[50:70, 100:130] = True  # a false-positive blob attached to the right of the disk
    res = m.predict(Prompt((Click(70, 60), Click(118, 60, False)), None, wrong))
    assert not res.mask[55:65, 112:125].any()
    assert _iou(res.mask, gt) > _iou(wrong, gt)
    # the far side of the object is untouched by a local correction
    assert (res.mask[40:80, 45:60] == wrong[40:80, 45:60]).all()


def test_positive_click_adds_a_missed_part(disk_image):
    img, gt = disk_image
    m = GrabCutInteractive()
    m.set_image(img)
    partial = gt.copy()
    partial[:, 70:] = False  # the right half was missed
    res = m.predict(Prompt((Click(60, 60), Click(85, 60)), None, partial))
    assert _iou(res.mask, gt) > _iou(partial, gt) + 0.2


def test_clicks_are_hard_constraints(disk_image):
    img, _ = disk_image
    m = GrabCutInteractive()
    m.set_image(img)
    res = m.predict(Prompt((Click(70, 60), Click(140, 20))))  # second click on background
    assert res.mask[60, 70] and res.mask[20, 140]
    res = m.predict(Prompt((Click(70, 60), Click(72, 60, False))))
    assert not res.mask[60, 72]


def test_large_images_are_processed_at_reduced_size(disk_image):
    img, gt = disk_image
    big = np.kron(img, np.ones((4, 4, 1), np.uint8))
    gt_big = np.kron(gt, np.ones((4, 4), bool))
    m = GrabCutInteractive(params=GrabCutParams(work_side=200))
    m.set_image(big)
    res = m.predict(Prompt((Click(280, 240),)))
    assert res.mask.shape == gt_big.shape and _iou(res.mask, gt_big) > 0.85


def test_errors_and_cancel(disk_image):
    img, _ = disk_image
    m = GrabCutInteractive()
    with pytest.raises(RuntimeError, match="set_image"):
        m.predict(Prompt((Click(1, 1),)))
    with pytest.raises(ValueError, match="RGB uint8"):
        m.set_image(img.astype(np.float32))
    m.set_image(img)
    assert not m.predict(Prompt()).mask.any()
    with pytest.raises(ValueError, match="previous mask"):
        m.predict(Prompt((Click(1, 1),), None, np.ones((3, 3), bool)))
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        m.predict(Prompt((Click(70, 60),)), token)


class RednessSaliency:
    """Stands in for U²-Netp: "salient" = red, judged from the pixels it is given, so it answers
    for crops as well as for the whole image.  Records the crop sizes it was asked about."""

    def __init__(self, largest_only: bool = False):
        self.calls: list[tuple[int, int]] = []
        self.largest_only = largest_only

    def saliency(self, rgb, cancel=None):
        import cv2

        self.calls.append(rgb.shape[:2])
        red = (rgb[..., 0].astype(int) - rgb[..., 1].astype(int)) > 80
        if self.largest_only and red.any():  # a subject detector: only the biggest red thing
            n, labels, stats, _ = cv2.connectedComponentsWithStats(red.astype(np.uint8))
            red = labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        return cv2.GaussianBlur(red.astype(np.float32), (3, 3), 0)


def test_saliency_seeds_the_first_click(disk_image):
    img, gt = disk_image
    m = GrabCutInteractive(RednessSaliency())
    m.set_image(img)
    assert _iou(m.predict(Prompt((Click(70, 60),))).mask, gt) > 0.9


def test_zoomed_saliency_finds_an_object_that_is_not_the_photo_subject():
    """Whole-image saliency picks the big red disk; a click on the small one is re-looked at on a
    crop around it, where the small disk is the subject."""
    rng = np.random.default_rng(3)
    h, w = 240, 320
    img = rng.normal(110, 12, (h, w, 3)).clip(0, 255).astype(np.uint8)
    yy, xx = np.mgrid[:h, :w]
    big = (yy - 120) ** 2 + (xx - 90) ** 2 < 70**2
    small = (yy - 60) ** 2 + (xx - 260) ** 2 < 18**2
    for obj in (big, small):
        img[obj] = rng.normal((210, 50, 40), 10, (int(obj.sum()), 3)).clip(0, 255).astype(np.uint8)
    sal = RednessSaliency(largest_only=True)
    m = GrabCutInteractive(sal)
    m.set_image(img)
    res = m.predict(Prompt((Click(260, 60),)))
    assert _iou(res.mask, small) > 0.9
    assert not res.mask[big].any()
    crops = sal.calls[1:]  # the first call is the whole image (set_image)
    assert crops and all(ch < h / 2 and cw < w / 2 for ch, cw in crops)


def test_zoomed_saliency_is_refused_when_it_contradicts_the_clicks(disk_image):
    """A saliency that calls everything salient contradicts the negative clicks: the refinement
    falls back to GrabCut and the background stays background."""
    img, gt = disk_image

    class Everything:
        def saliency(self, rgb, cancel=None):
            return np.ones(rgb.shape[:2], np.float32)

    m = GrabCutInteractive(Everything())
    m.set_image(img)
    partial = gt.copy()
    partial[:, 75:] = False
    clicks = (Click(60, 60), Click(40, 20, False), Click(100, 100, False), Click(95, 60))
    res = m.predict(Prompt(clicks, None, partial))
    assert res.mask[60, 95] and not res.mask[20, 40] and not res.mask[100, 100]
    assert _iou(res.mask, gt) > _iou(partial, gt)
    assert np.count_nonzero(res.mask & ~gt) < 0.2 * gt.sum()


def test_same_clicks_give_the_same_mask(disk_image):
    img, gt = disk_image
    m = GrabCutInteractive(RednessSaliency())
    m.set_image(img)
    first = m.predict(Prompt((Click(70, 60),))).mask
    prompt = Prompt((Click(70, 60), Click(110, 60, False)), None, first)
    assert np.array_equal(m.predict(prompt).mask, m.predict(prompt).mask)


def test_box_prompt_uses_the_saliency_of_the_box(disk_image):
    img, gt = disk_image
    m = GrabCutInteractive(RednessSaliency())
    m.set_image(img)
    prompt = Prompt(box=(30, 20, 104, 96))  # cuts a sliver off the disk's right edge
    fast = m.predict_fast(prompt)
    better = m.predict_refined(prompt, fast.mask)
    assert better is not None
    inside = np.zeros_like(gt)
    inside[20:96, 30:104] = True
    assert _iou(better.mask, gt & inside) > 0.95
    assert not (better.mask & ~inside).any()
    assert np.array_equal(m.predict(prompt).mask, better.mask)

    class Nothing:
        def saliency(self, rgb, cancel=None):
            return np.zeros(rgb.shape[:2], np.float32)

    blind = GrabCutInteractive(Nothing())
    blind.set_image(img)
    fast = blind.predict_fast(prompt)
    assert blind.predict_refined(prompt, fast.mask) is None  # nothing salient: GrabCut stands
