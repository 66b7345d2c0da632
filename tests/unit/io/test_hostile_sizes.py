"""Issue 21 item 2: declared image sizes are checked against the stored image (COCO, LabelMe,
VOC, label maps); a mismatch is a one-line error and leaves the project as it was.  It used to
attach a 10-gigapixel mask to a 64x48 image, after which every export and the GUI crashed."""

import cv2
import numpy as np
import pytest

from segstudio.core import rle
from segstudio.io import registry
from segstudio.io.coords import REACHES_OUTSIDE
from segstudio.io.errors import FormatError
from segstudio.io.png_palette import encode_indexed
from segstudio.store.project import Project
from tests.unit.io.hostile import (
    coco_doc,
    labelme_doc,
    one_line_error,
    png,
    run_cli,
    shape,
    write_json,
)


def _full_rle(h: int, w: int) -> dict:
    return {"size": [h, w], "counts": [0, h * w]}


def test_coco_claiming_a_gigantic_image_is_refused_before_any_allocation(tmp_path):
    png(tmp_path / "a.png")
    path = write_json(tmp_path / "d.json", coco_doc(_full_rle(100000, 100000), w=100000, h=100000))
    q = Project.create(tmp_path / "q")
    with pytest.raises(FormatError, match=r"d\.json at images\[0\]: image size 100000x100000 .* exceeds"):
        registry.import_into("coco", path, q)
    assert q.image_count() == 0


@pytest.mark.parametrize("via", ["new image", "image already in the project"])
def test_coco_size_differing_from_the_image_is_refused(tmp_path, via):
    png(tmp_path / "a.png")  # 64x48
    q = Project.create(tmp_path / "q")
    name = "a.png"
    if via != "new image":
        q.add_images([(tmp_path / "a.png", 64, 48)])
        name = "elsewhere/a.png"  # matched by file name
    path = write_json(tmp_path / "d.json", coco_doc(_full_rle(480, 640), file_name=name, w=640, h=480))
    what = "the image file" if via == "new image" else "the project's image"
    with pytest.raises(FormatError, match=rf"d\.json at images\[0\]: declares .*a\.png as 640x480, but "
                                          rf"{what} is 64x48"):
        registry.import_into("coco", path, q)
    assert q.conn.execute("SELECT COUNT(*) FROM instances").fetchone()[0] == 0
    assert q.image_count() == (0 if via == "new image" else 1)
    # and through the CLI: one line, non-zero exit
    one_line_error(run_cli("import", "coco", path, tmp_path / "q"), "d.json", "images[0]", "640x480")


def test_labelme_size_differing_from_the_image_is_refused(tmp_path):
    png(tmp_path / "a.png")
    write_json(tmp_path / "a.json", labelme_doc([shape([[900, 900], [950, 900], [950, 950]])], w=1000, h=1000))
    q = Project.create(tmp_path / "q")
    with pytest.raises(FormatError, match=r"a\.json at imageHeight/imageWidth: declares a\.png as 1000x1000"):
        registry.import_into("labelme", tmp_path, q)
    assert q.image_count() == 0


def test_labelme_claiming_a_gigantic_image_is_refused(tmp_path):
    write_json(tmp_path / "a.json", labelme_doc([shape([[0, 0], [5, 0], [5, 5]])], w=100000, h=100000))
    with pytest.raises(FormatError, match=r"a\.json at imageWidth: image size 100000x100000"):
        registry.validate("labelme", tmp_path)


@pytest.mark.parametrize("fmt", ["voc", "labelmap"])
def test_label_map_size_differing_from_the_image_is_refused(tmp_path, fmt):
    labels = np.zeros((30, 40), np.uint8)
    labels[5:10, 5:10] = 1
    if fmt == "voc":
        (tmp_path / "SegmentationClass").mkdir()
        (tmp_path / "SegmentationClass" / "a.png").write_bytes(encode_indexed(labels))
        (tmp_path / "class_names.txt").write_text("_background_\nthing\n")
        png(tmp_path / "JPEGImages" / "a.png")
        map_file = "SegmentationClass/a.png"
    else:
        (tmp_path / "semantic").mkdir()
        cv2.imwrite(str(tmp_path / "semantic" / "a.png"), labels)
        png(tmp_path / "images" / "a.png")
        map_file = "semantic/a.png"
    q = Project.create(tmp_path / "q")
    with pytest.raises(FormatError, match=r"declares a\.png as 40x30, but the image file is 64x48") as e:
        registry.import_into(fmt, tmp_path, q)
    assert e.value.file.endswith(map_file)
    assert q.image_count() == 0


def test_geometry_outside_the_image_is_dropped_and_reported_never_stored(tmp_path):
    png(tmp_path / "a.png")
    doc = coco_doc([[-20, -20, 30, -20, 30, 30, -20, 30]])  # partly outside
    doc["annotations"].append({"id": 2, "image_id": 1, "category_id": 1,
                               "segmentation": [[900, 900, 950, 900, 950, 950]]})  # all outside
    q = Project.create(tmp_path / "q")
    rep = registry.import_into("coco", write_json(tmp_path / "d.json", doc), q)
    assert rep.losses[REACHES_OUTSIDE] == 2
    assert any("annotations[1]" in item and why == "empty mask" for item, why in rep.skipped)
    (inst,) = q.load_instances(q.images()[0].id)
    assert inst.mask.bbox() == (0, 0, 30, 30)
    out = registry.export("labelme", q, tmp_path / "lm")
    assert out.lossless


def test_rle_import_matches_an_existing_image_of_the_same_size(tmp_path):
    """The check does not get in the way of the ordinary case."""
    png(tmp_path / "a.png")
    m = np.zeros((48, 64), bool)
    m[3:9, 4:20] = True
    path = write_json(tmp_path / "d.json", coco_doc(rle.encode(m)))
    q = Project.create(tmp_path / "q")
    q.add_images([(tmp_path / "a.png", 64, 48)])
    rep = registry.import_into("coco", path, q)
    assert rep.images_matched == 1 and rep.instances == 1
