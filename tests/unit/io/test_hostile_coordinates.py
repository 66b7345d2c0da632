"""Issue 21 item 1 and LabelMe/YOLO's part of item 10: coordinates that are huge, infinite or
NaN never reach a rasteriser (pycocotools segfaulted on 1e12; 1e7 cost 1.6 GB; Infinity gave
a traceback; NaN a message naming neither the file nor the place)."""

import json

import numpy as np
import pytest
from pycocotools import mask as cmask

from segstudio.io import registry
from segstudio.io.coords import REACHES_OUTSIDE, clip_polygon
from segstudio.io.errors import FormatError
from segstudio.io.formats._polygons import polygons_to_patch
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

HUGE = (1e12, 1e300, 1e30, 1e7, -1e12)


def _video_docs(coord: float) -> dict[str, dict]:
    poly = [[0, 0, coord, 0, coord, coord]]
    video = {"id": 1, "width": 64, "height": 48, "length": 1, "file_names": ["v/0.jpg"]}
    cats = [{"id": 1, "name": "thing"}]
    return {
        "youtube-vis": {"videos": [video], "categories": cats, "annotations": [
            {"id": 1, "video_id": 1, "category_id": 1, "segmentations": [poly]}]},
        "coco-video": {"videos": [{k: video[k] for k in ("id", "width", "height", "length")}],
                       "categories": cats,
                       "images": [{"id": 1, "file_name": "v/0.jpg", "video_id": 1, "frame_id": 0,
                                   "width": 64, "height": 48}],
                       "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "instance_id": 1,
                                        "segmentation": poly}]},
    }


@pytest.mark.slow
def test_huge_polygon_coordinates_neither_crash_nor_blow_up(tmp_path):
    """Every reader that hands polygons to pycocotools, through the real CLI in a subprocess
    (a segfault fails the test instead of killing the run): validate, import, convert."""
    png(tmp_path / "a.png")
    cases = []
    for k, coord in enumerate(HUGE):
        cases.append(("coco", write_json(tmp_path / f"coco{k}.json",
                                         coco_doc([[0, 0, coord, 0, coord, coord]]))))
        for fmt, doc in _video_docs(coord).items():
            cases.append((fmt, write_json(tmp_path / f"{fmt}{k}.json", doc)))
    for fmt, path in cases:
        proc = run_cli("validate", fmt, path)
        assert proc.returncode == 0, (fmt, path.name, proc.returncode, proc.stdout, proc.stderr[-2000:])
        assert "reaching outside the image" in proc.stdout
    proc = run_cli("import", "coco", tmp_path / "coco0.json", tmp_path / "p", "--create")
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("convert", "coco", tmp_path / "coco1.json", "labelme", tmp_path / "lm")
    assert proc.returncode == 0, proc.stderr


def test_far_polygon_is_clipped_to_what_lies_inside_the_image():
    # (0,0)-(1e7,0)-(1e7,1e7) covers y <= x inside a 64x48 image, as (0,0)-(99,0)-(99,99) does
    got = polygons_to_patch([[0, 0, 1e7, 0, 1e7, 1e7]], (48, 64)).to_full()
    ref = cmask.decode(cmask.frPyObjects([[0, 0, 99, 0, 99, 99]], 48, 64))[..., 0].astype(bool)
    assert (got == ref).all()
    # polygons within one image size of the image are the reference rasteriser's, untouched
    poly = [-30.3, -5.2, 70.1, 3.3, 50.5, 60.7, 2.2, 40.4]
    ref = cmask.decode(cmask.frPyObjects([poly], 48, 64))[..., 0].astype(bool)
    assert (polygons_to_patch([poly], (48, 64)).to_full() == ref).all()


def test_clipping_keeps_far_vertices_from_cancelling_the_near_ones():
    out = clip_polygon(np.array([[0.0, 0.0], [1e300, 0.0], [1e300, 1e300]]), (-64, -64, 128, 112))
    assert np.isfinite(out).all() and out.max() <= 128
    assert [112.0, 112.0] in out.tolist()  # the diagonal leaves the window where y = 112


@pytest.mark.parametrize("text, value", [("Infinity", "inf"), ("-1e400", "-inf"), ("NaN", "nan")])
@pytest.mark.parametrize("fmt", ["coco", "youtube-vis", "coco-video"])
def test_non_finite_coordinates_are_a_one_line_error_naming_file_and_place(tmp_path, fmt, text, value):
    docs = {"coco": coco_doc([[0, 0, 7777, 0, 7777, 7777]]), **_video_docs(7777)}
    raw = json.dumps(docs[fmt]).replace("7777", text, 1)
    path = write_json(tmp_path / "d.json", None, raw)
    with pytest.raises(FormatError) as e:
        registry.validate(fmt, path)
    assert str(e.value).startswith(f"{path} at ") and "[0][2]" in e.value.where
    assert f"coordinate {value} is not a finite number" in str(e.value)


