import json
import sqlite3

import cv2
import numpy as np
import pytest

from segstudio.core import commands as C
from segstudio.core.history import History
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.store import Project, ProjectError
from segstudio.store.schema import SCHEMA_VERSION


def write_images(folder, names, shape=(30, 40)):
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        cv2.imwrite(str(folder / n), np.full((*shape, 3), 128, np.uint8))


def ring_mask(shape=(30, 40)):
    m = np.zeros(shape, bool)
    m[3:20, 4:30] = True
    m[8:12, 10:15] = False  # a hole
    m[25:28, 35:39] = True  # a second part
    return MaskPatch.from_full(m)


def test_create_scans_recursively_in_natural_order_and_reports_skips(tmp_path, new_project):
    imgs = tmp_path / "imgs"
    write_images(imgs, ["img10.png", "img2.png", "img1.jpg"])
    write_images(imgs / "sub", ["a.bmp"])
    (imgs / "empty.png").write_bytes(b"")
    (imgs / "notes.pdf").write_bytes(b"%PDF")
    (imgs / "fake.jpg").write_text("hello")
    project = new_project(tmp_path / "proj")
    report = project.add_folder(imgs)
    assert [r.path.rsplit("/", 1)[-1] for r in project.images()] == ["img1.jpg", "img2.png", "img10.png", "a.bmp"]
    reasons = {p.name: why for p, why in report.skipped}
    assert "empty" in reasons["empty.png"]
    assert "not an image type" in reasons["notes.pdf"]
    assert "not a supported image" in reasons["fake.jpg"]
    assert project.images()[0].shape == (30, 40)
    # adding again does not duplicate
    project.add_folder(imgs)
    assert project.image_count() == 4


def test_open_errors_name_the_path(tmp_path):
    with pytest.raises(ProjectError, match="no such folder"):
        Project.open(tmp_path / "missing")
    with pytest.raises(ProjectError, match="not a SegStudio project"):
        Project.open(tmp_path)
    (tmp_path / "segstudio.db").write_bytes(b"garbage" * 200)
    with pytest.raises(ProjectError, match="segstudio.db"):
        Project.open(tmp_path)


def test_newer_schema_is_refused(tmp_path):
    Project.create(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "segstudio.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ProjectError, match="newer"):
        Project.open(tmp_path)


def test_instances_persist_exactly_with_holes_and_parts(tmp_path, new_project):
    write_images(tmp_path / "i", ["a.png"])
    with new_project(tmp_path / "p") as project:
        project.add_folder(tmp_path / "i")
        cat = project.add_category("thing", supercategory="stuff")
        doc = project.load_document(1)
        project.attach(doc)
        h = History()
        inst = Instance(doc.allocate_id(), cat.id, ring_mask(), "model", 0.75, {"note": "x"})
        h.push(C.add_instance(doc, inst))
    with new_project.reopen(project) as again:
        (loaded,) = again.load_instances(1)
        assert loaded.mask.equals(ring_mask())
        assert (loaded.source, loaded.score, loaded.attributes) == ("model", 0.75, {"note": "x"})
        row = again.conn.execute("SELECT area, bbox_x, bbox_y, bbox_w, bbox_h FROM instances").fetchone()
        assert row == (ring_mask().area, *ring_mask().bbox())
        assert again.image(1).status == "in_progress"
        assert again.categories().by_name("thing").supercategory == "stuff"


def test_every_command_is_stored_including_undo_and_order(tmp_path, new_project):
    write_images(tmp_path / "i", ["a.png"])
    project = new_project(tmp_path / "p")
    project.add_folder(tmp_path / "i")
    doc = project.load_document(1)
    project.attach(doc)
    h = History()
    a = Instance(doc.allocate_id(), 1, ring_mask())
    b = Instance(doc.allocate_id(), 2, ring_mask().subtract(ring_mask()).union(MaskPatch.from_full(np.eye(30, 40, dtype=bool))))
    h.push(C.add_instance(doc, a))
    h.push(C.add_instance(doc, b))
    h.push(C.reorder(doc, (b.id, a.id)))
    reader = new_project.reopen(project)
    assert [i.id for i in reader.load_instances(1)] == [b.id, a.id]
    h.undo()
    assert [i.id for i in reader.load_instances(1)] == [a.id, b.id]
    h.push(C.remove_instances(doc, [a.id]))
    assert [i.id for i in reader.load_instances(1)] == [b.id]
    h.undo()
    assert [i.id for i in reader.load_instances(1)] == [a.id, b.id]


def test_label_sets_and_frames_are_separate(tmp_path, new_project):
    write_images(tmp_path / "i", ["a.png"])
    project = new_project(tmp_path / "p")
    project.add_folder(tmp_path / "i")
    project.add_label_set("run1", meta={"model": "u2netp"})
    project.save_instances(1, [Instance(1, 1, ring_mask())], label_set="run1")
    project.save_instances(1, [Instance(1, 1, ring_mask())], frame=5)
    assert project.load_instances(1) == []
    assert len(project.load_instances(1, label_set="run1")) == 1
    assert project.annotated_frames(1) == [5]
    assert project.label_sets() == ["gt", "run1"]


def test_category_merge_and_delete(tmp_path, new_project):
    write_images(tmp_path / "i", ["a.png"])
    project = new_project(tmp_path / "p")
    project.add_folder(tmp_path / "i")
    a, b = project.add_category("a"), project.add_category("b")
    assert project.add_category("a").id == a.id  # no duplicates by name
    project.save_instances(1, [Instance(1, a.id, ring_mask()), Instance(2, b.id, ring_mask())])
    assert project.merge_categories(a.id, b.id) == 1
    assert project.instance_counts_by_category() == {b.id: 2}
    assert project.delete_category(b.id) == 2
    assert len(project.categories()) == 0


def test_failed_transaction_leaves_store_unchanged(tmp_path, new_project):
    write_images(tmp_path / "i", ["a.png"])
    project = new_project(tmp_path / "p")
    project.add_folder(tmp_path / "i")
    with pytest.raises(RuntimeError), project.transaction():
        project.save_instances(1, [Instance(1, 1, ring_mask())])
        raise RuntimeError("boom")
    assert project.load_instances(1) == []
    assert json.loads(project.conn.execute("SELECT meta FROM label_sets WHERE name='gt'").fetchone()[0]) == {}


def test_numpy_integer_offsets_are_stored_as_integers(tmp_path, new_project):
    write_images(tmp_path / "i", ["a.png"])
    project = new_project(tmp_path / "p")
    project.add_folder(tmp_path / "i")
    patch = MaskPatch(np.int64(3), np.int32(4), np.ones((2, 2), bool), (np.int64(30), np.int64(40)))
    project.save_instances(1, [Instance(1, 1, patch)])
    (loaded,) = project.load_instances(1)
    assert (loaded.mask.y0, loaded.mask.x0) == (3, 4) and type(loaded.mask.y0) is int
