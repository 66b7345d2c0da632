import base64
import json

import cv2
import numpy as np
import pytest

from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.eval.predictions import import_predictions
from segstudio.io.errors import FormatError
from segstudio.store import Project

from .test_cocofiles import rle_of

H, W = 30, 40


@pytest.fixture
def project(tmp_path):
    p = Project.create(tmp_path / "proj")
    (tmp_path / "imgs").mkdir()
    p.add_images([(tmp_path / "imgs" / "a.png", W, H), (tmp_path / "imgs" / "sub" / "b.jpg", W, H)])
    p.add_category("cat")
    yield p
    p.close()


def square(y0, x0, s=10):
    m = np.zeros((H, W), bool)
    m[y0 : y0 + s, x0 : x0 + s] = True
    return m


def test_coco_results_with_image_table_and_category_names(project, tmp_path):
    ref = {"images": [{"id": 7, "file_name": "a.png"}, {"id": 8, "file_name": "sub/b.jpg"}],
           "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]}
    res = [
        {"image_id": 7, "category_id": 1, "segmentation": rle_of(square(0, 0)), "score": 0.9},
        {"image_id": 8, "category_id": 2, "score": 0.3,
         "segmentation": [[10.0, 10.0, 20.0, 10.0, 20.0, 20.0, 10.0, 20.0]]},
        {"image_id": 99, "category_id": 1, "segmentation": rle_of(square(0, 0)), "score": 0.5},
    ]
    (tmp_path / "ref.json").write_text(json.dumps(ref))
    (tmp_path / "res.json").write_text(json.dumps(res))
    s = import_predictions(project, tmp_path / "res.json", "yolo", images_json=tmp_path / "ref.json")
    assert (s.images, s.instances, s.format) == (2, 2, "coco") and len(s.skipped) == 1
    assert "yolo" in project.label_sets()
    a = project.load_instances(1, 0, "yolo")
    assert len(a) == 1 and a[0].score == 0.9 and a[0].source == "import" and a[0].area == 100
    b = project.load_instances(2, 0, "yolo")
    assert project.categories().get(b[0].category_id).name == "dog"  # created on import
    assert project.load_instances(1, 0, "gt") == []  # ground truth untouched
    with pytest.raises(ValueError, match="already holds 2 instances"):
        import_predictions(project, tmp_path / "res.json", "yolo", images_json=tmp_path / "ref.json")
    s = import_predictions(project, tmp_path / "res.json", "yolo", images_json=tmp_path / "ref.json", overwrite=True)
    assert s.instances == 2 and len(project.load_instances(1, 0, "yolo")) == 1


def test_coco_results_by_project_ids_and_bad_category(project, tmp_path):
    cat = project.categories().by_name("cat").id
    (tmp_path / "r.json").write_text(json.dumps([
        {"image_id": 2, "category_id": cat, "segmentation": rle_of(square(5, 5)), "score": 0.7}]))
    s = import_predictions(project, tmp_path / "r.json", "p1")
    assert s.instances == 1 and project.load_instances(2, 0, "p1")[0].area == 100
    (tmp_path / "r.json").write_text(json.dumps([
        {"image_id": 2, "category_id": 555, "segmentation": rle_of(square(5, 5)), "score": 0.7}]))
    with pytest.raises(ValueError, match="category id 555"):
        import_predictions(project, tmp_path / "r.json", "p2")
    assert "p2" not in project.label_sets()  # nothing written on failure


def test_labelme_folder_groups_and_masks(project, tmp_path):
    folder = tmp_path / "lm"
    folder.mkdir()
    ok, png = cv2.imencode(".png", (square(0, 0, 4)[:4, :4] * 255).astype(np.uint8))
    doc = {"imagePath": "../imgs/a.png", "imageHeight": H, "imageWidth": W, "shapes": [
        {"label": "cat", "points": [[0, 0], [9, 0], [9, 9], [0, 9]], "shape_type": "polygon", "group_id": 1, "score": 0.8},
        {"label": "cat", "points": [[20, 20], [25, 25]], "shape_type": "rectangle", "group_id": 1},
        {"label": "bird", "points": [[30, 5], [30, 8]], "shape_type": "circle"},
        {"label": "bird", "points": [[2, 20]], "shape_type": "mask", "mask": base64.b64encode(png.tobytes()).decode()},
        {"label": "bird", "points": [[1, 1]], "shape_type": "point"},
    ]}
    (folder / "a.json").write_text(json.dumps(doc))
    s = import_predictions(project, folder, "lm")
    assert s.format == "labelme" and s.instances == 3 and len(s.skipped) == 1
    insts = project.load_instances(1, 0, "lm")
    grouped = insts[0]
    assert grouped.area == 100 + 36 and grouped.score == 0.8
    assert insts[2].area == 16 and insts[2].mask.bbox() == (2, 20, 4, 4)
    (folder / "a.json").write_text(json.dumps({"imagePath": "a.png", "shapes": [
        {"label": "cat", "points": [[0, 0], [1, 1]], "shape_type": "polygon"}]}))
    with pytest.raises(FormatError, match=r"a.json at shapes\[0\]: a polygon needs at least 3 points"):
        import_predictions(project, folder, "lm2")


@pytest.mark.parametrize("mode", ["instance", "semantic", "binary"])
def test_mask_png_folder(project, tmp_path, mode):
    folder = tmp_path / "masks"
    folder.mkdir()
    ids = np.zeros((H, W), np.uint8)
    ids[square(0, 0)] = 1
    ids[square(15, 20)] = 2
    if mode == "binary":
        cv2.imwrite(str(folder / "b_0.png"), (ids == 1).astype(np.uint8) * 255)
        cv2.imwrite(str(folder / "b_1.png"), (ids == 2).astype(np.uint8) * 255)
    else:
        cv2.imwrite(str(folder / "b.png"), ids)
    cv2.imwrite(str(folder / "unknown.png"), ids)
    s = import_predictions(project, folder, "m", mask_mode=mode, category="cat")
    assert s.instances == 2 and s.skipped and "unknown.png" in s.skipped[0]
    insts = project.load_instances(2, 0, "m")
    names = [project.categories().get(i.category_id).name for i in insts]
    assert names == (["cat", "class2"] if mode == "semantic" else ["cat", "cat"])
    cv2.imwrite(str(folder / "a.png"), np.zeros((5, 5), np.uint8))
    with pytest.raises(FormatError, match="a.png: mask is 5x5 but image"):
        import_predictions(project, folder, "m2", mask_mode=mode)


def test_bad_sources(project, tmp_path):
    with pytest.raises(FormatError, match="no such file or folder"):
        import_predictions(project, tmp_path / "nothing", "x")
    with pytest.raises(ValueError, match="other than 'gt'"):
        import_predictions(project, tmp_path, "gt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FormatError, match="neither LabelMe"):
        import_predictions(project, tmp_path / "empty", "x")


def test_imported_set_compares_against_gt(project, tmp_path):
    from segstudio.eval.project_eval import LabelSetError, compare_label_sets

    cat = project.categories().by_name("cat").id
    project.replace_instances(1, [Instance(1, cat, MaskPatch.from_full(square(0, 0)))])
    (tmp_path / "r.json").write_text(json.dumps([
        {"image_id": 1, "category_id": cat, "segmentation": rle_of(square(0, 2)), "score": 0.9}]))
    import_predictions(project, tmp_path / "r.json", "pred")
    r = compare_label_sets(project, "gt", "pred")
    assert (r.images[0].tp, r.images[0].matches[0][3]) == (1, pytest.approx(80 / 120))
    assert len(r.images) == 2 and r.images[1].agreement == 1.0
    with pytest.raises(LabelSetError, match="no label set 'nope'"):
        compare_label_sets(project, "gt", "nope")


def test_uncertainty_from_a_prelabel_run_and_prelabelled_ground_truth(project, tmp_path):
    from segstudio.eval.project_eval import compare_label_sets, stored_uncertainty

    cat = project.categories().by_name("cat").id
    project.add_label_set("empty", "prediction")
    project.replace_instances(1, [Instance(1, cat, MaskPatch.from_full(square(0, 0)), "model", 0.9,
                                           {"uncertainty": 0.4})])
    project.conn.execute(
        "INSERT INTO model_runs(model_id, kind, metrics, created_at) VALUES ('m', 'prelabel', ?, 1)",
        (json.dumps({"uncertainty": {"1": {"entropy": 0.9, "margin": 0.1}, "2": {"entropy": 0.7}}}),),
    )
    assert stored_uncertainty(project) == {1: 0.9, 2: 0.7}
    r = compare_label_sets(project, "gt", "empty")
    by_id = {i.image_id: i.uncertainty for i in r.images}
    assert by_id == {1: 0.4, 2: 0.7}  # instance attribute first, else the run's per-image value
    project.conn.execute("UPDATE model_runs SET metrics='{\"uncertainty\": 5}'")
    assert stored_uncertainty(project) == {}
