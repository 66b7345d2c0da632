"""Issue 21 item 3: image paths read from a dataset stay inside it (links resolved) unless the
user trusts the dataset, and exports copy or embed only files that are images.  `file_name:
/etc/passwd` used to be copied into YOLO/VOC/COCO exports and embedded into LabelMe ones; a
symlink bypassed LabelMe's folder check; YOLO `path: /` walked the whole disk."""

import base64
import json
import os

import cv2
import numpy as np
import pytest
import yaml

from segstudio.io import registry
from segstudio.io.errors import FormatError
from segstudio.io.png_palette import encode_indexed
from segstudio.store.project import Project
from tests.unit.io.hostile import coco_doc, labelme_doc, png, shape, write_json

SECRET = b"root:x:0:0:secret\n"


@pytest.fixture
def outside(tmp_path):
    """A folder beside the dataset: a secret text file and a real image."""
    d = tmp_path / "outside"
    d.mkdir()
    (d / "passwd").write_bytes(SECRET)
    png(d / "real.png")
    return d


def _poly():
    return [[2, 2, 30, 2, 30, 30]]


@pytest.mark.parametrize("name", ["{outside}/passwd", "../outside/passwd", "{outside}/real.png",
                                  "sub/../../outside/real.png"])
def test_coco_file_name_outside_the_dataset_is_refused(tmp_path, outside, name):
    ds = tmp_path / "ds"
    path = write_json(ds / "d.json", coco_doc(_poly(), file_name=name.format(outside=outside)))
    q = Project.create(tmp_path / "q")
    with pytest.raises(FormatError) as e:
        registry.import_into("coco", path, q)
    assert e.value.where == "images[0].file_name" and "outside the dataset folder" in e.value.problem
    assert "trust_paths=true" in e.value.problem
    assert q.image_count() == 0
    rep = registry.validate("coco", path)  # reads everything, names the path in a warning
    assert any("leave the dataset folder" in w and "images[0].file_name" in w for w in rep.warnings)


def test_coco_standard_layout_and_trusted_paths_are_accepted(tmp_path, outside):
    coco = tmp_path / "coco"
    png(coco / "val2017" / "a.png")
    path = write_json(coco / "annotations" / "instances_val2017.json", coco_doc(_poly()))
    q = Project.create(tmp_path / "q")
    assert registry.import_into("coco", path, q).images_added == 1  # annotations/ + val2017/
    trusted = write_json(tmp_path / "ds" / "t.json", coco_doc(_poly(), file_name=str(outside / "real.png")))
    rep = registry.import_into("coco", trusted, q, {"trust_paths": True})
    assert rep.images_added == 1


def test_trusted_non_image_is_skipped_not_imported(tmp_path, outside):
    path = write_json(tmp_path / "ds" / "d.json", coco_doc(_poly(), file_name=str(outside / "passwd")))
    q = Project.create(tmp_path / "q")
    rep = registry.import_into("coco", path, q, {"trust_paths": True})
    assert q.image_count() == 0
    assert rep.skipped and "not a readable image" in rep.skipped[0][1]


def test_labelme_symlink_leading_out_of_the_folder_is_refused(tmp_path, outside):
    ds = tmp_path / "lm"
    ds.mkdir()
    os.symlink(outside / "real.png", ds / "a.png")
    write_json(ds / "a.json", labelme_doc([shape([[2, 2], [30, 2], [30, 30]])]))
    q = Project.create(tmp_path / "q")
    with pytest.raises(FormatError) as e:
        registry.import_into("labelme", ds, q)
    assert e.value.where == "imagePath" and "is a link to" in e.value.problem and "real.png" in e.value.problem
    assert q.image_count() == 0
    assert registry.import_into("labelme", ds, q, {"trust_paths": True}).images_added == 1


def test_yolo_path_and_list_entries_leaving_the_dataset_are_refused(tmp_path, outside):
    ds = tmp_path / "yolo"
    png(ds / "images" / "train" / "a.png")
    (ds / "data.yaml").write_text(yaml.safe_dump({"path": "/", "train": "images/train", "names": ["x"]}))
    q = Project.create(tmp_path / "q")
    with pytest.raises(FormatError) as e:
        registry.import_into("yolo", ds, q)
    assert e.value.where == "path" and "outside the dataset folder" in e.value.problem
    rep = registry.validate("yolo", ds)  # warns, and never walks "/"
    assert rep.images == 0 and any("leave the dataset folder" in w for w in rep.warnings)
    (ds / "list.txt").write_text(f"images/train/a.png\n{outside / 'real.png'}\n")
    (ds / "data.yaml").write_text(yaml.safe_dump({"train": "list.txt", "names": ["x"]}))
    with pytest.raises(FormatError) as e:
        registry.import_into("yolo", ds, q)
    assert e.value.file.endswith("list.txt") and e.value.where == "list.txt line 2"
    os.symlink(outside / "real.png", ds / "images" / "train" / "b.png")
    (ds / "data.yaml").write_text(yaml.safe_dump({"train": "images/train", "names": ["x"]}))
    with pytest.raises(FormatError, match="is a link to"):
        registry.import_into("yolo", ds, q)
    assert q.image_count() == 0


