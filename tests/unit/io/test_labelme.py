"""LabelMe: every shape type, group_id, flags, embedded images, path safety, lossless masks."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from segstudio.core.geometry import has_holes
from segstudio.io import registry
from segstudio.io.errors import FormatError
from segstudio.io.formats._polygons import fill_holes
from segstudio.store.project import Project
from tests.unit.io.helpers import make_project, masks_by_image

FIXTURE = Path(__file__).parents[2] / "data" / "formats" / "labelme"


@pytest.fixture
def dataset(tmp_path):
    d = tmp_path / "lm"
    shutil.copytree(FIXTURE, d)
    return d


def test_fixture_imports_every_shape_type(dataset, tmp_path):
    q = Project.create(tmp_path / "q")
    rep = registry.import_into("labelme", dataset, q)
    assert rep.images == 2 and rep.images_added == 2
    scene = q.find_image(dataset / "scene.png")
    insts = q.load_instances(scene.id)
    names = {c.id: c.name for c in q.categories()}
    assert [names[i.category_id] for i in insts] == ["box", "ball", "tri", "pair", "ring", "dot", "wire"]
    box, ball, tri, pair, ring, dot, wire = insts
    assert box.mask.bbox() == (2, 2, 8, 6) and box.area == 48  # rectangle corners inclusive
    assert box.attributes == {"flags": {"occluded": True}, "description": "a box"}
    assert len(pair.mask.tight().data) and pair.attributes["group_id"] == 7
    from segstudio.core.geometry import connected_parts

    assert len(connected_parts(pair.mask)) == 2  # two polygons, one instance
    assert has_holes(ring.mask) and ring.mask.bbox() == (26, 19, 6, 4)
    assert ball.mask.bbox() == (17, 7, 7, 7)  # radius 3 disc around (20, 10)
    assert rep.losses["points drawn as discs of radius 5 px"] == 1
    assert rep.losses["lines drawn 10 px wide"] == 1
    assert rep.losses["image-level flags not kept (the project has no place for them)"] == 1
    # the embedded-only image was written into the project folder
    other = [r for r in q.images() if r.id != scene.id][0]
    assert q.image_path(other).is_file() and "imported_images" in other.path


def test_image_path_escaping_the_dataset_is_refused(dataset, tmp_path):
    doc = json.loads((dataset / "scene.json").read_text())
    doc["imagePath"] = "../../etc/passwd"
    (dataset / "scene.json").write_text(json.dumps(doc))
    q = Project.create(tmp_path / "q")
    with pytest.raises(FormatError, match=r"scene\.json at imagePath: .*outside the dataset folder"):
        registry.import_into("labelme", dataset, q)
    assert q.image_count() == 0


def test_bad_shape_is_reported_with_its_json_path(dataset, tmp_path):
    doc = json.loads((dataset / "scene.json").read_text())
    doc["shapes"][2]["points"] = [[1, 2]]
    (dataset / "scene.json").write_text(json.dumps(doc))
    with pytest.raises(FormatError, match=r"scene\.json at shapes\[2\]\.points: a polygon needs at least 3"):
        registry.validate("labelme", dataset)


@pytest.mark.parametrize("shapes", ["mask", "polygon"])
def test_export_round_trip(tmp_path, shapes):
    p = make_project(tmp_path, n_images=3, per_image=4, seed=5)
    rep = registry.export("labelme", p, tmp_path / "out", {"shapes": shapes, "images": "reference"})
    assert len(rep.files) == 3
    doc = json.loads((tmp_path / "out" / "img000.json").read_text())
    assert doc["imageData"] is None and doc["imagePath"] == "../images/img000.png"
    q = Project.create(tmp_path / "q")
    registry.import_into("labelme", tmp_path / "out", q, {"dataset_root": str(tmp_path)})
    a, b = masks_by_image(p), masks_by_image(q)
    holes = 0
    for k in a:
        assert [x[0] for x in a[k]] == [y[0] for y in b[k]]
        for (_, ma), (_, mb) in zip(a[k], b[k]):
            if shapes == "mask":
                assert (ma == mb).all()
            else:  # polygons lose exactly the holes
                from segstudio.core.masks import MaskPatch

                holes += has_holes(ma)
                assert (fill_holes(MaskPatch.from_full(ma)).to_full() == mb).all()
    if shapes == "mask":
        assert rep.lossless
    else:
        assert rep.losses["holes dropped (LabelMe polygons cannot have holes)"] == holes > 0


def test_export_links_images_beside_the_json_by_default(tmp_path):
    p = make_project(tmp_path, n_images=2, per_image=1)
    registry.export("labelme", p, tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "img000.json").read_text())
    assert doc["imagePath"] == "img000.png" and (tmp_path / "out" / "img000.png").is_file()
    v = registry.validate("labelme", tmp_path / "out")  # no dataset_root needed
    assert v.images == 2 and not v.warnings


def test_export_beside_images(tmp_path):
    p = make_project(tmp_path, n_images=2, per_image=1)
    registry.export("labelme", p, tmp_path / "unused", {"beside_images": True})
    doc = json.loads((tmp_path / "images" / "img001.json").read_text())
    assert doc["imagePath"] == "img001.png" and len(doc["shapes"]) == 1


def test_files_load_in_the_labelme_package(tmp_path):
    labelme = pytest.importorskip("labelme")
    from labelme import LabelFile

    p = make_project(tmp_path, n_images=2, per_image=3)
    registry.export("labelme", p, tmp_path / "out", {"copy_images": True})
    for f in sorted((tmp_path / "out").glob("*.json")):
        lf = LabelFile(str(f))
        assert len(lf.shapes) == 3
        rec = p.find_image(tmp_path / "images" / f.with_suffix(".png").name)
        for shape, inst in zip(lf.shapes, p.load_instances(rec.id)):
            m = np.asarray(shape["mask"], bool)
            assert (m == inst.mask.tight().data).all()
    _ = labelme


def test_dry_run_counts_embedded_images_without_writing_them(dataset, tmp_path):
    q = Project.create(tmp_path / "q")
    rep = registry.import_into("labelme", dataset, q, dry_run=True)
    assert rep.images == 2 and rep.images_added == 2 and not rep.skipped
    assert q.image_count() == 0 and not (q.root / "imported_images").exists()


def _labelme_reference(shape_type: str, points: list, hw: tuple[int, int]) -> np.ndarray:
    """What LabelMe's shape_to_mask draws (PIL on the file's float vertices), written out here
    from its documented behaviour: polygon/rectangle/ellipse with outline=1 and fill=1, circle
    radius = distance to the second point, points radius 5, lines width 10."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (hw[1], hw[0]), 0)
    draw = ImageDraw.Draw(img)
    xy = [tuple(p) for p in points]
    if shape_type == "polygon":
        draw.polygon(xy, outline=1, fill=1)
    elif shape_type == "rectangle":
        draw.rectangle(xy, outline=1, fill=1)
    elif shape_type == "circle":
        (cx, cy), (px, py) = xy
        d = ((cx - px) ** 2 + (cy - py) ** 2) ** 0.5
        draw.ellipse([cx - d, cy - d, cx + d, cy + d], outline=1, fill=1)
    elif shape_type == "point":
        (cx, cy), r = xy[0], 5
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=1, fill=1)
    else:
        draw.line(xy, fill=1, width=10)
    return np.asarray(img, dtype=bool)


