"""`segstudio project copy`: SQLite -> PostgreSQL -> SQLite exports the same bytes."""

import json

import cv2
import numpy as np

from segstudio.cli.main import main
from segstudio.core.drawn import DrawnShape
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.store import Project


def _project(tmp_path):
    imgs = tmp_path / "src" / "images"
    imgs.mkdir(parents=True)
    for n in range(3):
        cv2.imwrite(str(imgs / f"im{n}.png"), np.full((30, 40, 3), 40 * n, np.uint8))
    p = Project.create(tmp_path / "src")
    p.add_folder(imgs)
    cat = p.add_category("cat", (10, 20, 30), supercategory="animal")
    p.add_category("void", ignore=True)
    m = np.zeros((30, 40), bool)
    m[3:20, 4:30] = True
    m[8:12, 10:15] = False  # a hole
    m[25:28, 35:39] = True  # a second part
    box = np.zeros((30, 40), bool)
    box[2:6, 2:9] = True
    p.save_instances(1, [Instance(1, cat.id, MaskPatch.from_full(m), "model", 0.8125, {"note": "é"}),
                         Instance(2, 2, MaskPatch.from_full(box), crowd=True,
                                  shape=DrawnShape.from_json(json.dumps(
                                      {"kind": "rectangle", "points": [[2, 2], [9, 6]]})))])
    p.add_label_set("run1", meta={"model": "u2netp"})
    p.save_instances(2, [Instance(1, cat.id, MaskPatch.from_full(box), "model", 0.5)], label_set="run1")
    p.set_status(1, "done")
    p.set_split(2, "val")
    p.close()
    return tmp_path / "src"


def _export(project, out):
    assert main(["export", "coco", str(project), str(out)]) == 0
    data = json.loads(next(out.glob("*.json")).read_text())
    data.get("info", {}).pop("date_created", None)  # the clock, not the project
    return json.dumps(data, sort_keys=True)


def test_round_trip_through_postgresql_exports_the_same(tmp_path, pg_url, capsys):
    src = _project(tmp_path)
    assert main(["project", "copy", str(src), pg_url]) == 0
    assert main(["project", "copy", pg_url, str(tmp_path / "back")]) == 0
    out = capsys.readouterr().out
    assert "copied" in out and "instances" in out
    a = _export(src, tmp_path / "a")
    b = _export(tmp_path / "back", tmp_path / "b")
    c = _export(pg_url, tmp_path / "c")
    assert a == b == c
    with Project.open(src) as s, Project.open(tmp_path / "back") as t, Project.open(pg_url) as u:
        for table in ("categories", "instances", "label_sets"):
            rows = [sorted(map(tuple, x.conn.execute(f"SELECT * FROM {table}").fetchall()), key=repr)
                    for x in (s, t, u)]
            assert rows[0] == rows[1] == rows[2], table
        # image rows too, each path naming the same file from its own project
        rows = [[(x.image_path(r), *x.conn.execute("SELECT * FROM images WHERE id=?", (r.id,)
                                                   ).fetchone()[2:]) for r in x.images()]
                for x in (s, t, u)]
        assert rows[0] == rows[1] == rows[2]
        # the copy's ids continue after the copied ones (PostgreSQL's sequences moved past them)
        assert u.add_category("new").id == 3
        assert u.add_images([(tmp_path / "src" / "images" / "x.png", 4, 3)]) == [4]


def test_copy_into_an_existing_project_is_refused(tmp_path, pg_url, capsys):
    src = _project(tmp_path)
    assert main(["project", "copy", str(src), pg_url]) == 0
    assert main(["project", "copy", str(src), pg_url]) != 0
    assert "already a SegStudio project" in capsys.readouterr().err


def test_a_team_project_made_on_postgresql_goes_to_sqlite_and_back_unchanged(tmp_path, pg_database, capsys,
                                                                             monkeypatch):
    """The other direction, with what only a team has: roles, assignments, a rejected and an
    accepted review, who changed what and when, revisions.  PostgreSQL -> SQLite ->
    PostgreSQL keeps every row of every table and exports the same bytes."""
    import secrets

    from segstudio.store import identity, team
    from segstudio.store.copy import columns, tables

    imgs = tmp_path / "images"
    imgs.mkdir()
    for n in range(3):
        cv2.imwrite(str(imgs / f"im{n}.png"), np.full((30, 40, 3), 40 * n, np.uint8))
    first, second = (f"{pg_database}/p_{secrets.token_hex(5)}" for _ in range(2))
    monkeypatch.setattr(identity, "_user", "mia")
    with Project.create(first, image_root=imgs) as p:
        p.add_folder(imgs)
        cat = p.add_category("cat", (10, 20, 30))
        m = np.zeros((30, 40), bool)
        m[3:20, 4:30] = True
        p.save_instances(1, [Instance(1, cat.id, MaskPatch.from_full(m), "model", 0.25, {"k": "ü"})])
        team.set_role(p, "mia", "manager")
        team.set_role(p, "ann", "annotator")
        team.set_role(p, "rex", "reviewer")
        team.assign(p, [1, 2], "ann")
        monkeypatch.setattr(identity, "_user", "ann")
        team.submit(p, 1)
        team.submit(p, 2)
        monkeypatch.setattr(identity, "_user", "rex")
        team.review(p, 1, "rejected", "the tail")
        team.review(p, 2, "accepted")
    assert main(["project", "copy", first, str(tmp_path / "offline")]) == 0
    assert main(["project", "copy", str(tmp_path / "offline"), second]) == 0
    with Project.open(first) as a, Project.open(tmp_path / "offline") as b, Project.open(second) as c:
        names = tables(a)
        assert {"members", "reviews"} <= set(names) and names == tables(c)
        for table in names:
            cols = ", ".join(columns(a, table))

            def row(x, r, table=table):  # an image's path is relative to its project's folder: the file it names
                return tuple(str((x.root / v).resolve()) if table == "images" and k == "path" else v
                             for k, v in zip(columns(a, table), r, strict=True))

            rows = [sorted((row(x, r) for r in x.conn.execute(f"SELECT {cols} FROM {table}").fetchall()
                            if not (table == "meta" and r[0] == "name")),  # a copy records the name
                           key=repr) for x in (a, b, c)]
            assert rows[0] == rows[1] == rows[2], table
        assert a.name == b.name == c.name
        assert [q.comment for q in team.queue(c, "ann")] == ["the tail"]
    assert _export(first, tmp_path / "x") == _export(tmp_path / "offline", tmp_path / "y") \
        == _export(second, tmp_path / "z")
