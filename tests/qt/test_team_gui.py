"""The window on a shared (PostgreSQL) project: opened by URL, the image list shows who has an
image open, another user's status change repaints the row within a second, leases follow the
image shown and go when the project closes."""

import cv2
import numpy as np
import pytest

from segstudio.core import commands as C
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.store import Project, leases
from segstudio.store.image_query import fetch_records


@pytest.fixture
def shared(tmp_path, pg_url):
    folder = tmp_path / "images"
    folder.mkdir()
    for n in ("a", "b", "c"):
        cv2.imwrite(str(folder / f"{n}.png"), np.full((30, 40, 3), 90, np.uint8))
    with Project.create(pg_url, image_root=folder) as p:
        p.add_folder(folder)
        p.add_category("cat")
    return pg_url, folder


def test_window_on_a_shared_project(qtbot, shared):
    from segstudio.qt.main_window import MainWindow

    url, folder = shared
    w = MainWindow()
    qtbot.addWidget(w)
    assert w.features.team.open_shared(url, str(folder))
    project = w.session.project
    assert project.shared and w.current_image().id == 1
    assert "segstudio" in w.windowTitle().lower() and project.location.schema in w.windowTitle()
    other = Project.open(url)
    try:
        # this window holds image 1; another user sees it taken, and who has it
        held = leases.take(other, 1, session="someone-else")
        assert held is not None and held.user_name == leases.user_name()
        assert fetch_records(other.conn, [1])[1].worker is None  # this process's own: no label
        # the other user takes image 3 and finishes image 2: this window's list shows both
        model = w.images_panel.model
        assert model.record(1).status == "new" and model.record(2).worker is None  # rows cached

        def row_text(row):
            return model.data(model.index(row))

        leases.take(other, 3, session="someone-else")
        other.set_status(2, "done")

        qtbot.waitUntil(lambda: model.cached_record(2) is not None
                        and model.cached_record(2).status == "done", timeout=2000)
        qtbot.waitUntil(lambda: row_text(2).endswith(f"· {leases.user_name()}"), timeout=2000)
        # moving to image 2 gives image 1 back
        w.go_to_image(2)
        qtbot.waitUntil(lambda: leases.holder(other, 1) is None, timeout=2000)
        assert leases.holder(other, 2) is not None
        # image 3 is the other user's: it opens read-only, an edit is taken back with the reason
        w.go_to_image(3)
        assert "Read-only: " in w.statusBar().currentMessage() and "has c.png open" in w.statusBar().currentMessage()
        doc = w.current_document()
        w.push_command(C.add_instance(doc, Instance(doc.allocate_id(), 1, MaskPatch.from_full(
            np.ones((30, 40), bool)))))
        assert len(w.current_document()) == 0 and other.load_instances(3) == []
        assert "read-only here" in w.saving.message_box.text()
        leases.release(other, 3, session="someone-else")
        w.go_to_image(2)
        w.go_to_image(3)  # free again: editable, and this window's
        doc = w.current_document()
        w.push_command(C.add_instance(doc, Instance(doc.allocate_id(), 1, MaskPatch.from_full(
            np.ones((30, 40), bool)))))
        assert len(other.load_instances(3)) == 1
        w.close_project()
        assert leases.holder(other, 3) is None  # released on close, not left to lapse
    finally:
        other.close()
        w.close()


