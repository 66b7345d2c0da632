"""An edit is all or nothing across document, history and database (issue 18.4): when SQLite
refuses the write, the document and every view go back to the last saved state, the history
keeps exactly its earlier steps, and the user is told why."""

from __future__ import annotations

from segstudio.core.commands import add_instance
from tests.qt.conftest import drag


def _rect(window, p0, p1) -> None:
    window.set_tool("rectangle")
    drag(window.canvas, [p0, p1])


def _saved(window) -> list[int]:
    with window.project.reopen() as other:  # what another reader sees: the database itself
        return [i.id for i in other.load_instances(window.current_image().id)]


def test_a_refused_write_takes_the_edit_back_everywhere(window, qtbot):
    _rect(window, (5, 5), (20, 20))
    doc, history = window.current_document(), window.current_history()
    first = list(doc.order)
    assert len(first) == 1 and _saved(window) == first and history.undo_label
    label_before, steps_before = history.undo_label, len(history)

    window.project.conn.execute("PRAGMA query_only = ON")  # SQLite refuses every write now
    try:
        _rect(window, (30, 30), (50, 50))
        assert list(doc.order) == first, "the document kept an edit the database refused"
        assert window.instances_panel.model.rowCount() == 1
        assert len(history) == steps_before and history.undo_label == label_before
        assert not history.can_redo
        assert _saved(window) == first
        box = window.saving.message_box
        assert box is not None and box.isVisible() and "not saved" in box.text()
        assert "readonly" in box.text() or "read-only" in box.text()  # SQLite's own reason
        assert "not saved" in window.status_bar.saved.text()
        window.undo()  # refused too: the step stays, nothing moves
        assert list(doc.order) == first and len(history) == steps_before
    finally:
        window.project.conn.execute("PRAGMA query_only = OFF")
    window.undo()  # the earlier step is intact and works once the database takes writes
    assert list(doc.order) == [] and _saved(window) == []
    window.redo()
    assert list(doc.order) == first and _saved(window) == first


def test_a_full_disk_refuses_the_write_and_the_message_is_sqlites(window, qtbot):
    """SQLite's own "database or disk is full": the project may not grow by one page."""
    import numpy as np

    from segstudio.core.instance import Instance
    from segstudio.core.masks import MaskPatch

    conn = window.project.conn
    conn.execute("VACUUM")  # no free pages left: a new row needs a new page
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    doc = window.current_document()
    noise = np.random.default_rng(0).random(doc.image_shape) > 0.5
    note = {"note": "x" * 20_000}  # a row bigger than a page: it needs new pages
    cat = window.current_category_id() or 1
    try:
        window.push_command(add_instance(doc, Instance(doc.allocate_id(), cat, MaskPatch.from_full(noise),
                                                       attributes=note)))
        assert len(doc) == 0 and len(window.current_history()) == 0 and _saved(window) == []
        assert "full" in window.saving.message_box.text()
    finally:
        conn.execute("PRAGMA max_page_count = 1073741823")