def test_cli_reports_non_finite_coordinates_in_one_line(tmp_path):
    png(tmp_path / "a.png")
    path = write_json(tmp_path / "d.json", None,
                      json.dumps(coco_doc([[0, 0, 5, 0, 5, 5]])).replace("5, 0, 5, 5", "Infinity, 0, 5, 5"))
    one_line_error(run_cli("import", "coco", path, tmp_path / "p", "--create"),
                   "d.json", "annotations[0].segmentation[0][2]", "not a finite number")
    one_line_error(run_cli("validate", "coco", path), "d.json", "annotations[0].segmentation[0][2]")


@pytest.mark.parametrize("points, where", [
    ([[1, 2], [float("nan"), 3], [4, 5]], "shapes[0].points[1][0]"),
    ([[1, 2], [3, float("inf")], [4, 5]], "shapes[0].points[1][1]"),
    ([[1, 2], [3, "x"], [4, 5]], "shapes[0].points"),
])
def test_labelme_non_finite_points_are_refused_by_place(tmp_path, points, where):
    png(tmp_path / "a.png")
    write_json(tmp_path / "a.json", labelme_doc([shape(points)]))
    with pytest.raises(FormatError) as e:
        registry.validate("labelme", tmp_path)
    assert e.value.where == where and "a.json" in e.value.file


def test_labelme_far_shapes_are_clipped_or_refused_never_drawn_at_full_size(tmp_path):
    png(tmp_path / "a.png")
    far = 1e12
    write_json(tmp_path / "a.json", labelme_doc([
        shape([[0, 0], [far, 0], [far, far]]),                  # polygon: clipped
        shape([[10, 10], [far, far]], "rectangle", "box"),      # rectangle: clamped
        shape([[-5, -5], [20, 20]], "rectangle", "edge"),       # partly outside: reported
    ]))
    q = Project.create(tmp_path / "q")
    rep = registry.import_into("labelme", tmp_path, q)
    masks = {c.name: None for c in q.categories()}
    names = {c.id: c.name for c in q.categories()}
    for inst in q.load_instances(q.images()[0].id):
        masks[names[inst.category_id]] = inst.mask
    assert masks["box"].bbox() == (10, 10, 54, 38)  # to the image's edge
    assert masks["edge"].bbox() == (0, 0, 21, 21)
    tri = masks["thing"].to_full()
    assert tri[0, 63] and tri[40, 50] and not tri[40, 10]
    assert rep.losses[REACHES_OUTSIDE] == 3
    write_json(tmp_path / "a.json", labelme_doc([shape([[10, 10], [far, 10]], "circle")]))
    with pytest.raises(FormatError, match=r"a\.json at shapes\[0\]\.points: a circle reaching more"):
        registry.validate("labelme", tmp_path)


def test_yolo_non_finite_coordinates_name_the_line(tmp_path):
    png(tmp_path / "images" / "train" / "a.png")
    (tmp_path / "labels" / "train").mkdir(parents=True)
    (tmp_path / "labels" / "train" / "a.txt").write_text("0 0.1 0.1 0.5 0.1 0.5 0.5\n0 0.1 nan 0.5 0.1 0.5 0.5\n")
    (tmp_path / "data.yaml").write_text("path: .\ntrain: images/train\nnames: [thing]\n")
    with pytest.raises(FormatError) as e:
        registry.validate("yolo", tmp_path)
    assert e.value.where == "line 2" and e.value.file.endswith("a.txt")


def test_far_shapes_kept_as_drawn_export_without_crashing(tmp_path):
    """Found by the fuzzer: imports keep shapes as drawn, and the exports drew the kept 1e300
    vertex with pycocotools (a segfault).  What is kept is the clipped shape, and every
    rasteriser clips again."""
    png(tmp_path / "a.png")
    write_json(tmp_path / "lm" / "a.json", labelme_doc([shape([[2, 2], [1e300, 2], [30, 30]]),
                                                        shape([[5, 5], [9, 5], [9, 9]], label="small")],
                                                       image="../a.png"))
    coco = write_json(tmp_path / "c.json", coco_doc([[0, 0, 1e12, 0, 1e12, 1e12]]))
    proj = tmp_path / "p"
    assert run_cli("import", "labelme", tmp_path / "lm", proj, "--create", "--opt",
                   f"dataset_root={tmp_path}").returncode == 0
    assert run_cli("import", "coco", coco, proj).returncode == 0
    with Project.open(proj) as p:
        for inst in p.load_instances(p.images()[0].id):
            if inst.shape is not None:
                assert max(abs(v) for ring in inst.shape.coords for v in ring) <= 200
    for fmt, dst in (("coco", "out-coco"), ("labelme", "out-lm"), ("yolo", "out-yolo"), ("cvat", "out.xml"),
                     ("label-studio", "out-ls.json")):
        proc = run_cli("export", fmt, proj, tmp_path / dst)
        assert proc.returncode == 0, (fmt, proc.returncode, proc.stderr[-2000:])