def test_a_killed_apps_lease_is_taken_over_and_a_left_image_becomes_editable(qtbot, sample_dir):
    """A lease left by an app of this machine that was killed kept the first image read-only
    (seen in the real-window rounds: "Read-only: root has astronaut.jpg open"); an image shown
    read-only became editable only after opening another image and coming back."""
    import socket
    import subprocess
    import sys

    from tests.qt.conftest import close_full_window, make_full_window

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with Project.open(sample_dir) as p:
        first, second = p.image_ids()[:2]
        assert leases.take(p, first, session=f"{socket.gethostname()}:{dead.pid}:gone") is None
        assert leases.take(p, second, session="elsewhere:1:busy", seconds=1.5) is None
    w = make_full_window(qtbot)
    try:
        assert w.open_project(sample_dir)
        assert w.current_image().id == first
        assert not w.statusBar().currentMessage().startswith("Read-only")
        with Project.open(sample_dir) as p:
            assert leases.holder(p, first).session == leases.SESSION
        w.go_to_image(second)  # someone else's, for 1.5 s more
        assert w.statusBar().currentMessage().startswith("Read-only")
        doc = w.current_document()
        n0 = len(doc)
        w.push_command(C.add_instance(doc, Instance(doc.allocate_id(), 1, MaskPatch.from_full(
            np.ones(doc.image_shape, bool)))))
        assert len(w.current_document()) == n0  # taken back: read-only
        qtbot.wait(1700)
        w.features.team.renew.timeout.emit()  # the renewal tick: the holder has gone
        assert "is free now" in w.statusBar().currentMessage()
        doc = w.current_document()
        before = len(doc)
        w.push_command(C.add_instance(doc, Instance(doc.allocate_id(), 1, MaskPatch.from_full(
            np.ones(doc.image_shape, bool)))))
        assert len(w.current_document()) == before + 1
        with Project.open(sample_dir) as p:
            assert len(p.load_instances(second)) == before + 1
    finally:
        close_full_window(w)


