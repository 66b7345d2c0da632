"""VOC, YOLO-seg, label maps and cutouts: round trips and exactly reported losses."""

import cv2
import numpy as np
import pytest
import yaml

from segstudio.core.geometry import connected_parts, has_holes
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.io import registry
from segstudio.io.errors import FormatError
from segstudio.io.png_palette import encode_indexed, read_label_png
from segstudio.store.project import Project
from tests.unit.io.helpers import make_project, masks_by_image


def disjoint_project(tmp_path, n=2):
    """Instances that never overlap (so flattening formats are lossless)."""
    p = make_project(tmp_path, n_images=n, per_image=0, splits=("train", "val"))
    cats = list(p.categories())
    for k, rec in enumerate(p.images()):
        insts = []
        for j in range(3):
            m = np.zeros(rec.shape, bool)
            m[5 + j * 10 : 12 + j * 10, 4 + k : 30 + k] = True
            if j == 1:
                m[7:9, 10:14 + j] = False  # a hole
            insts.append(Instance(j + 1, cats[j % 2].id, MaskPatch.from_full(m)))
        p.replace_instances(rec.id, insts)
    return p


def test_palette_png_round_trip(tmp_path):
    a = np.random.default_rng(0).integers(0, 40, (13, 17)).astype(np.uint8)
    (tmp_path / "a.png").write_bytes(encode_indexed(a))
    assert (read_label_png(tmp_path / "a.png") == a).all()
    rgb = cv2.imdecode(np.frombuffer((tmp_path / "a.png").read_bytes(), np.uint8), cv2.IMREAD_COLOR)
    assert rgb[a == 1][0].tolist() == [0, 0, 128]  # VOC colour of class 1 (BGR)


@pytest.mark.parametrize("fmt", ["voc", "labelmap"])
def test_map_formats_round_trip_disjoint_instances(tmp_path, fmt):
    p = disjoint_project(tmp_path)
    rep = registry.export(fmt, p, tmp_path / "out")
    assert rep.lossless
    q = Project.create(tmp_path / "q")
    opts = {"images": str(tmp_path / "images")}
    registry.import_into(fmt, tmp_path / "out", q, opts)
    a, b = masks_by_image(p), masks_by_image(q)
    assert a.keys() == b.keys()
    for k in a:
        assert [(n, m.tobytes()) for n, m in a[k]] == [(n, m.tobytes()) for n, m in b[k]]
    if fmt == "voc":
        assert {r.split for r in q.images()} == {"train", "val"}
        assert (tmp_path / "out" / "ImageSets" / "Segmentation" / "trainval.txt").is_file()


@pytest.mark.parametrize("fmt", ["voc", "labelmap"])
def test_overlaps_are_flattened_and_reported_exactly(tmp_path, fmt):
    p = make_project(tmp_path, n_images=3, per_image=4, seed=2)
    expected = 0
    for rec in p.images():
        insts = p.load_instances(rec.id)
        for k, inst in enumerate(insts):
            above = np.zeros(rec.shape, bool)
            for other in insts[k + 1 :]:
                above |= other.mask.to_full()
            visible = inst.mask.to_full() & ~above
            expected += 0 < visible.sum() < inst.area
    rep = registry.export(fmt, p, tmp_path / "out")
    assert rep.losses.get("instances partly hidden by overlaps (flattened)", 0) == expected


@pytest.mark.parametrize("fmt", ["voc", "labelmap", "yolo"])
def test_an_image_file_gone_from_disk_is_a_warning_and_the_rest_is_exported(tmp_path, fmt):
    """The formats that place images beside the masks say which image they could not place
    (labelmap skipped it silently before)."""
    p = make_project(tmp_path, n_images=2, per_image=1)
    gone = p.images()[0]
    p.image_path(gone).unlink()
    rep = registry.export(fmt, p, tmp_path / "out", {"images": "copy"})
    assert any(gone.name in w and "image file missing" in w for w in rep.warnings)
    placed = [f for f in (tmp_path / "out").rglob("img*.png") if f.parent.name in ("images", "JPEGImages", "train")]
    assert [f.name for f in placed] == [p.images()[1].name]


def test_yolo_round_trip_and_hole_report(tmp_path):
    p = make_project(tmp_path, n_images=3, per_image=4, seed=1, splits=("train", "val"))
    rep = registry.export("yolo", p, tmp_path / "y")
    data = yaml.safe_load((tmp_path / "y" / "data.yaml").read_text())
    assert data["names"] == {0: "cat", 1: "dog"} and data["val"] == "images/val"
    holes = sum(has_holes(i.mask) for r in p.images() for i in p.load_instances(r.id))
    assert rep.losses["instances whose holes could not be represented (filled)"] == holes > 0
    parts = sum(len(connected_parts(i.mask)) for r in p.images() for i in p.load_instances(r.id))
    q = Project.create(tmp_path / "q")
    irep = registry.import_into("yolo", tmp_path / "y", q)
    assert irep.instances == parts  # one line per part
    assert {r.split for r in q.images()} == {"train", "val"}


def test_yolo_simple_shapes_are_exact(tmp_path):
    p = disjoint_project(tmp_path, n=1)
    # hole-free single parts must come back pixel for pixel
    rec = p.images()[0]
    insts = [i.with_mask(_rect(rec.shape, k)) for k, i in enumerate(p.load_instances(rec.id))]
    p.replace_instances(rec.id, insts)
    rep = registry.export("yolo", p, tmp_path / "y")
    assert rep.lossless
    q = Project.create(tmp_path / "q")
    registry.import_into("yolo", tmp_path / "y", q)
    assert [m.tobytes() for _, m in masks_by_image(q)[rec.name]] == [i.mask.to_full().tobytes() for i in insts]


def _rect(shape, k):
    m = np.zeros(shape, bool)
    m[3 + 10 * k : 9 + 10 * k, 2 + 3 * k : 20 + 2 * k] = True
    m[3 + 10 * k, 2 + 3 * k] = False  # a notch: not just a rectangle
    return MaskPatch.from_full(m)


def test_yolo_bad_line_names_file_and_line(tmp_path):
    p = disjoint_project(tmp_path, n=1)
    registry.export("yolo", p, tmp_path / "y")
    lbl = next((tmp_path / "y" / "labels").rglob("*.txt"))
    lbl.write_text(lbl.read_text() + "0 0.1 0.2 0.3\n")
    with pytest.raises(FormatError, match=rf"{lbl.name} at line 4: a polygon needs an even number"):
        registry.validate("yolo", tmp_path / "y")


def test_cutouts_alpha_is_the_mask(tmp_path):
    p = make_project(tmp_path, n_images=1, per_image=2)
    rec = p.images()[0]
    registry.export("cutout", p, tmp_path / "c")
    full = cv2.imread(str(tmp_path / "c" / "images" / "img000.png"), cv2.IMREAD_UNCHANGED)
    src = cv2.imread(str(tmp_path / "images" / "img000.png"))
    insts = p.load_instances(rec.id)
    union = insts[0].mask.to_full() | insts[1].mask.to_full()
    assert full.shape == (*rec.shape, 4) and ((full[..., 3] > 0) == union).all()
    assert (full[..., :3][union] == src[union]).all()
    one = cv2.imread(str(next((tmp_path / "c" / "instances").rglob("img000_1_*.png"))), cv2.IMREAD_UNCHANGED)
    assert ((one[..., 3] > 0) == insts[0].mask.tight().data).all()
