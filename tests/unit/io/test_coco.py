"""COCO: the reference reader accepts every export; lossless paths round-trip exactly."""

import json
import sqlite3

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from segstudio.core.geometry import has_holes
from segstudio.core.tasks import Cancelled, CancelToken
from segstudio.io import registry
from segstudio.io.errors import FormatError
from segstudio.store.project import Project
from tests.unit.io.helpers import make_project, masks_by_image


def same_masks(a: Project, b: Project) -> bool:
    ma, mb = masks_by_image(a), masks_by_image(b)
    return ma.keys() == mb.keys() and all(
        len(ma[k]) == len(mb[k]) and all(x[0] == y[0] and (x[1] == y[1]).all() for x, y in zip(ma[k], mb[k]))
        for k in ma
    )


def test_rle_export_matches_pycocotools_pixel_for_pixel(project, tmp_path):
    rep = registry.export("coco", project, tmp_path / "out", {"segmentation": "rle"})
    assert sorted(p.rsplit("/", 1)[-1] for p in rep.files) == ["instances_train.json", "instances_val.json"]
    assert rep.instances == 12 and rep.lossless
    for split in ("train", "val"):
        coco = COCO(str(tmp_path / "out" / f"instances_{split}.json"))
        for img in coco.dataset["images"]:
            insts = project.load_instances(img["id"])
            anns = coco.imgToAnns[img["id"]]
            assert len(anns) == len(insts)
            for ann, inst in zip(anns, insts):
                m = coco.annToMask(ann).astype(bool)
                assert (m == inst.mask.to_full()).all()
                assert ann["area"] == int(m.sum())
                assert ann["bbox"] == list(inst.bbox())
        # evaluating the export against itself is perfect
        dets = coco.loadRes([{**a, "score": 1.0} for a in coco.dataset["annotations"]])
        ev = COCOeval(coco, dets, "segm")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        assert ev.stats[0] == pytest.approx(1.0)


@pytest.mark.parametrize("mode", ["rle", "auto"])
def test_lossless_modes_round_trip(project, tmp_path, mode):
    rep = registry.export("coco", project, tmp_path / "o.json", {"segmentation": mode, "split": "train"})
    assert rep.lossless
    q = Project.create(tmp_path / "q")
    irep = registry.import_into("coco", tmp_path / "o.json", q, {})
    assert irep.images == 2 and irep.instances == rep.instances
    data = json.loads((tmp_path / "o.json").read_text())
    kinds = {type(a["segmentation"]).__name__ for a in data["annotations"]}
    assert kinds == ({"dict"} if mode == "rle" else {"dict", "list"})  # auto mixes both
    for ann in data["annotations"]:  # auto: every mask with holes went to RLE
        rec = project.image(ann["image_id"])
        inst = [i for i in project.load_instances(rec.id)][
            [a["id"] for a in data["annotations"] if a["image_id"] == rec.id].index(ann["id"])]
        if has_holes(inst.mask):
            assert isinstance(ann["segmentation"], dict)
    q_train = masks_by_image(q)
    src = {k: v for k, v in masks_by_image(project).items() if k in q_train}
    assert src.keys() == q_train.keys()
    for k in src:
        assert all(a[0] == b[0] and (a[1] == b[1]).all() for a, b in zip(src[k], q_train[k]))
    assert all(s == "train" for s in (r.split for r in q.images()))


def test_polygon_mode_reports_exactly_the_holes(project, tmp_path):
    rep = registry.export("coco", project, tmp_path / "p", {"segmentation": "polygons"})
    with_holes = sum(has_holes(i.mask) for r in project.images() for i in project.load_instances(r.id))
    assert with_holes > 0
    assert rep.losses["instances whose holes were filled (COCO polygons cannot have holes)"] == with_holes
    COCO(str(tmp_path / "p" / "instances_train.json"))  # the reference reader accepts it


