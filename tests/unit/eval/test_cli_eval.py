import json

import numpy as np
import pytest

from segstudio.cli.main import main
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.store import Project

from .test_cocofiles import files, rle_of  # noqa: F401  (fixture)


def make_project(tmp_path):
    p = Project.create(tmp_path / "proj")
    p.add_images([(tmp_path / "a.png", 40, 30), (tmp_path / "b.png", 40, 30)])
    cat = p.add_category("cat").id
    m = np.zeros((30, 40), bool)
    m[0:10, 0:10] = True
    p.replace_instances(1, [Instance(1, cat, MaskPatch.from_full(m))])
    p.replace_instances(2, [Instance(1, cat, MaskPatch.from_full(m))])
    p.close()
    return tmp_path / "proj", cat, m


def test_project_form_with_import_report_and_csv(tmp_path, capsys):
    proj, cat, m = make_project(tmp_path)
    res = [{"image_id": 1, "category_id": cat, "segmentation": rle_of(m), "score": 0.9},
           {"image_id": 2, "category_id": cat, "segmentation": rle_of(np.roll(m, 20, 1)), "score": 0.8}]
    (tmp_path / "res.json").write_text(json.dumps(res))
    out_html, out_csv = tmp_path / "r.html", tmp_path / "r.csv"
    code = main(["eval", str(proj), "--import-pred", str(tmp_path / "res.json"), "--pred", "model",
                 "--report", str(out_html), "--csv", str(out_csv), "--queue", "2", "--check-coco"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "imported 2 instances on 2 images as label set 'model'" in text
    assert "TP 1  FP 1  FN 1" in text and "COCOeval check: identical" in text
    assert text.index("b.png") < text.index("a.png")  # the bad image first in the queue
    assert out_html.read_text().startswith("<!DOCTYPE html>") and "scope" in out_csv.read_text()
    assert main(["eval", str(proj), "--pred", "model", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["tp"] == 1 and summary["AP50"] == pytest.approx(51 / 101)  # precision 1 up to recall 0.5


def test_file_form(files, capsys):  # noqa: F811
    gt, res = files
    assert main(["eval", "--gt", str(gt), "--pred", str(res), "--check-coco"]) == 0
    assert "COCOeval check: identical" in capsys.readouterr().out


def test_errors(tmp_path, capsys):
    proj, _, _ = make_project(tmp_path)
    assert main(["eval", str(proj), "--pred", "nope"]) == 2
    assert "no label set 'nope'" in capsys.readouterr().err
    assert main(["eval", "--gt", "a.txt", "--pred", "b.json"]) == 2
    assert main(["eval", "--gt", str(tmp_path / "x.json"), "--pred", str(tmp_path / "y.json")]) == 2
    assert "x.json: file not found" in capsys.readouterr().err
    assert main(["eval", str(proj), "--pred", "gt", "--iou", "0"]) == 2
    assert main(["eval", str(tmp_path / "nowhere"), "--pred", "x"]) == 2


def test_split_restricts_the_images(tmp_path, capsys):
    proj, _, _ = make_project(tmp_path)
    with Project.open(proj) as p:
        p.add_label_set("copy")
        for r in p.images():
            p.replace_instances(r.id, p.load_instances(r.id), label_set="copy")
        p.set_split(2, "val")
    assert main(["eval", str(proj), "--pred", "copy", "--split", "val", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["images"] == 1 and summary["tp"] == 1
    assert main(["eval", str(proj), "--pred", "copy", "--split", "test"]) == 2
    assert "no image in split 'test'" in capsys.readouterr().err
