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
    for img_dir, gt_dir in (("img", "gt"), ("images", "masks"), ("data_GT", "boundary_GT")):
        root = tmp_path / img_dir
        (root / img_dir).mkdir(parents=True)
        (root / gt_dir).mkdir()
        cv2.imwrite(str(root / img_dir / "a.jpg"), np.zeros((20, 30, 3), np.uint8))
        mask = np.zeros((20, 30), np.uint8)
        mask[5:15, 5:15] = 255
        mask[4, 4:16] = 128
        cv2.imwrite(str(root / gt_dir / "a.png"), mask)
        cv2.imwrite(str(root / img_dir / "unpaired.jpg"), np.zeros((4, 4, 3), np.uint8))
        cv2.imwrite(str(root / gt_dir / "orphan.png"), mask)
        found = noc.scan(root)
        assert [s.name for s in found.samples] == ["a"]
        assert found.images_without_mask == ["unpaired.jpg"] and found.masks_without_image == ["orphan.png"]
        assert any("1 images without a mask" in w and "unpaired.jpg" in w for w in found.warnings())
        notes: list[str] = []
        fg, ign = noc.load_mask(found.samples[0], notes)
        # the 128 band is ignored in every layout, not only boundary_GT
        assert fg.sum() == 100 and ign is not None and ign.sum() == 12 and not notes
    with pytest.raises(ValueError, match="no known layout"):
        noc.find_samples(tmp_path)
    samples = found.samples
    runs = noc.evaluate(samples, lambda rgb: (lambda c, p: fg.copy()),
                        lambda p: cv2.imread(str(p))[..., ::-1], max_clicks=5)
    out = tmp_path / "rows.csv"
    noc.write_csv(out, runs, 5)
    lines = out.read_text().splitlines()
    header = lines[0].split(",")
    assert len(header) == len(set(header)), "duplicate CSV columns"
    assert header == ["image", "noc85", "noc90", "clicks", "setup_s", "iou1", "iou2", "iou3", "iou4", "iou5",
                      "s1", "s2", "s3", "s4", "s5"]
    row = lines[1].split(",")
    assert row[:4] == ["a", "1", "1", "1"] and float(row[5]) == float(row[9]) == 1.0
    assert float(row[10]) >= 0 and row[11:15] == [""] * 4  # one click made


def test_odd_mask_values_are_reported_and_colour_masks_binarised(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "gt").mkdir()
    for name in ("zero_one", "colour", "grey_rgb"):
        cv2.imwrite(str(tmp_path / "img" / f"{name}.png"), np.zeros((10, 10, 3), np.uint8))
    m = np.zeros((10, 10), np.uint8)
    m[2:6, 2:6] = 1
    cv2.imwrite(str(tmp_path / "gt" / "zero_one.png"), m)
    c = np.zeros((10, 10, 3), np.uint8)
    c[1:4, 1:4] = (0, 128, 192)  # a DAVIS object colour: 128 here is not "ignore"
    cv2.imwrite(str(tmp_path / "gt" / "colour.png"), c)
    g = np.zeros((10, 10, 3), np.uint8)
    g[0:5, 0:5] = 255
    g[5, 0:5] = 128  # grey stored as RGB: read as a single channel, 128 ignored
    cv2.imwrite(str(tmp_path / "gt" / "grey_rgb.png"), g)
    by_name = {s.name: s for s in noc.find_samples(tmp_path)}
    notes: list[str] = []
    fg, ign = noc.load_mask(by_name["zero_one"], notes)
    assert fg.sum() == 16 and ign is None
    assert len(notes) == 1 and "zero_one.png" in notes[0] and "values 1" in notes[0]
    fg, ign = noc.load_mask(by_name["colour"], notes)
    assert fg.sum() == 9 and ign is None and len(notes) == 1
    fg, ign = noc.load_mask(by_name["grey_rgb"], notes)
    assert fg.sum() == 25 and ign.sum() == 5 and len(notes) == 1


def test_select_every_and_limit_and_reduce():
    samples = [noc.Sample(str(i), None, None, False) for i in range(10)]
    assert [s.name for s in noc.select(samples, every=3)] == ["0", "3", "6", "9"]
    assert [s.name for s in noc.select(samples, limit=2, every=3)] == ["0", "3"]
    assert len(noc.select(samples)) == 10
    with pytest.raises(ValueError):
        noc.select(samples, every=0)
    rgb = np.zeros((400, 1000, 3), np.uint8)
    gt = np.zeros((400, 1000), bool)
    gt[100:300, 200:800] = True
    ign = np.zeros_like(gt)
    ign[99, 200:800] = True
    r, g, i = noc.reduce(rgb, gt, ign, 500)
    assert r.shape == (200, 500, 3) and g.shape == i.shape == (200, 500)
    assert abs(int(g.sum()) - 100 * 300) <= 600 and i.any()
    assert noc.reduce(rgb, gt, None, 0)[1] is gt


def test_times_are_per_click_and_setup_is_separate():
    import time

    gt = _disk()

    def make(rgb):
        time.sleep(0.05)  # a slow set_image

        def predict(clicks, prev):
            return gt.copy() if len(clicks) >= 2 else np.zeros_like(gt)

        return predict

    class S:
        name, image, mask, ignore_128 = "d", None, None, False

    import segstudio.eval.noc as mod

    orig = mod.load_mask
    mod.load_mask = lambda s, notes=None: (gt, None)
    try:
        runs = noc.evaluate([S()], make, lambda p: np.zeros(gt.shape + (3,), np.uint8), max_clicks=10)
    finally:
        mod.load_mask = orig
    r = runs[0]
    assert r.setup_seconds >= 0.05 and r.seconds < 0.05
    assert len(r.click_seconds) == 2 and r.ious[:2] == [0.0, 1.0]  # no error left: no third click
    s = noc.summarize(runs, 10)
    assert set(s.miou) == {1, 3, 5, 10} and s.miou[10] == 1.0
    assert s.setup_seconds >= 0.05 and "ms/click" in ", ".join(s.lines())