def test_import_polygons_rle_crowd_and_category_mapping(tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((10, 12), np.uint8))
    m = np.zeros((10, 12), bool)
    m[2:5, 3:9] = True
    from segstudio.core import rle

    counts = rle.mask_to_counts(m)
    data = {
        "images": [{"id": 5, "file_name": "a.png", "width": 12, "height": 10}],
        "categories": [{"id": 1, "name": "cat", "supercategory": "animal"}, {"id": 2, "name": "crowd"}],
        "annotations": [
            {"id": 1, "image_id": 5, "category_id": 1,
             "segmentation": [[0, 0, 2, 0, 2, 2, 0, 2], [6, 6, 9, 6, 9, 9, 6, 9]], "iscrowd": 0},
            {"id": 2, "image_id": 5, "category_id": 2, "iscrowd": 1,
             "segmentation": {"size": [10, 12], "counts": counts}},
            {"id": 3, "image_id": 5, "category_id": 1, "segmentation": rle.encode(m)},
        ],
    }
    (tmp_path / "d.json").write_text(json.dumps(data))
    q = Project.create(tmp_path / "q")
    dog = q.add_category("dog")
    rep = registry.import_into("coco", tmp_path / "d.json", q)
    assert rep.instances == 3 and rep.categories_added == ["cat", "crowd"]
    assert q.categories().by_name("cat").supercategory == "animal"
    insts = q.load_instances(q.images()[0].id)
    assert [i.crowd for i in insts] == [False, True, False]
    assert (insts[1].mask.to_full() == m).all() and (insts[2].mask.to_full() == m).all()
    coco = COCO(str(tmp_path / "d.json"))  # polygons are read as the reference rasterises them
    assert (insts[0].mask.to_full() == coco.annToMask(coco.anns[1]).astype(bool)).all()
    assert len(insts[0].mask.tight().data) and dog.id not in {i.category_id for i in insts}
    # importing again merges: no duplicated image, instances appended
    registry.import_into("coco", tmp_path / "d.json", q)
    assert q.image_count() == 1 and len(q.load_instances(q.images()[0].id)) == 6


@pytest.mark.parametrize(
    "mutate, where",
    [
        (lambda d: d["annotations"][1].update(image_id=99), "annotations[1].image_id"),
        (lambda d: d["annotations"][0]["segmentation"].update(counts="0a"), "annotations[0].segmentation.counts"),
        (lambda d: d["annotations"][1]["segmentation"].update(size=[3, 3]), "annotations[1].segmentation.size"),
        (lambda d: d["images"][0].pop("width"), "images[0]"),
        (lambda d: d["annotations"][1]["segmentation"].update(counts=[1, 2]), "annotations[1].segmentation.counts"),
    ],
)
def test_malformed_input_names_file_and_path_and_writes_nothing(project, tmp_path, mutate, where):
    registry.export("coco", project, tmp_path / "o.json", {"segmentation": "rle", "split": "train"})
    data = json.loads((tmp_path / "o.json").read_text())
    mutate(data)
    (tmp_path / "o.json").write_text(json.dumps(data))
    q = Project.create(tmp_path / "q")
    with pytest.raises(FormatError) as e:
        registry.import_into("coco", tmp_path / "o.json", q, {})
    assert str(tmp_path / "o.json") in str(e.value) and where in str(e.value)
    assert q.image_count() == 0 and not list(q.categories())


def test_invalid_json_reports_line_and_column(tmp_path):
    (tmp_path / "x.json").write_text('{"images": [\n  {"id": 1,,}\n]}')
    with pytest.raises(FormatError, match=r"x\.json at line 2 column"):
        registry.validate("coco", tmp_path / "x.json")


def test_failure_in_the_write_phase_rolls_everything_back(project, tmp_path, monkeypatch):
    registry.export("coco", project, tmp_path / "o.json", {"segmentation": "rle", "split": "train"})
    q = Project.create(tmp_path / "q")
    from segstudio.store.bulk import ImportWriter

    def boom(self, rows):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(ImportWriter, "insert_rows", boom)
    monkeypatch.setattr(ImportWriter, "insert_column_rows", boom)
    with pytest.raises(sqlite3.OperationalError):
        registry.import_into("coco", tmp_path / "o.json", q, {})
    assert q.image_count() == 0 and not list(q.categories())


def test_dry_run_writes_nothing(project, tmp_path):
    registry.export("coco", project, tmp_path / "o.json", {"split": "val"})
    q = Project.create(tmp_path / "q")
    rep = registry.import_into("coco", tmp_path / "o.json", q, {}, dry_run=True)
    assert rep.dry_run and rep.images == 1 and rep.instances == 4 and rep.images_added == 1
    assert "would import" in rep.text()
    assert q.image_count() == 0


def test_cancelled_export_leaves_nothing(project, tmp_path):
    token = CancelToken()
    calls = []

    def progress(done, total, msg):
        calls.append(done)
        token.cancel()

    with pytest.raises(Cancelled):
        registry.export("coco", project, tmp_path / "out", {}, progress, token)
    assert calls and not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if "segstudio-tmp" in p.name]


def test_single_file_with_several_splits_is_refused(project, tmp_path):
    with pytest.raises(ValueError, match="several splits"):
        registry.export("coco", project, tmp_path / "o.json")


def test_images_without_split_in_a_plain_project(tmp_path):
    p = make_project(tmp_path, n_images=2, per_image=2)
    rep = registry.export("coco", p, tmp_path / "o")
    assert [f.rsplit("/", 1)[-1] for f in rep.files] == ["instances.json"]
    data = json.loads((tmp_path / "o" / "instances.json").read_text())
    assert [i["file_name"] for i in data["images"]] == ["../images/img000.png", "../images/img001.png"]
