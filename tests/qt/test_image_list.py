"""The image list over a big project: lazy rows, one-row status changes, filters on a thread."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from segstudio.qt.docks.image_model import status_icon
from segstudio.store import Project

N = 20_000
STATUSES = ["new", "prelabelled", "in_progress", "in_review", "done"]


@pytest.fixture
def big_dir(tmp_path):
    """Three real PNGs, then N-3 image records (files never opened), one category."""
    root = tmp_path / "big"
    (root / "img").mkdir(parents=True)
    for k in range(3):
        cv2.imwrite(str(root / "img" / f"a{k}.png"), np.full((30, 40, 3), 60 * k, np.uint8))
    with Project.create(root) as p:
        p.add_folder(root / "img")
        cat = p.add_category("cat").id
        now = time.time()
        with p.transaction() as c:
            c.executemany(
                "INSERT INTO images(path, width, height, status, added_at, updated_at) VALUES (?,?,?,?,?,?)",
                ((f"rec/r{i:05d}.jpg", 40, 30, STATUSES[i % 5], now, now) for i in range(N - 3)),
            )
            c.executemany(
                "INSERT INTO instances(image_id, id, category_id, rle, y0, x0, h, w, bbox_x, bbox_y, bbox_w,"
                " bbox_h, area, z, source) VALUES (?, 1, ?, '', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'manual')",
                ((i, cat) for i in range(1, N + 1, 100)),
            )
    return root


@pytest.fixture
def big(qtbot, big_dir):
    from segstudio.qt.main_window import MainWindow

    w = MainWindow(install_features=False)
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    qtbot.waitExposed(w)
    assert w.open_project(big_dir)
    panel = w.images_panel
    qtbot.waitUntil(lambda: not panel.query_pending, timeout=5000)
    yield w
    w.close()


def settle(qtbot, panel):
    qtbot.waitUntil(lambda: not panel.query_pending, timeout=10000)


def test_opening_reads_only_the_rows_on_screen(big):
    panel = big.images_panel
    panel.list.viewport().repaint()
    assert panel.count() == N and panel.model.page_fetches == 1  # one page of 256, not 20,000 rows
    done = big.project.counts_by_status()["done"]
    assert panel.counts.text() == f"20,000 images · {done:,} done"
    assert big.status_bar.index.text() == f"1 / {N}"
    sb = panel.list.verticalScrollBar()
    sb.setValue(sb.maximum())
    panel.list.viewport().repaint()
    assert panel.model.page_fetches == 2
    last = panel.model.index(N - 1)
    assert panel.model.data(last) == "r19996.jpg" and panel.model.data(last, Qt.ItemDataRole.UserRole) == N


def test_status_change_repaints_one_row_and_counts_without_a_query(big, qtbot):
    panel, model = big.images_panel, big.images_panel.model
    resets, changed = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(lambda a, b: changed.append((a.row(), b.row())))
    fetches = model.page_fetches
    done = big.project.counts_by_status()["done"]
    big.set_image_status("done")
    row = panel.position(big.current_image().id)
    assert changed == [(row, row)] and not resets and not panel.query_pending
    icon = model.data(model.index(row), Qt.ItemDataRole.DecorationRole)
    assert icon.cacheKey() == status_icon("done").cacheKey()  # one icon per status, drawn once
    assert f"{done + 1:,} done" in panel.counts.text() and model.page_fetches == fetches
    big.set_image_status("new")
    assert f"{done:,} done" in panel.counts.text()
    assert Project.open(big.project.root).image(big.current_image().id).status == "new"


def test_filters_run_on_a_thread_and_keep_the_current_image(big, qtbot):
    panel = big.images_panel
    expected = [r.id for r in big.project.images(status="in_review")]
    cur = expected[5]
    big.go_to_image(cur)
    panel.status_filter.setCurrentIndex(panel.status_filter.findData("in_review"))
    assert panel.query_pending  # the GUI thread did not run the query
    settle(qtbot, panel)
    assert panel.visible_ids() == expected
    assert panel.counts.text().startswith(f"{len(expected):,} of 20,000 shown")
    assert panel.list.currentIndex().row() == 5
    big.step_image(1)  # next in the filtered list
    assert big.current_image().id == expected[6]
    panel.category_filter.setCurrentIndex(1)
    settle(qtbot, panel)
    assert panel.visible_ids() == [i for i in range(1, N + 1, 100) if i in set(expected)]
    assert big.images_panel.position(big.current_image().id) is None
    assert panel.list.currentIndex().row() == -1  # the current image is filtered out
    panel.status_filter.setCurrentIndex(0)
    panel.category_filter.setCurrentIndex(0)
    settle(qtbot, panel)
    assert panel.count() == N


def test_typing_supersedes_queries_and_the_last_text_wins(big, qtbot):
    panel = big.images_panel
    for text in ("r1", "r12", "r123", "r1234"):
        panel.search.setText(text)
        QTest.qWait(5)
    settle(qtbot, panel)
    assert panel.visible_ids() == [r.id for r in big.project.images() if "r1234" in r.path]
    panel.search.setText("")
    assert panel.count() == N  # a cleared search shows every image at once (no query, no pause)


def test_type_ahead_in_the_list_reads_no_rows(big):
    panel = big.images_panel
    panel.list.setFocus()
    fetches = panel.model.page_fetches
    QTest.keyClicks(panel.list, "zzz")  # Qt's keyboardSearch would ask every row for its text
    assert panel.model.page_fetches == fetches


def test_ids_with_gaps_and_bulk_changes_are_reread(big, qtbot):
    panel, project = big.images_panel, big.project
    project.conn.execute("DELETE FROM images WHERE id BETWEEN 100 AND 199")
    project.conn.execute("UPDATE images SET status='done' WHERE id BETWEEN 1 AND 50")
    panel.list.viewport().repaint()
    big.refresh_image_list()
    settle(qtbot, panel)
    assert panel.count() == N - 100 and panel.position(200) == 99
    model = panel.model
    assert model.data(model.index(4), Qt.ItemDataRole.DecorationRole).cacheKey() == status_icon("done").cacheKey()
    assert f"{big.project.counts_by_status()['done']:,} done" in panel.counts.text()


def test_a_late_answer_about_the_previous_project_is_dropped(big, qtbot, big_dir, tmp_path):
    """Project A's ids arrive after project B opened (its query finished before the cancel
    reached it): B keeps its own rows."""
    panel = big.images_panel
    big.project.conn.execute("DELETE FROM images WHERE id=7")  # gaps: A's ids come from a query
    panel.refresh()
    late = []
    panel._worker.finished.disconnect(panel._on_query_done)
    panel._worker.finished.connect(lambda *a: late.append(a))
    qtbot.waitUntil(lambda: bool(late), timeout=5000)
    panel._worker.finished.connect(panel._on_query_done)
    other = tmp_path / "small"
    (other / "img").mkdir(parents=True)
    cv2.imwrite(str(other / "img" / "x.png"), np.zeros((8, 8, 3), np.uint8))
    with Project.create(other) as p:
        p.add_folder(other / "img")
    assert big.open_project(other)
    for args in late:  # A's answer, delivered now
        panel._on_query_done(*args)
    assert panel.count() == 1 and panel.visible_ids() == [1]
