"""Team > Members and Roles… on a shared (PostgreSQL) project, through real clicks and keys:
a manager adds the first manager (themselves), adds members, changes a role by choosing the
row, removes someone, and may not demote the last manager; a non-manager is told in one line
and gets no dialog.  Every change is read back through a second connection."""

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt

from segstudio.store import Project, identity, team


@pytest.fixture
def shared(tmp_path, pg_url):
    folder = tmp_path / "images"
    folder.mkdir()
    for n in ("a", "b"):
        cv2.imwrite(str(folder / f"{n}.png"), np.full((30, 40, 3), 90, np.uint8))
    with Project.create(pg_url, image_root=folder) as p:
        p.add_folder(folder)
    return pg_url, folder


def _click_row(qtbot, table, user):
    for r in range(table.rowCount()):
        if table.item(r, 0).text() == user:
            rect = table.visualItemRect(table.item(r, 0))
            qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            return
    raise AssertionError(f"{user} is not listed")


def _listed(table):
    return {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}


def _choose(qtbot, combo, text):
    """Pick `text` in a closed combo box with the keyboard (Home, then Down)."""
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.findText(text)):
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText() == text


def _add(qtbot, dialog, user, role):
    dialog.person.clear()
    qtbot.keyClicks(dialog.person, user)
    _choose(qtbot, dialog.role, role)
    qtbot.mouseClick(dialog.set_button, Qt.MouseButton.LeftButton)


def test_a_manager_gives_roles_from_the_team_menu(qtbot, shared, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from segstudio.qt.main_window import MainWindow

    url, folder = shared
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _w, _t, text, *a, **k: warned.append(text))
    monkeypatch.setattr(identity, "_user", "mia")
    w = MainWindow()
    qtbot.addWidget(w)
    other = Project.open(url)
    try:
        assert w.features.team.open_shared(url, str(folder))
        # nobody has a role yet: mia is offered as the first manager, one click makes it so
        w.actions["team_members"].trigger()
        dialog = w.features.team.review.members_dialog
        assert dialog is not None and dialog.isVisible() and dialog.table.rowCount() == 0
        assert "Nobody has a role here yet" in dialog.summary.text()
        assert (dialog.person.text(), dialog.role.currentText()) == ("mia", "manager")
        qtbot.mouseClick(dialog.set_button, Qt.MouseButton.LeftButton)
        assert team.members(other) == {"mia": "manager"}

        _add(qtbot, dialog, "ann", "annotator")
        dialog.person.clear()
        qtbot.keyClicks(dialog.person, "rex")
        _choose(qtbot, dialog.role, "reviewer")
        calls = []
        real_set_role = team.set_role
        monkeypatch.setattr(team, "set_role", lambda *a: (calls.append(a[1:]), real_set_role(*a))[1])
        dialog.person.setFocus()
        qtbot.keyClick(dialog.person, Qt.Key.Key_Return)  # Enter adds, once
        assert calls == [("rex", "reviewer")]
        monkeypatch.setattr(team, "set_role", real_set_role)
        assert warned == []
        assert _listed(dialog.table) == {"ann": "annotator", "mia": "manager", "rex": "reviewer"}
        assert team.members(other) == _listed(dialog.table)
        assert "you are mia (manager)" in dialog.summary.text()
        assert "rex is reviewer now" in w.statusBar().currentMessage()

        # choosing a row fills the fields; a new role and a click change it
        _click_row(qtbot, dialog.table, "ann")
        assert (dialog.person.text(), dialog.role.currentText()) == ("ann", "annotator")
        _choose(qtbot, dialog.role, "reviewer")
        qtbot.mouseClick(dialog.set_button, Qt.MouseButton.LeftButton)
        assert team.role_of(other, "ann") == "reviewer" and _listed(dialog.table)["ann"] == "reviewer"

        _click_row(qtbot, dialog.table, "rex")
        qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
        assert team.members(other) == {"ann": "reviewer", "mia": "manager"}
        assert "rex" not in _listed(dialog.table)

        # the last manager stays one, and removing a non-member or nobody is refused plainly
        _click_row(qtbot, dialog.table, "mia")
        _choose(qtbot, dialog.role, "annotator")
        qtbot.mouseClick(dialog.set_button, Qt.MouseButton.LeftButton)
        assert "mia is the last manager here" in warned[-1]
        dialog.person.clear()
        qtbot.keyClicks(dialog.person, "zed")
        qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
        assert warned[-1] == "zed is not a member of this project."
        dialog.person.clear()
        qtbot.mouseClick(dialog.set_button, Qt.MouseButton.LeftButton)
        assert warned[-1].startswith("Whom?")
        assert team.members(other) == {"ann": "reviewer", "mia": "manager"}
        assert dialog.isVisible()  # a refusal keeps the dialog for the next try
        dialog.close()

        # a reviewer is told in one line, and gets no dialog
        monkeypatch.setattr(identity, "_user", "ann")
        n = len(warned)
        w.actions["team_members"].trigger()
        assert w.features.team.review.members_dialog is None
        assert warned[n:] == ["Only managers may give people roles here; you (ann) are reviewer."]
        assert team.members(other) == {"ann": "reviewer", "mia": "manager"}
    finally:
        other.close()
        w.close()
