import numpy as np
import pytest

from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.training.data import DataError, collect, label_image
from segstudio.training.transforms import IGNORE


def test_collect_done_images_with_a_seeded_split(tiny_project):
    a = collect(tiny_project, val_fraction=0.25, seed=3)
    b = collect(tiny_project, val_fraction=0.25, seed=3)
    c = collect(tiny_project, val_fraction=0.25, seed=4)
    assert a.train_ids == b.train_ids and a.val_ids == b.val_ids
    assert len(a.val_ids) == 2 and len(a.train_ids) == 6
    assert not set(a.train_ids) & set(a.val_ids)
    assert (a.train_ids, a.val_ids) != (c.train_ids, c.val_ids)
    assert a.class_names == ["background", "box", "disc"] and a.split_source == "auto"
    assert a.fingerprint == b.fingerprint


def test_stored_split_wins_and_test_images_are_left_out(tiny_project):
    ids = [r.id for r in tiny_project.images()]
    tiny_project.set_split(ids[0], "val")
    tiny_project.set_split(ids[1], "test")
    d = collect(tiny_project)
    assert d.split_source == "stored" and d.val_ids == [ids[0]]
    assert ids[1] not in d.train_ids and len(d.train_ids) == len(ids) - 2


def test_only_done_images_unless_ids_are_given(tiny_project):
    ids = [r.id for r in tiny_project.images()]
    tiny_project.set_status(ids[0], "in_progress")
    assert ids[0] not in collect(tiny_project).images
    assert collect(tiny_project, image_ids=ids[:3], val_fraction=0).train_ids == ids[:3]
    with pytest.raises(DataError, match="no image with id 999"):
        collect(tiny_project, image_ids=[999])
    with pytest.raises(DataError, match="no images to train on"):
        collect(tiny_project, statuses=("in_review",))


def test_foreground_mode_merges_chosen_categories(tiny_project):
    d = collect(tiny_project, mode="foreground", categories=["disc"])
    assert d.class_names == ["background", "foreground"]
    rec = tiny_project.image(d.train_ids[0])
    lbl = label_image(tiny_project, rec, d.classes, False)
    # the box is a category not being learnt: neither background nor foreground
    assert set(np.unique(lbl)) == {0, 1, IGNORE}
    with pytest.raises(DataError, match="no category named cat"):
        collect(tiny_project, categories=["cat"])


def test_label_map_follows_z_order_crowd_and_unlabelled(tiny_project):
    cats = {c.name: c.id for c in tiny_project.categories()}
    rec = tiny_project.images()[0]
    shape = rec.shape
    a = np.zeros(shape, bool)
    a[0:10, 0:10] = True
    b = np.zeros(shape, bool)
    b[5:15, 5:15] = True
    crowd = np.zeros(shape, bool)
    crowd[20:25, 20:25] = True
    tiny_project.replace_instances(rec.id, [
        Instance(1, cats["box"], MaskPatch.from_full(a)),
        Instance(2, cats["disc"], MaskPatch.from_full(b)),
        Instance(3, cats["box"], MaskPatch.from_full(crowd), crowd=True),
    ])
    d = collect(tiny_project)
    lbl = label_image(tiny_project, rec, d.classes, False)
    assert lbl[2, 2] == 1 and lbl[7, 7] == 2 and lbl[12, 12] == 2 and lbl[22, 22] == IGNORE
    assert lbl[30, 30] == 0
    d2 = collect(tiny_project, ignore_unlabelled=True)
    assert d2.class_names == ["box", "disc"]
    lbl2 = label_image(tiny_project, rec, d2.classes, True)
    assert lbl2[30, 30] == IGNORE and lbl2[2, 2] == 0 and lbl2[7, 7] == 1


def test_no_categories(tmp_path):
    from segstudio.store import Project

    with Project.create(tmp_path / "p") as p, pytest.raises(DataError, match="no categories"):
        collect(p)
