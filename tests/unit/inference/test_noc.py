"""The NoC protocol (segstudio.eval.noc) with oracle and synthetic models."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from segstudio.eval import noc


def _disk(h=60, w=80, cy=30, cx=40, r=15):
    yy, xx = np.mgrid[:h, :w]
    return (yy - cy) ** 2 + (xx - cx) ** 2 < r * r


def test_first_click_is_the_centre_of_the_object():
    gt = _disk()
    x, y, pos = noc.next_click(np.zeros_like(gt), gt)
    assert pos and abs(x - 40) <= 1 and abs(y - 30) <= 1


def test_click_goes_to_the_largest_error_region_with_its_sign():
    gt = np.zeros((60, 80), bool)
    gt[10:50, 10:40] = True
    pred = gt.copy()
    pred[10:20, 10:40] = False  # missed 300 px
    pred[30:60, 50:80] = True  # false positive 900 px, touching the image border
    x, y, pos = noc.next_click(pred, gt)
    assert not pos and 50 <= x < 80 and 30 <= y < 60
    # image border counts as boundary: the click is not on the border
    assert x < 79 and y < 59
    assert noc.next_click(gt, gt) is None


def test_distance_rule_prefers_the_widest_region():
    gt = np.zeros((60, 100), bool)
    gt[5:25, 5:25] = True  # missed 20x20 block (400 px): inscribed radius ~10
    pred = np.zeros_like(gt)
    pred[30:36, 10:100] = True  # false positive 6x90 strip (540 px): larger, but thin
    assert noc.next_click(pred, gt, rule="area")[2] is False
    assert noc.next_click(pred, gt, rule="distance")[2] is True
    with pytest.raises(ValueError, match="rule"):
        noc.next_click(pred, gt, rule="nearest")


def test_ignored_pixels_are_neither_errors_nor_in_iou():
    gt = _disk()
    ignore = _disk(r=17) & ~_disk(r=13)
    pred = _disk(r=14)
    assert noc.iou(pred, gt, ignore) == 1.0
    assert noc.next_click(pred, gt, ignore) is None


def test_run_and_summary_with_a_model_that_paints_clicks():
    gt = _disk()

    def painter(clicks, prev):  # each click paints a disk of radius 8 with its label
        m = np.zeros(gt.shape, bool) if prev is None else prev.copy()
        for x, y, pos in clicks[-1:]:
            d = np.zeros(gt.shape, np.uint8)
            cv2.circle(d, (x, y), 8, 1, -1)
            m[d.astype(bool)] = pos
        return m

    run = noc.run_image(painter, gt, max_clicks=20, name="disk")
    assert len(run.ious) == 20 and run.clicks[0][2] is True
    assert run.ious[0] == pytest.approx(np.pi * 64 / gt.sum(), rel=0.1)  # one disk of radius 8
    assert run.ious[2] > run.ious[0]
    first90 = next((k for k, v in enumerate(run.ious, 1) if v >= 0.9), 20)
    s = noc.summarize([run], 20)
    assert s.noc90 == first90 and s.miou[1] == run.ious[0] and s.miou[5] == run.ious[4]
    perfect = noc.run_image(lambda c, p: gt.copy(), gt, max_clicks=20)
    assert perfect.noc(0.9, 20) == 1 and perfect.ious[-1] == 1.0


def test_dataset_layouts_and_csv(tmp_path):
    for img_dir, gt_dir, ignore in (("img", "gt", False), ("images", "masks", False),
                                    ("data_GT", "boundary_GT", True)):
        root = tmp_path / img_dir
        (root / img_dir).mkdir(parents=True)
        (root / gt_dir).mkdir()
        cv2.imwrite(str(root / img_dir / "a.jpg"), np.zeros((20, 30, 3), np.uint8))
        mask = np.zeros((20, 30), np.uint8)
        mask[5:15, 5:15] = 255
        mask[4, 4:16] = 128
        cv2.imwrite(str(root / gt_dir / "a.png"), mask)
        cv2.imwrite(str(root / img_dir / "unpaired.jpg"), np.zeros((4, 4, 3), np.uint8))
        samples = noc.find_samples(root)
        assert [s.name for s in samples] == ["a"]
        fg, ign = noc.load_mask(samples[0])
        assert fg.sum() == 100 + (0 if ignore else 12)
        assert (ign is not None) == ignore
    with pytest.raises(ValueError, match="no known layout"):
        noc.find_samples(tmp_path)
    runs = noc.evaluate(samples, lambda rgb: (lambda c, p: fg.copy()),
                        lambda p: cv2.imread(str(p))[..., ::-1], max_clicks=5)
    out = tmp_path / "rows.csv"
    noc.write_csv(out, runs, 5)
    lines = out.read_text().splitlines()
    assert lines[0].startswith("image,noc85,noc90") and lines[1].startswith("a,1,1")