def test_open_shared_from_the_menu_and_again_from_the_welcome_list(qtbot, shared, monkeypatch, tmp_path):
    """File > Open Shared Project… asks for the URL (and, on a machine that has not mapped the
    project's images yet, their folder); once closed, the project is in the welcome view's
    recent list, enabled, and activating it opens it again."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    from segstudio.qt.main_window import MainWindow

    url, folder = shared
    monkeypatch.setenv("SEGSTUDIO_CONFIG_DIR", str(tmp_path / "a-new-machine"))  # no mapped root
    asked = []
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (asked.append("url"), (f" {url} ", True))[1])
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda *a, **k: (asked.append("folder"), str(folder))[1])
    w = MainWindow()
    qtbot.addWidget(w)
    w.actions["open_shared"].trigger()
    assert asked == ["url", "folder"]
    assert w.session is not None and w.session.project.location.schema in url
    assert w.current_image().id == 1
    w.close_project()
    assert w.stack.currentWidget() is w.welcome
    items = [w.welcome.recent.item(k) for k in range(w.welcome.recent.count())]
    mine = [it for it in items if it.data(Qt.ItemDataRole.UserRole) == url]
    assert mine and mine[0].flags() & Qt.ItemFlag.ItemIsEnabled
    w.welcome.recent.itemActivated.emit(mine[0])
    assert w.session is not None and w.session.project.shared and w.current_image().id == 1
    assert asked == ["url", "folder"]  # the folder is remembered on this machine
    w.close()


def test_a_stale_edit_in_the_window_is_refused_and_the_fresh_state_shown(qtbot, shared, monkeypatch):
    """Someone else changes an instance the window has open (a lease is advice: a script or
    the command line can still write): the window's next edit of it is refused, never
    last-writer-wins; the image shows what the database now holds and the user is told who."""
    from segstudio.core.history import History
    from segstudio.qt.main_window import MainWindow
    from segstudio.store import identity

    url, folder = shared
    with Project.open(url) as p:
        p.save_instances(1, [Instance(1, 1, MaskPatch.from_full(np.pad(np.ones((5, 5), bool),
                                                                       ((2, 23), (2, 33)))))])
    w = MainWindow()
    qtbot.addWidget(w)
    assert w.features.team.open_shared(url, str(folder))
    doc = w.current_document()
    assert list(doc.order) == [1]
    other = Project.open(url)
    try:
        monkeypatch.setattr(identity, "_user", "bob")
        theirs = other.load_document(1)
        other.attach(theirs)
        bobs = MaskPatch.from_full(np.pad(np.ones((9, 9), bool), ((10, 11), (20, 11))))
        History().push(C.replace_mask(theirs, 1, bobs))
        monkeypatch.setattr(identity, "_user", "ann")
        mine = MaskPatch.from_full(np.ones((30, 40), bool))
        w.push_command(C.replace_mask(doc, 1, mine))
        qtbot.waitUntil(lambda: w.current_document().get(1) is not None
                        and w.current_document().get(1).mask.equals(bobs), timeout=3000)
        assert other.load_instances(1)[0].mask.equals(bobs)  # bob's edit stands
        said = w.statusBar().currentMessage() + " " + (w.saving.message_box.text() if w.saving.message_box else "")
        assert "changed by bob" in said and "not saved" in said
        assert not w.actions["undo"].isEnabled()
        # the fresh state is the window's base now: the next edit is saved
        w.push_command(C.replace_mask(w.current_document(), 1, mine))
        assert other.load_instances(1)[0].mask.equals(mine)
    finally:
        other.close()
        w.close()


def test_a_read_only_database_role_browses_and_every_write_is_refused_in_one_line(
        qtbot, qapp, shared, pg_server, tmp_path):
    """A role with SELECT only: the window opens the project and shows its images; an edit,
    a status change and a new category are each refused with the role's reason in a
    non-modal message - never a crash report - and the database is unchanged."""
    from PySide6.QtCore import QTimer

    from segstudio.qt import crash
    from segstudio.qt.main_window import MainWindow

    url, folder = shared
    with Project.open(url) as p:
        schema = p.location.schema
    viewer = pg_server.read_only_url("segstudio_tests", schema)
    handler = crash.install_crash_handler(qapp, tmp_path / "logs")
    w = MainWindow()
    qtbot.addWidget(w)
    try:
        assert w.features.team.open_shared(viewer, str(folder))
        assert w.session.project.read_only and w.current_image().id == 1
        assert "read-only for your database role" in w.statusBar().currentMessage()
        doc = w.current_document()
        w.push_command(C.add_instance(doc, Instance(doc.allocate_id(), 1, MaskPatch.from_full(
            np.ones((30, 40), bool)))))
        assert len(w.current_document()) == 0
        assert "may not change the project" in w.saving.message_box.text()
        w.saving.message_box.close()
        for write in (lambda: w.set_image_status("done"), lambda: w.categories_panel.add("bird")):
            QTimer.singleShot(0, write)
            qtbot.waitUntil(lambda: handler.busy_box is not None and handler.busy_box.isVisible(),
                            timeout=5000)
            assert "may not change the project" in handler.busy_box.text()
            assert "another SegStudio process" not in handler.busy_box.text()
            handler.busy_box.close()
        assert handler.dialog is None and not list((tmp_path / "logs").glob("crash-*.log"))
        assert w.images_panel.model.record(1).status == "new"
        assert w.categories_panel.list.count() == 1
        with Project.open(url) as p:
            assert p.image(1).status == "new" and [c.name for c in p.categories()] == ["cat"]
            assert p.load_instances(1) == []
        w.go_to_image(2)  # browsing still works
        assert w.current_image().id == 2
    finally:
        w.close()
        handler.uninstall()


def test_the_review_loop_from_the_team_menu(qtbot, project_dir, monkeypatch):
    """An annotator submits from the Team menu, a reviewer rejects with a comment (asked in a
    dialog), the annotator's My Queue lists the image first with that comment and opens it,
    the status bar says who rejected it and why; resubmitted and accepted, it is done.  A
    role that may not do something is told so and nothing changes."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    from segstudio.qt.main_window import MainWindow
    from segstudio.store import identity, team

    with Project.open(project_dir) as p:
        monkeypatch.setattr(identity, "_user", "mia")
        team.set_role(p, "mia", "manager")
        team.set_role(p, "ann", "annotator")
        team.set_role(p, "rex", "reviewer")
        team.assign(p, [1, 2, 3], "ann")
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _w, _t, text, *a, **k: warned.append(text))
    monkeypatch.setattr(QInputDialog, "getMultiLineText", lambda *a, **k: ("the tail is missing", True))
    w = MainWindow()
    qtbot.addWidget(w)
    assert w.open_project(project_dir)
    w.go_to_image(2)
    monkeypatch.setattr(identity, "_user", "ann")
    w.actions["team_accept"].trigger()  # an annotator may not accept
    assert warned and "needs the role" in warned[-1]
    w.actions["team_submit"].trigger()
    assert w.images_panel.model.record(1).status == "in_review"  # row 1 is image 2

    monkeypatch.setattr(identity, "_user", "rex")
    w.actions["team_reject"].trigger()
    assert w.project.image(2).status == "in_progress" and w.project.image(2).review_status == "rejected"
    assert "rejected" in w.statusBar().currentMessage()

    monkeypatch.setattr(identity, "_user", "ann")
    w.go_to_image(1)
    w.actions["team_queue"].trigger()
    listing = w.features.team.review.queue_list
    first = listing.item(0)
    assert first.data(Qt.ItemDataRole.UserRole) == 2 and "the tail is missing" in first.text()
    listing.itemActivated.emit(first)
    assert w.current_image().id == 2 and not w.features.team.review.queue_dialog.isVisible()
    assert w.statusBar().currentMessage().startswith("Rejected by rex")
    assert "the tail is missing" in w.statusBar().currentMessage()
    w.actions["team_submit"].trigger()
    monkeypatch.setattr(identity, "_user", "rex")
    w.actions["team_accept"].trigger()
    with Project.open(project_dir) as p:
        assert (p.image(2).status, p.image(2).review_status) == ("done", "accepted")
        assert [q.image_id for q in team.queue(p, "ann")] == [1, 3]
        assert [r.comment for r in [team.last_review(p, 2)]] == [""]
    w.close()


