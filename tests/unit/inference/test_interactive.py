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


def test_saliency_seeds_the_first_click(disk_image):
    img, gt = disk_image

    class FakeSaliency:  # stands in for U²-Netp: says exactly where the object is
        def saliency(self, rgb):
            import cv2

            return cv2.resize(gt.astype(np.float32), (rgb.shape[1], rgb.shape[0]))

    m = GrabCutInteractive(FakeSaliency())
    m.set_image(img)
    assert _iou(m.predict(Prompt((Click(70, 60),))).mask, gt) > 0.9
