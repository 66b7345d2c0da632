"""Issue 21.4 in the window: a stroke made while another process holds the project's write lock
never freezes the window; it waits visibly, is saved when the lock comes free, and when the
wait ends first the image returns to what the database holds and the user is told why.

Before the fix the window froze for SQLite's 30 s busy timeout on the stroke, then showed a
modal error and kept showing the stroke (document 1 instance, database 0) even after
navigating away and back."""

from __future__ import annotations

import pytest

from segstudio.store import Project
from tests.qt.conftest import drag
from tests.unit.store.test_write_lock import Holder


def _stored(project_dir, image_id: int) -> int:
    with Project.open(project_dir) as p:
        return len(p.load_instances(image_id))


def _stroke(window) -> None:
    window.set_tool("brush")
    window.brush_spin.setValue(4)
    drag(window.canvas, [(20, 20), (30, 20), (40, 20)])


def test_a_stroke_behind_a_held_lock_is_undone_with_the_reason_when_the_wait_ends(qtbot, window, project_dir):
    window.saving.path.wait = 1.5  # SEGSTUDIO_LOCK_WAIT for this window
    image_id = window.current_image().id
    holder = Holder(project_dir / "segstudio.db")
    try:
        _stroke(window)
        # the drag returned before the write: the GUI thread did not wait for the lock
        assert len(window.current_document()) == 1 and _stored(project_dir, image_id) == 0
        assert not window.saving.idle
        assert "Waiting to save" in window.status_bar.saved.text()
        qtbot.waitUntil(lambda: "Waiting for another SegStudio process" in window.statusBar().currentMessage(),
                        timeout=5000)
        qtbot.waitUntil(lambda: len(window.current_document()) == 0, timeout=15000)
    finally:
        holder.release()
    message = window.statusBar().currentMessage()
    assert "im0.png" in message and "not saved" in message and "another SegStudio process" in message
    assert window.saving.message_box is not None and window.saving.message_box.isVisible()
    assert "not saved" in window.status_bar.saved.text()
    assert not window.actions["undo"].isEnabled()  # the lost stroke cannot be undone or redone
    # away and back: still what the database holds
    other = [r.id for r in window.project.images() if r.id != image_id][0]
    window.go_to_image(other)
    window.go_to_image(image_id)
    assert len(window.current_document()) == 0 and _stored(project_dir, image_id) == 0
    # the lock is free again: the next stroke is saved at once
    _stroke(window)
    assert _stored(project_dir, image_id) == 1 and window.saving.idle
    window.saving.message_box.close()


def test_a_stroke_behind_a_short_lock_is_saved_when_the_lock_comes_free(qtbot, window, project_dir):
    image_id = window.current_image().id
    holder = Holder(project_dir / "segstudio.db")
    holder.release_after(1.0)
    _stroke(window)
    assert _stored(project_dir, image_id) == 0 and len(window.current_document()) == 1
    qtbot.waitUntil(lambda: window.saving.idle, timeout=15000)
    assert _stored(project_dir, image_id) == 1 and len(window.current_document()) == 1
    qtbot.waitUntil(lambda: "All changes saved" in window.status_bar.saved.text(), timeout=5000)
    assert window.actions["undo"].isEnabled()


def test_closing_with_an_edit_waiting_saves_it_first_without_blocking(qtbot, window, project_dir):
    image_id = window.current_image().id
    holder = Holder(project_dir / "segstudio.db")
    _stroke(window)
    window.close()
    assert window.isVisible()  # not closed yet, and the event loop still runs
    assert "before saving your last edits" in window.statusBar().currentMessage()
    holder.release()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=15000)
    assert _stored(project_dir, image_id) == 1


def test_a_category_added_behind_a_held_lock_is_refused_in_one_line_without_a_crash_report(
        qtbot, qapp, window, project_dir, tmp_path):
    """Writes outside the edit path (categories, image status) give up after a second instead
    of freezing the window for SQLite's whole busy timeout; the user gets one non-modal line,
    not a crash report, and the window shows what the database holds."""
    from PySide6.QtCore import QTimer

    from segstudio.qt import crash

    handler = crash.install_crash_handler(qapp, tmp_path / "logs")
    try:
        names = [c.name for c in window.project.categories()]
        holder = Holder(project_dir / "segstudio.db")
        try:
            QTimer.singleShot(0, lambda: window.categories_panel.add("bird"))
            qtbot.waitUntil(lambda: handler.busy_box is not None and handler.busy_box.isVisible(),
                            timeout=10000)
        finally:
            holder.release()
        assert "not saved" in handler.busy_box.text() and "another SegStudio process" in handler.busy_box.text()
        assert handler.dialog is None and not list((tmp_path / "logs").glob("crash-*.log"))
        assert [c.name for c in window.project.categories()] == names  # nothing half-added
        assert window.categories_panel.list.count() == len(names)
        handler.busy_box.close()
        window.categories_panel.add("bird")  # free again: it works
        assert "bird" in [c.name for c in window.project.categories()]
    finally:
        handler.uninstall()


def test_merging_categories_behind_a_held_lock_gives_up_quickly_and_changes_nothing(window, project_dir):
    from segstudio.store import ProjectLocked

    cats = list(window.project.categories())
    holder = Holder(project_dir / "segstudio.db")
    try:
        with pytest.raises(ProjectLocked, match="another SegStudio process"):
            window.project.merge_categories(cats[0].id, cats[1].id)  # a transaction: 1 s, not 60
    finally:
        holder.release()
    assert [c.id for c in window.project.categories()] == [c.id for c in cats]
