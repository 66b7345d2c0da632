"""Windowed image queries: id lists, filters in SQL, records by page (Qt-free)."""

from __future__ import annotations

import time

import numpy as np
import pytest

import segstudio.store.image_query as iq
from segstudio.store import Project
from segstudio.store.image_query import (
    IdList,
    ImageFilter,
    dense_ids,
    fetch_records,
    open_reader,
    query_ids,
)

STATUSES = ["new", "prelabelled", "in_progress", "in_review", "done"]
NAMES = ["cat_001.jpg", "dog_100%.png", "a_b.jpg", "x\\y.jpg", "Img_CAT.JPG", "plain.tif"]


def _project(new_project, tmp_path, n: int) -> Project:
    """`n` image records on the back end under test (SQLite or PostgreSQL: `new_project`)."""
    project = new_project(tmp_path / "p")
    cat = project.add_category("A").id
    now = time.time()
    with project.transaction() as c:
        c.executemany(
            "INSERT INTO images(path, width, height, status, added_at, updated_at) VALUES (?,?,?,?,?,?)",
            ((f"d{i % 7}/{i:05d}_{NAMES[i % len(NAMES)]}", 64, 48, STATUSES[i % 5], now, now) for i in range(n)),
        )
        c.executemany(
            "INSERT INTO instances(image_id, id, category_id, rle, y0, x0, h, w, bbox_x, bbox_y, bbox_w, bbox_h,"
            " area, z, source) VALUES (?, 1, ?, '', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'manual')",
            ((i, cat) for i in range(3, n + 1, 11)),
        )
    return project


def _expected(project: Project, flt: ImageFilter) -> list[int]:
    with_cat = {r[0] for r in project.conn.execute(
        "SELECT image_id FROM instances WHERE category_id=? AND label_set='gt'", (flt.category_id,))}
    return [
        r.id for r in project.images()
        if flt.text.lower() in r.path.lower()
        and (flt.status is None or r.status == flt.status)
        and (flt.category_id is None or r.id in with_cat)
    ]


def test_id_list_dense_and_array_agree():
    dense, array = IdList.dense(5, 10), IdList(np.arange(5, 15))
    for ids in (dense, array):
        assert len(ids) == 10 and ids.id_at(0) == 5 and ids.id_at(9) == 14
        assert ids.row_of(5) == 0 and ids.row_of(14) == 9 and ids.row_of(4) is None and ids.row_of(15) is None
        assert ids.ids(2, 5).tolist() == [7, 8, 9] and ids.ids(8, 100).tolist() == [13, 14]
        with pytest.raises(IndexError):
            ids.id_at(10)
    gaps = IdList(np.array([2, 3, 9, 40]))
    assert gaps.row_of(9) == 2 and gaps.row_of(10) is None and gaps.row_of(41) is None


@pytest.mark.parametrize("flt", [
    ImageFilter(),
    ImageFilter(status="done"),
    ImageFilter(text="cat"),  # ASCII case folded: matches Img_CAT.JPG too
    ImageFilter(text="100%"),  # LIKE wildcards in the text are literal
    ImageFilter(text="a_b"),
    ImageFilter(text="x\\y"),
    ImageFilter(text="d3/", status="in_review"),
    ImageFilter(category_id=1),
    ImageFilter(text="jpg", status="new", category_id=1),
    ImageFilter(text="no such name"),
])
def test_filters_select_what_a_python_scan_selects(tmp_path, monkeypatch, flt, new_project):
    monkeypatch.setattr(iq, "_PARSE_SLICE_CHARS", 50)  # many parse slices: their seams are exact
    with _project(new_project, tmp_path, 3000) as project:
        project.conn.execute("DELETE FROM images WHERE id % 13 = 0")  # gaps in the ids
        got = query_ids(project.conn, flt)
        assert got.tolist() == _expected(project, flt)


def test_dense_ids_only_without_gaps(tmp_path, new_project):
    with _project(new_project, tmp_path, 50) as project:
        ids = dense_ids(project.conn)
        assert ids is not None and ids.is_dense and ids.tolist() == list(range(1, 51))
        assert dense_ids(project.conn, count=50).tolist() == ids.tolist()
        project.conn.execute("DELETE FROM images WHERE id=7")
        assert dense_ids(project.conn) is None  # a gap: the caller queries the ids
        assert query_ids(project.conn, ImageFilter()).tolist() == [i for i in range(1, 51) if i != 7]
        project.conn.execute("DELETE FROM images")
        assert len(dense_ids(project.conn)) == 0


def test_fetch_records_by_range_and_by_lookup(tmp_path, new_project):
    with _project(new_project, tmp_path, 2000) as project:
        by_id = {r.id: r for r in project.images()}
        assert fetch_records(project.conn, np.arange(100, 356)) == {i: by_id[i] for i in range(100, 356)}
        scattered = list(range(1, 2000, 3))  # more than one IN (...) chunk
        assert fetch_records(project.conn, scattered) == {i: by_id[i] for i in scattered}
        assert fetch_records(project.conn, [5, 999_999]) == {5: by_id[5]}  # a vanished id is left out
        assert fetch_records(project.conn, []) == {}


def test_reader_sees_commits_and_cannot_write(tmp_path, new_project):
    import sqlite3

    with _project(new_project, tmp_path, 20) as project:
        reader = open_reader(project.location or project.root)
        project.set_status(4, "done")
        assert 4 in query_ids(reader, ImageFilter(status="done")).tolist()
        with pytest.raises(sqlite3.OperationalError):
            reader.execute("DELETE FROM images")
        reader.close()


def test_next_and_first_image_ids(tmp_path, new_project):
    with _project(new_project, tmp_path, 10) as project:
        project.conn.execute("DELETE FROM images WHERE id IN (1, 5)")
        assert project.first_image_id() == 2
        assert project.next_image_id(4) == 6 and project.next_image_id(10) is None
        assert project.has_image(6) and not project.has_image(5)