@pytest.mark.parametrize("seed", range(4))
def test_shapes_match_labelme_rasterisation_pixel_for_pixel(tmp_path, seed):
    rng = np.random.default_rng(seed)
    h, w = 61, 83
    shapes = []
    for k in range(60):
        kind = ["polygon", "polygon", "polygon", "rectangle", "circle", "point", "line", "linestrip"][k % 8]
        n = {"polygon": int(rng.integers(3, 9)), "rectangle": 2, "circle": 2, "point": 1, "line": 2,
             "linestrip": int(rng.integers(2, 6))}[kind]
        pts = rng.uniform((-8, -8), (w + 8, h + 8), (n, 2))  # fractional, some outside the image
        if kind == "rectangle":
            pts = np.sort(pts, axis=0)
        if kind == "circle":
            pts[1] = pts[0] + rng.uniform(-12, 12, 2)
        if k % 5 == 0:
            pts = np.round(pts * 2) / 2  # exact halves: PIL's truncation cases
        shapes.append({"label": f"s{k}", "points": pts.tolist(), "group_id": None, "shape_type": kind,
                       "flags": {}})
    doc = {"version": "5.5.0", "flags": {}, "shapes": shapes, "imagePath": "x.png", "imageData": None,
           "imageHeight": h, "imageWidth": w}
    (tmp_path / "x.json").write_text(json.dumps(doc))
    q = Project.create(tmp_path / "q")
    registry.import_into("labelme", tmp_path / "x.json", q, {"require_images": False})
    got = {c.name: None for c in q.categories()}
    names = {c.id: c.name for c in q.categories()}
    for inst in q.load_instances(q.images()[0].id):
        got[names[inst.category_id]] = inst.mask.to_full()
    checked = 0
    for s in shapes:
        ref = _labelme_reference(s["shape_type"], s["points"], (h, w))
        if not ref.any():
            assert s["label"] not in got  # reported as covering no pixel, not imported
            continue
        assert (got[s["label"]] == ref).all(), (s["shape_type"], int((got[s["label"]] != ref).sum()))
        checked += 1
    assert checked > 40


@pytest.mark.parametrize("fmt_out, dst_name", [("coco", "out"), ("coco", "single/c.json"), ("labelme", "lm")])
def test_convert_of_embedded_only_images_is_self_contained(tmp_path, fmt_out, dst_name):
    """The images exist only as imageData: the converted dataset carries its own copies and
    references them relatively (they used to point into the deleted temporary project)."""
    import base64

    from pycocotools.coco import COCO

    from segstudio.cli.main import main

    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(FIXTURE / "embedded.json", src)
    embedded = base64.b64decode(json.loads((src / "embedded.json").read_text())["imageData"])
    dst = tmp_path / dst_name
    assert main(["convert", "labelme", str(src), fmt_out, str(dst)]) == 0
    if fmt_out == "coco":
        ann = dst if dst.suffix else dst / "instances.json"
        coco = COCO(str(ann))
        (img,) = coco.dataset["images"]
        assert img["file_name"] == "images/embedded_only.png"
        assert (ann.parent / img["file_name"]).read_bytes() == embedded
        assert coco.annToMask(coco.dataset["annotations"][0]).sum() > 0
    else:
        (out,) = dst.glob("*.json")
        doc = json.loads(out.read_text())
        assert (dst / doc["imagePath"]).read_bytes() == embedded
    assert not [p for p in tmp_path.rglob("*") if "segstudio-tmp" in p.name]
