"""Issue 21.5: EXIF-rotated JPEGs (portrait phone photos) are stored with the size the user sees.

Before the fix a 40x30 JPEG tagged 'rotate 90°' was recorded as 40x30 while the loader showed
it 30x40: masks on its lower part were dropped, prelabel discarded its mask in silence, the
cutout export skipped it and COCO wrote the wrong size."""

from __future__ import annotations

import json
import sqlite3
import struct

import cv2
import numpy as np
import pytest

from segstudio.core.image_header import read_header
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.inference.base import Detection, SegmentationResult
from segstudio.inference.prelabel import prelabel_project
from segstudio.io import registry
from segstudio.io.images import load_image
from segstudio.store import Project
from segstudio.store.orientation_fix import migrate_displayed_sizes
from segstudio.store.schema import MIGRATIONS, SCHEMA_VERSION

STORED = (30, 40)  # rows, columns as stored in the file (landscape)
SHOWN = (40, 30)  # as displayed under orientation 6 (portrait)


def exif_jpeg(path, orientation: int, shape=STORED, big_endian: bool = True) -> np.ndarray:
    """A JPEG with an APP1 EXIF block holding only the orientation; returns the stored pixels."""
    rng = np.random.default_rng(orientation)
    img = np.zeros((*shape, 3), np.uint8)
    img[: shape[0] // 2, : shape[1] // 3] = (250, 30, 30)  # a marked corner shows the turn
    img += rng.integers(0, 4, img.shape, dtype=np.uint8)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 98])
    assert ok
    e = ">" if big_endian else "<"
    tiff = (b"MM\x00*" if big_endian else b"II*\x00") + struct.pack(e + "I", 8)
    tiff += struct.pack(e + "H", 1) + struct.pack(e + "HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff += struct.pack(e + "I", 0)
    app1 = b"Exif\x00\x00" + tiff
    raw = buf.tobytes()
    path.write_bytes(raw[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + raw[2:])
    return img


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["jpeg", "jpeg-le", "tiff"])
def test_header_size_and_loaded_pixels_agree_with_pil(tmp_path, orientation, fmt):
    from PIL import Image, ImageOps

    if fmt == "tiff":
        path = tmp_path / "o.tif"
        exif = Image.Exif()
        exif[0x0112] = orientation
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (*STORED, 3), np.uint8)).save(
            path, "TIFF", exif=exif.tobytes())
    else:
        path = tmp_path / "o.jpg"
        exif_jpeg(path, orientation, big_endian=fmt == "jpeg")
    hdr = read_header(path)
    loaded = load_image(path)
    reference = np.asarray(ImageOps.exif_transpose(Image.open(path)))
    assert hdr.orientation == orientation
    assert (hdr.height, hdr.width) == loaded.shape == reference.shape[:2]
    assert (hdr.height, hdr.width) == (SHOWN if orientation >= 5 else STORED)
    assert np.abs(loaded.data.astype(int) - reference).max() <= 2  # JPEG decoders round alike


@pytest.fixture
def portrait(tmp_path):
    """A project holding one portrait photo (stored 40x30, shown 30x40) and one category."""
    folder = tmp_path / "photos"
    folder.mkdir()
    exif_jpeg(folder / "phone.jpg", 6)
    project = Project.create(tmp_path / "proj")
    project.add_folder(folder)
    project.add_category("thing")
    yield project
    project.close()


def _lower_mask(shape=SHOWN) -> MaskPatch:
    """A mask on rows 32..37 of the portrait frame: beyond the stored (landscape) height."""
    m = np.zeros(shape, bool)
    m[32:38, 5:25] = True
    return MaskPatch.from_full(m)


def test_a_portrait_photo_is_stored_with_its_displayed_size(portrait):
    (rec,) = portrait.images()
    assert rec.shape == SHOWN == load_image(portrait.image_path(rec)).shape


def test_coco_and_cutout_exports_use_the_displayed_size(portrait, tmp_path):
    portrait.save_instances(1, [Instance(1, 1, _lower_mask(), "manual")])
    assert portrait.load_instances(1)[0].mask.area == 6 * 20
    registry.export("coco", portrait, tmp_path / "coco.json", {})
    data = json.loads((tmp_path / "coco.json").read_text())
    assert (data["images"][0]["height"], data["images"][0]["width"]) == SHOWN
    assert data["annotations"][0]["area"] == 120
    rep = registry.export("cutout", portrait, tmp_path / "cut", {})
    assert not rep.skipped
    (png,) = (tmp_path / "cut" / "images").iterdir()
    rgba = cv2.imread(str(png), cv2.IMREAD_UNCHANGED)
    assert rgba.shape[:2] == SHOWN and np.count_nonzero(rgba[..., 3]) == 120


class _LowerHalf:
    """An image model marking the lower half of whatever image it is given."""

    model_id = "lower-half"

    def segment(self, rgb, cancel=None, progress=None) -> SegmentationResult:
        m = np.zeros(rgb.shape[:2], bool)
        m[rgb.shape[0] // 2 :] = True
        return SegmentationResult([Detection(MaskPatch.from_full(m), "thing", 0.9)])


def test_prelabel_keeps_the_mask_of_a_portrait_photo(portrait):
    rep = prelabel_project(portrait, _LowerHalf(), scope="all")
    assert rep.done == 1 and not rep.errors
    (inst,) = portrait.load_instances(1)
    assert inst.mask.area == 20 * 30 and inst.mask.image_shape == SHOWN


def test_prelabel_says_when_a_mask_does_not_fit_the_recorded_size(portrait):
    portrait.conn.execute("UPDATE images SET width=40, height=30")  # as before the fix
    rep = prelabel_project(portrait, _LowerHalf(), scope="all")
    assert rep.done == 0 and rep.skipped == 1
    assert "phone.jpg" in rep.errors[0] and "30x40" in rep.errors[0] and "40x30" in rep.errors[0]
    assert portrait.load_instances(1) == []


def test_the_migration_gives_an_old_project_the_displayed_size(portrait):
    """A project written before the migration: the size was the stored one and a stroke beyond the
    visible image could be saved.  Opening it fixes the size and cuts the masks to it."""
    root = portrait.root
    portrait.save_instances(1, [
        Instance(1, 1, _lower_mask(), "manual"),  # visible part: kept whole
        Instance(2, 1, MaskPatch(2, 25, np.ones((4, 10), bool), (40, 40)), "manual"),  # half out
        Instance(3, 1, MaskPatch(5, 32, np.ones((3, 5), bool), (40, 40)), "manual"),  # all out
    ])
    portrait.close()
    conn = sqlite3.connect(root / "segstudio.db")
    conn.execute("UPDATE images SET width=40, height=30")
    conn.execute(f"PRAGMA user_version = {MIGRATIONS.index(migrate_displayed_sizes)}")
    conn.commit()
    conn.close()
    with Project.open(root) as project:
        (rec,) = project.images()
        assert rec.shape == SHOWN
        inst = {i.id: i for i in project.load_instances(1)}
        assert set(inst) == {1, 2}
        assert inst[1].mask.area == 120
        assert (inst[2].mask.x0, inst[2].mask.width, inst[2].mask.area) == (25, 5, 20)
        bbox = project.conn.execute("SELECT bbox_x, bbox_w, area FROM instances WHERE id=2").fetchone()
        assert bbox == (25, 5, 20)
        assert json.loads(project.meta("displayed_sizes_migration")) == {
            "images": 1, "masks_cropped": 1, "masks_removed": 1}
        assert project.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