def test_segstudio_open_url_on_a_machine_new_to_the_project_asks_for_its_images(
        qtbot, shared, monkeypatch, tmp_path):
    """`segstudio open postgresql://…` where this machine has not mapped the project's image
    folder: the window asks for it (once; remembered) and opens the project - it showed an
    error telling to pass --images, which `open` does not take."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from segstudio.cli.main import main
    from segstudio.store.location import parse_database_url
    from segstudio.store.roots import mapped_root

    url, folder = shared
    monkeypatch.setenv("SEGSTUDIO_CONFIG_DIR", str(tmp_path / "a-new-machine"))
    errors, asked = [], []
    monkeypatch.setattr(QMessageBox, "critical", lambda _w, _t, text, *a, **k: errors.append(text))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda *a, **k: (asked.append(a[1] if len(a) > 1 else ""), str(folder))[1])
    shot = tmp_path / "window.png"
    assert main(["open", url, "--screenshot", str(shot)]) == 0
    assert errors == [] and len(asked) == 1 and "images" in asked[0]
    assert mapped_root(parse_database_url(url).display) == folder.resolve()
    assert shot.is_file()


def test_a_manager_assigns_from_the_team_menu_and_sees_progress_per_person(qtbot, project_dir, monkeypatch):
    """Team > Assign Images…: the image shown, or a batch of unassigned images of a status,
    to a member (an annotator may not: told in one line); Team > Progress by Person… shows
    the counts per person."""
    from PySide6.QtWidgets import QMessageBox

    from segstudio.qt.main_window import MainWindow
    from segstudio.store import identity, team

    with Project.open(project_dir) as p:
        monkeypatch.setattr(identity, "_user", "mia")
        team.set_role(p, "mia", "manager")
        team.set_role(p, "ann", "annotator")
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _w, _t, text, *a, **k: warned.append(text))
    w = MainWindow()
    qtbot.addWidget(w)
    assert w.open_project(project_dir)
    w.go_to_image(2)
    review = w.features.team.review

    w.actions["team_assign"].trigger()
    person, this, batch, status, limit, buttons = review.assign_widgets
    assert [person.itemText(k) for k in range(person.count())] == ["ann", "mia"]
    assert this.isChecked()
    person.setCurrentText("ann")
    buttons.accepted.emit()
    assert not review.assign_dialog.isVisible() and "Assigned 1 image to ann" in w.statusBar().currentMessage()

    w.actions["team_assign"].trigger()
    person, this, batch, status, limit, buttons = review.assign_widgets
    person.setCurrentText("ann")
    batch.setChecked(True)
    limit.setValue(1)
    buttons.accepted.emit()
    with Project.open(project_dir) as p:
        assert [q.image_id for q in team.queue(p, "ann")] == [1, 2]  # image 2, then the first unassigned

    monkeypatch.setattr(identity, "_user", "ann")
    w.actions["team_assign"].trigger()
    person, this, batch, status, limit, buttons = review.assign_widgets
    person.setCurrentText("ann")
    buttons.accepted.emit()
    assert warned and "this needs the role manager" in warned[-1] and review.assign_dialog.isVisible()
    review.assign_dialog.close()

    w.actions["team_progress"].trigger()
    table = review.progress_table
    rows = {table.item(r, 0).text(): [table.item(r, c).text() for c in range(1, 6)]
            for r in range(table.rowCount())}
    assert rows == {"ann": ["annotator", "2", "0", "0", "0"], "mia": ["manager", "0", "0", "0", "0"]}
    w.close()
