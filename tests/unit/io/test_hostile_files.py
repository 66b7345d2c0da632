"""Issue 21 items 9 and 10: the smaller hostile files.  Each used to end in a traceback, a
MemoryError after seconds, a garbage image in the project or a silent loss; each is now one
line naming the file and the place (or a clean, reported import)."""

import json
import os
import struct
import zlib

import cv2
import numpy as np
import pytest
import yaml

from segstudio.io import registry
from segstudio.io.errors import FormatError
from segstudio.io.png_palette import encode_indexed
from segstudio.store.project import DB_NAME, Project
from tests.unit.io.hostile import (
    coco_doc,
    labelme_doc,
    one_line_error,
    png,
    png_claiming,
    run_cli,
    shape,
    write_json,
)


def _crafted_bigtiff() -> bytes:
    """A BigTIFF whose first directory lies beyond any seekable offset ("cannot fit 'int' into
    an offset-sized integer" aborted `init`)."""
    return b"II+\x00" + struct.pack("<HH", 8, 0) + struct.pack("<Q", 2**63 + 5) + b"\x00" * 64


def test_init_skips_a_crafted_tiff_naming_it(tmp_path):
    folder = tmp_path / "imgs"
    png(folder / "a.png")
    (folder / "bad.tif").write_bytes(_crafted_bigtiff())
    proc = run_cli("init", folder)
    assert proc.returncode == 0, proc.stderr
    assert "with 1 images" in proc.stdout
    assert f"{folder / 'bad.tif'}: truncated or damaged TIFF header" in proc.stdout
    with Project.open(folder) as p:
        assert [r.name for r in p.images()] == ["a.png"]


def test_a_failed_init_leaves_no_project(tmp_path):
    folder = tmp_path / "imgs"
    png(folder / "a.png")
    line = one_line_error(run_cli("init", folder, "--category", " "), "category")
    assert "a category needs a name" in line
    assert not (folder / DB_NAME).exists()
    new = tmp_path / "new-project"
    one_line_error(run_cli("init", folder, "--project", new, "--category", " "))
    assert not new.exists()
    assert run_cli("init", folder).returncode == 0  # not "already a SegStudio project"


NESTED = "[" * 2000 + "]" * 2000


@pytest.mark.parametrize("fmt, name", [("coco", "d.json"), ("labelme", "a.json"), ("youtube-vis", "v.json"),
                                       ("coco-video", "v.json"), ("label-studio", "t.json")])
def test_deeply_nested_json_is_one_line(tmp_path, fmt, name):
    path = write_json(tmp_path / name, None, '{"images": ' + NESTED + "}")
    line = one_line_error(run_cli("validate", fmt, path if fmt != "labelme" else tmp_path), name)
    assert "nested too deeply" in line


def test_labelme_hostile_mask_and_image_data(tmp_path):
    png(tmp_path / "a.png")
    bomb = __import__("base64").b64encode(png_claiming(30000, 30000)).decode()
    doc = labelme_doc([{**shape([[1, 1], [5, 5]], "mask"), "mask": bomb}])
    write_json(tmp_path / "a.json", doc)
    with pytest.raises(FormatError) as e:
        registry.validate("labelme", tmp_path)
    assert e.value.where == "shapes[0].mask" and "bigger than the image" in e.value.problem
    (tmp_path / "a.png").unlink()
    script = __import__("base64").b64encode(b"#!/bin/sh\nrm -rf ~\n").decode()
    write_json(tmp_path / "a.json", {**labelme_doc([]), "imageData": script})
    q = Project.create(tmp_path / "q")
    with pytest.raises(FormatError, match=r"a\.json at imageData: imageData is not an image"):
        registry.import_into("labelme", tmp_path / "a.json", q)
    write_json(tmp_path / "a.json", {**labelme_doc([]), "imageData": "iVBORw0KGgo=!!broken"})
    with pytest.raises(FormatError, match=r"a\.json at imageData: imageData is not valid base64"):
        registry.import_into("labelme", tmp_path / "a.json", q)
    assert q.image_count() == 0 and not (q.root / "imported_images").exists()


def test_a_json_that_is_a_device_is_refused_not_read_forever(tmp_path):
    png(tmp_path / "a.png")
    write_json(tmp_path / "a.json", labelme_doc([]))
    os.symlink("/dev/zero", tmp_path / "zero.json")
    with pytest.raises(FormatError, match=r"zero\.json: not a regular file"):
        registry.validate("labelme", tmp_path)