def test_yolo_roboflow_layout_is_read_inside_the_dataset(tmp_path):
    ds = tmp_path / "rf"
    png(ds / "train" / "images" / "a.png")
    (ds / "train" / "labels").mkdir(parents=True)
    (ds / "train" / "labels" / "a.txt").write_text("0 0.1 0.1 0.5 0.1 0.5 0.5\n")
    (ds / "data.yaml").write_text(yaml.safe_dump({"train": "../train/images", "names": ["x"]}))
    rep = registry.validate("yolo", ds)
    assert rep.images == 1 and rep.instances == 1


def test_voc_image_linked_out_of_the_dataset_is_refused(tmp_path, outside):
    ds = tmp_path / "voc"
    (ds / "SegmentationClass").mkdir(parents=True)
    labels = np.zeros((48, 64), np.uint8)
    labels[5:10, 5:10] = 1
    (ds / "SegmentationClass" / "a.png").write_bytes(encode_indexed(labels))
    (ds / "JPEGImages").mkdir()
    os.symlink(outside / "real.png", ds / "JPEGImages" / "a.png")
    with pytest.raises(FormatError, match="is a link to .*real.png"):
        registry.import_into("voc", ds, Project.create(tmp_path / "q"))


def _poisoned_project(tmp_path, target):
    """A project that recorded a non-image as an image (what older versions imported)."""
    q = Project.create(tmp_path / "q")
    iid = q.add_images([(target, 64, 48)])[0]
    from segstudio.core.instance import Instance
    from segstudio.core.masks import MaskPatch

    m = np.zeros((48, 64), bool)
    m[5:20, 5:20] = True
    cat = q.add_category("thing")
    q.replace_instances(iid, [Instance(1, cat.id, MaskPatch.from_full(m))])
    return q


@pytest.mark.parametrize("fmt, opts", [("yolo", {}), ("voc", {}), ("coco", {"copy_images": True}),
                                       ("labelme", {"copy_images": True}),
                                       ("labelme", {"embed_images": True}),
                                       ("labelmap", {"images": "copy"})])
def test_exports_copy_or_embed_only_images(tmp_path, outside, fmt, opts):
    q = _poisoned_project(tmp_path, outside / "passwd")
    dst = tmp_path / "out"
    rep = registry.export(fmt, q, dst, opts)
    assert any("passwd" in w and "not an image" in w for w in rep.warnings), rep.warnings
    for f in dst.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert SECRET not in data and base64.b64encode(SECRET) not in data, f


def test_exports_still_copy_real_images(tmp_path, outside):
    q = _poisoned_project(tmp_path, outside / "real.png")
    registry.export("yolo", q, tmp_path / "y")
    (copied,) = (tmp_path / "y" / "images" / "train").iterdir()
    assert cv2.imread(str(copied)).shape == (48, 64, 3)
    doc = json.loads(next((tmp_path / "lm").glob("*.json")).read_text()) if registry.export(
        "labelme", q, tmp_path / "lm", {"embed_images": True}) else None
    assert base64.b64decode(doc["imageData"]) == (outside / "real.png").read_bytes()


def test_label_studio_image_outside_the_dataset_is_refused(tmp_path, outside):
    ds = tmp_path / "ls"
    task = {"data": {"image": str(outside / "real.png")}, "annotations": [{"result": []}]}
    path = write_json(ds / "tasks.json", [task])
    with pytest.raises(FormatError) as e:
        registry.import_into("label-studio", path, Project.create(tmp_path / "q"))
    assert e.value.where == "[0].data" and "outside the dataset folder" in e.value.problem


@pytest.mark.parametrize("name", ["x" * 300 + ".png", "a\u0000.png", "dir/" + "y" * 256 + "/a.png"])
def test_names_no_file_can_have_are_refused_by_place(tmp_path, name):
    """Found by the fuzzer: a 5,000-character file_name ended in 'File name too long' naming
    neither the JSON nor the place (an OSError from the search for the images folder)."""
    path = write_json(tmp_path / "d.json", coco_doc(_poly(), file_name=name))
    for trusted in (False, True):
        with pytest.raises(FormatError) as e:
            registry.validate("coco", path, {"trust_paths": trusted})
        assert e.value.where == "images[0].file_name" and "is not a file name" in e.value.problem
