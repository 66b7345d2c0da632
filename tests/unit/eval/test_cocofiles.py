import json

import numpy as np
import pytest
from pycocotools import mask as cmask

from segstudio.eval.cocofiles import load_coco_pair
from segstudio.eval.cocoref import run_cocoeval, run_cocoeval_files
from segstudio.eval.compare import evaluate
from segstudio.io.errors import FormatError


def rle_of(m):
    r = cmask.encode(np.asfortranarray(m.astype(np.uint8)))
    return {"size": list(m.shape), "counts": r["counts"].decode()}


@pytest.fixture
def files(tmp_path):
    h, w = 40, 60
    sq = np.zeros((h, w), bool)
    sq[5:15, 5:15] = True
    gt = {
        "images": [{"id": 3, "file_name": "a.png", "height": h, "width": w},
                   {"id": 1, "file_name": "b.png", "height": h, "width": w}],
        "categories": [{"id": 1, "name": "thing"}, {"id": 2, "name": "other"}],
        "annotations": [
            {"id": 1, "image_id": 3, "category_id": 1, "iscrowd": 0, "area": 100.0, "bbox": [5, 5, 10, 10],
             "segmentation": [[4.5, 4.5, 14.5, 4.5, 14.5, 14.5, 4.5, 14.5]]},
            {"id": 2, "image_id": 1, "category_id": 2, "iscrowd": 1, "area": 50.0, "bbox": [0, 0, 5, 10],
             "segmentation": {"size": [h, w], "counts": [0, 10, h - 10, 10, h - 10, 10, h * w - 2 * h - 10]}},
            {"id": 3, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 100.0, "bbox": [30, 20, 10, 10],
             "segmentation": rle_of(np.roll(np.roll(sq, 15, 0), 25, 1))},
        ],
    }
    res = [
        {"image_id": 3, "category_id": 1, "segmentation": rle_of(sq), "score": 0.9},
        {"image_id": 1, "category_id": 1, "segmentation": rle_of(np.roll(sq, 3, 1)), "score": 0.6},
        {"image_id": 1, "category_id": 2, "segmentation": rle_of(np.roll(sq, -4, 0)), "score": 0.4},
    ]
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(json.dumps(res))
    return tmp_path / "gt.json", tmp_path / "res.json"


def test_reads_polygons_list_rle_and_crowd(files):
    images, cats = load_coco_pair(*files)
    assert [i.image_id for i in images] == [1, 3] and cats == [(1, "thing"), (2, "other")]
    b = images[0]
    assert b.gt[0].crowd and b.gt[0].mask.area == 30 and b.gt_area == [50.0, 100.0]
    assert images[1].gt[0].mask.area == 100  # the polygon rasterised as pycocotools does
    assert [p.score for p in b.pred] == [0.6, 0.4]


def test_ap_equals_cocoeval_on_the_files(files):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    images, cats = load_coco_pair(*files)
    ours = evaluate(images, cats).coco.stats
    coco = COCO(str(files[0]))
    ev = COCOeval(coco, coco.loadRes(str(files[1])), "segm")
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    assert np.array_equal(ours, ev.stats)
    assert np.array_equal(ours, run_cocoeval(json.loads(files[0].read_text()), json.loads(files[1].read_text()))[0])


def test_errors_name_the_file_and_place(tmp_path, files):
    gt, res = files
    with pytest.raises(FormatError, match="missing.json: file not found"):
        load_coco_pair(tmp_path / "missing.json", res)
    bad = tmp_path / "bad.json"
    bad.write_text("[{")
    with pytest.raises(FormatError, match="bad.json.*invalid JSON"):
        load_coco_pair(gt, bad)
    bad.write_text(json.dumps([{"image_id": 99, "category_id": 1, "segmentation": [], "score": 1}]))
    with pytest.raises(FormatError, match=r"bad.json at \[0\]: image_id 99 is not an image of gt.json"):
        load_coco_pair(gt, bad)
    bad.write_text(json.dumps([{"image_id": 1, "category_id": 1, "score": 1,
                                "segmentation": {"size": [2, 2], "counts": "00"}}]))
    with pytest.raises(FormatError, match="segmentation: RLE size"):
        load_coco_pair(gt, bad)


def test_annotation_id_zero_is_reproduced_like_cocoeval(files, tmp_path, capsys):
    from segstudio.cli.main import main

    gt = json.loads(files[0].read_text())
    for a in gt["annotations"]:
        a["id"] -= 1  # ids 0, 1, 2 as labelme2coco writes them
    p = tmp_path / "zero.json"
    p.write_text(json.dumps(gt))
    images, cats = load_coco_pair(p, files[1])
    ours = evaluate(images, cats).coco.stats
    assert np.array_equal(ours, run_cocoeval_files(p, files[1]))
    assert not np.array_equal(ours, evaluate(*load_coco_pair(*files)).coco.stats)  # the quirk bites
    assert main(["eval", "--gt", str(p), "--pred", str(files[1]), "--check-coco"]) == 0
    captured = capsys.readouterr()
    assert "annotation with id 0" in captured.err and "identical" in captured.out