def test_voc_palette_index_beyond_the_palette_keeps_its_object(tmp_path):
    labels = np.zeros((48, 64), np.uint8)
    labels[5:15, 5:15] = 1
    labels[20:30, 20:40] = 5  # the file's palette has 2 entries: decoders paint this black
    (tmp_path / "SegmentationClass").mkdir()
    (tmp_path / "SegmentationClass" / "a.png").write_bytes(
        encode_indexed(labels, np.array([[0, 0, 0], [128, 0, 0]], np.uint8)))
    (tmp_path / "class_names.txt").write_text("_background_\none\ntwo\nthree\nfour\nfive\n")
    rep = registry.validate("voc", tmp_path)
    assert dict(rep.per_category) == {"one": 1, "five": 1}


@pytest.mark.parametrize("fmt", ["voc", "labelmap"])
def test_label_map_png_bomb_is_refused_from_its_header(tmp_path, fmt):
    folder = tmp_path / ("SegmentationClass" if fmt == "voc" else "semantic")
    folder.mkdir()
    (folder / "a.png").write_bytes(png_claiming(30000, 30000))
    with pytest.raises(FormatError, match=r"a\.png: 30000x30000 = 900,000,000 pixels exceeds the limit"):
        registry.validate(fmt, tmp_path)


def test_yolo_names_that_would_allocate_or_explode_are_refused(tmp_path):
    png(tmp_path / "images" / "train" / "a.png")
    (tmp_path / "data.yaml").write_text("train: images/train\nnames: {100000000: x}\n")
    with pytest.raises(FormatError) as e:
        registry.validate("yolo", tmp_path)
    assert e.value.where == "names.100000000" and "not in 0..65535" in e.value.problem
    laughs = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for k in range(1, 9):
        laughs.append(f"{chr(97 + k)}: &{chr(97 + k)} [" + ", ".join([f"*{chr(96 + k)}"] * 9) + "]")
    (tmp_path / "data.yaml").write_text("\n".join(laughs) + "\ntrain: images/train\nnames: [*i]\n")
    with pytest.raises(FormatError) as e:
        registry.validate("yolo", tmp_path)
    assert e.value.where == "names[0]" and "must be text" in e.value.problem


def test_video_formats_refuse_a_truncated_rle_as_coco_does(tmp_path):
    from segstudio.core import rle

    m = np.zeros((48, 64), bool)
    m[4:20, 4:30] = True
    counts = rle.encode(m)["counts"]
    bad = counts[:-1] + chr(ord(counts[-1]) + 32) if ord(counts[-1]) < 80 else counts[:-1] + "a"
    video = {"id": 1, "width": 64, "height": 48, "length": 1, "file_names": ["v/0.jpg"]}
    doc = {"videos": [video], "categories": [{"id": 1, "name": "x"}],
           "annotations": [{"id": 1, "video_id": 1, "category_id": 1,
                            "segmentations": [{"size": [48, 64], "counts": bad}]}]}
    path = write_json(tmp_path / "v.json", doc)
    with pytest.raises(FormatError) as e:
        registry.validate("youtube-vis", path)
    assert e.value.where == "annotations[0].segmentations[0].counts" and "truncated" in e.value.problem
    coco = write_json(tmp_path / "c.json", coco_doc({"size": [48, 64], "counts": bad}))
    with pytest.raises(FormatError, match="truncated"):
        registry.validate("coco", coco)


def test_duplicate_coco_category_ids_are_refused(tmp_path):
    doc = coco_doc([[1, 1, 9, 1, 9, 9]])
    doc["categories"].append({"id": 1, "name": "other"})
    with pytest.raises(FormatError) as e:
        registry.validate("coco", write_json(tmp_path / "d.json", doc))
    assert e.value.where == "categories[1].id" and "duplicate category id 1" in e.value.problem


def test_non_utf8_text_files_name_the_file_and_line(tmp_path):
    voc = tmp_path / "voc"
    (voc / "SegmentationClass").mkdir(parents=True)
    (voc / "SegmentationClass" / "a.png").write_bytes(encode_indexed(np.ones((4, 4), np.uint8)))
    (voc / "class_names.txt").write_bytes(b"_background_\ncat\n\xff\xfe bad\n")
    one_line_error(run_cli("validate", "voc", voc), "class_names.txt at line 3", "not UTF-8")
    yolo = tmp_path / "yolo"
    png(yolo / "images" / "train" / "a.png")
    (yolo / "labels" / "train").mkdir(parents=True)
    (yolo / "labels" / "train" / "a.txt").write_bytes(b"0 0.1 0.1 0.5 0.1 0.5 0.5\n0 \xff\n")
    (yolo / "data.yaml").write_text(yaml.safe_dump({"train": "images/train", "names": ["x"]}))
    one_line_error(run_cli("validate", "yolo", yolo), "a.txt at line 2", "not UTF-8")
    _ = (cv2, zlib, json)
