"""No silent overwrite: instance revisions, who/when, leases - on SQLite and PostgreSQL alike."""

import numpy as np
import pytest

from segstudio.core import commands as C
from segstudio.core.history import History
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.store import identity, leases
from segstudio.store.revisions import StaleWrite


def box(y, x, shape=(30, 40)):
    m = np.zeros(shape, bool)
    m[y:y + 5, x:x + 6] = True
    return MaskPatch.from_full(m)


@pytest.fixture
def two_sessions(tmp_path, new_project):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "a.png").write_bytes(b"")
    first = new_project(tmp_path / "p")
    first.add_images([(tmp_path / "p" / "a.png", 40, 30)])
    first.add_category("cat")
    first.save_instances(1, [Instance(1, 1, box(2, 2)), Instance(2, 1, box(10, 10))])
    return first, new_project.reopen(first)


def test_a_stale_edit_is_refused_and_names_who_changed_what(two_sessions, monkeypatch):
    ann, bob = two_sessions
    doc_a, doc_b = ann.load_document(1), bob.load_document(1)
    ann.attach(doc_a)
    bob.attach(doc_b)
    monkeypatch.setattr(identity, "_user", "bob")
    History().push(C.replace_mask(doc_b, 1, box(3, 3)))  # bob saves first
    monkeypatch.setattr(identity, "_user", "ann")
    with pytest.raises(StaleWrite, match=r"instance 1 was changed by bob at .* not saved"):
        C.replace_mask(doc_a, 1, box(20, 20)).do()
    (one, two) = ann.load_instances(1)
    assert one.mask.equals(box(3, 3)) and two.mask.equals(box(10, 10))  # bob's edit stands
    # an instance the other one did not touch is still ann's to change
    History().push(C.replace_mask(doc_a, 2, box(12, 12)))
    assert ann.load_instances(1)[1].mask.equals(box(12, 12))
    row = ann.conn.execute("SELECT rev, updated_by FROM instances WHERE id=2").fetchone()
    assert tuple(row) == (2, "ann")


def test_deleting_what_someone_changed_and_reusing_an_id_are_refused(two_sessions):
    ann, bob = two_sessions
    doc_a, doc_b = ann.load_document(1), bob.load_document(1)
    ann.attach(doc_a)
    bob.attach(doc_b)
    C.replace_mask(doc_b, 2, box(0, 0)).do()
    with pytest.raises(StaleWrite, match="instance 2 was changed"):
        C.remove_instances(doc_a, [2]).do()
    C.add_instance(doc_b, Instance(3, 1, box(5, 20))).do()
    with pytest.raises(StaleWrite, match="instance 3 was made by"):
        C.add_instance(doc_a, Instance(3, 1, box(20, 30))).do()
    assert [i.id for i in bob.load_instances(1)] == [1, 2, 3]
    assert bob.load_instances(1)[2].mask.equals(box(5, 20))


def test_a_document_keeps_its_own_revisions_through_undo_and_redo(two_sessions):
    ann, _bob = two_sessions
    doc = ann.load_document(1)
    ann.attach(doc)
    h = History()
    for k in range(4):
        h.push(C.replace_mask(doc, 1, box(k, k)))
    h.undo()
    h.undo()
    h.redo()
    h.push(C.remove_instances(doc, [1]))
    h.undo()
    assert ann.load_instances(1)[0].mask.equals(box(2, 2))


def test_a_pre_label_replacing_instances_makes_open_documents_stale(two_sessions):
    ann, bob = two_sessions
    doc = ann.load_document(1)
    ann.attach(doc)
    bob.replace_instances(1, [Instance(1, 1, box(15, 15), "model", 0.9)])  # a batch job
    with pytest.raises(StaleWrite):
        C.replace_mask(doc, 1, box(1, 1)).do()
    assert bob.load_instances(1)[0].source == "model"


def test_status_changes_record_who_and_when(two_sessions, monkeypatch):
    ann, _ = two_sessions
    monkeypatch.setattr(identity, "_user", "carol")
    ann.set_status(1, "done")
    by, at = ann.conn.execute("SELECT status_by, status_at FROM images WHERE id=1").fetchone()
    assert by == "carol" and at > 0


def test_leases_are_exclusive_renewed_and_lapse(two_sessions):
    ann, bob = two_sessions
    assert leases.take(ann, 1, session="ann-1") is None
    assert leases.take(ann, 1, session="ann-1") is None  # renewing one's own
    held = leases.take(bob, 1, session="bob-1")
    assert held is not None and held.session == "ann-1" and held.expires_in > 20
    assert leases.holders(bob, [1]) == {1: identity.user_name()}
    assert leases.holders(bob, [1], others_than="ann-1") == {}  # one's own needs no label
    leases.release(ann, 1, session="ann-1")
    assert leases.take(bob, 1, session="bob-1", seconds=0.2) is None
    assert leases.take(ann, 1, session="ann-1") is not None
    import time

    time.sleep(0.4)  # bob's app died: the lease lapses
    assert leases.holder(ann, 1) is None
    assert leases.take(ann, 1, session="ann-1") is None


def test_the_cli_records_changes_under_the_user_it_is_given(tmp_path):
    from segstudio.cli.main import main
    from segstudio.store import Project

    (tmp_path / "a.png").write_bytes(b"")
    import cv2

    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((30, 40, 3), np.uint8))
    try:
        assert main(["--user", "dora", "init", str(tmp_path), "--category", "cat"]) == 0
        with Project.open(tmp_path) as p:
            p.save_instances(1, [Instance(1, 1, box(1, 1))])
            assert p.conn.execute("SELECT updated_by FROM instances").fetchone()[0] == "dora"
    finally:
        identity.set_user_name(None)
    assert main(["--user", "bad\nname", "info", str(tmp_path)]) == 2
