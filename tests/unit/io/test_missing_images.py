"""Annotations imported before (or without) their images: an image folder that does not exist
holds no image (listed once, not asked per file), whether images are required or not; an
image that exists beside missing ones is still read and checked."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from segstudio.io import registry
from segstudio.io.errors import FormatError
from segstudio.store.project import Project


def coco_file(path, names: list[str], size=(30, 40)) -> None:
    h, w = size
    data = {
        "images": [{"id": k + 1, "file_name": n, "width": w, "height": h} for k, n in enumerate(names)],
        "categories": [{"id": 1, "name": "cat"}],
        "annotations": [{"id": k + 1, "image_id": k + 1, "category_id": 1,
                         "segmentation": [[2, 2, 20, 2, 20, 20]], "area": 1, "bbox": [2, 2, 18, 18],
                         "iscrowd": 0} for k in range(len(names))],
    }
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("required", [True, False])
def test_images_in_a_missing_folder(tmp_path, required):
    (tmp_path / "present").mkdir()
    cv2.imwrite(str(tmp_path / "present" / "c.png"), np.zeros((30, 40, 3), np.uint8))
    coco_file(tmp_path / "a.json", ["gone/a.png", "gone/b.png", "present/c.png", "present/d.png"])
    with Project.create(tmp_path / "q") as q:
        rep = registry.import_into("coco", tmp_path / "a.json", q, {"require_images": required})
        if required:
            assert rep.skipped == [(n, "image file not found") for n in ("gone/a.png", "gone/b.png", "present/d.png")]
            assert [r.name for r in q.images()] == ["c.png"]
        else:
            assert not rep.skipped and sorted(r.name for r in q.images()) == ["a.png", "b.png", "c.png", "d.png"]


def test_an_existing_image_is_still_checked(tmp_path):
    """c.png exists and is 30x40, the file declares it 50x60: refused, the missing ones too."""
    (tmp_path / "present").mkdir()
    cv2.imwrite(str(tmp_path / "present" / "c.png"), np.zeros((30, 40, 3), np.uint8))
    coco_file(tmp_path / "a.json", ["gone/a.png", "present/c.png"], size=(50, 60))
    with Project.create(tmp_path / "q") as q, pytest.raises(FormatError, match="c.png as 60x50"):
        registry.import_into("coco", tmp_path / "a.json", q, {"require_images": False})
