"""Roles, assignments, queues and reviews, on SQLite and PostgreSQL alike."""

import pytest

from segstudio.cli.main import main
from segstudio.store import identity, team


@pytest.fixture
def project(tmp_path, new_project):
    p = new_project(tmp_path / "p")
    p.add_images([(tmp_path / "p" / f"im{k}.png", 40, 30) for k in range(6)])
    return p


def as_user(monkeypatch, name):
    monkeypatch.setattr(identity, "_user", name)


def test_a_rejected_image_goes_back_to_its_annotator_with_the_comment(project, monkeypatch):
    as_user(monkeypatch, "mia")
    with pytest.raises(team.NotAllowed, match="first member must be a manager"):
        team.set_role(project, "ann", "annotator")
    team.set_role(project, "mia", "manager")
    team.set_role(project, "ann", "annotator")
    team.set_role(project, "rex", "reviewer")
    assert team.assign(project, [1, 2, 3], "ann") == 3
    with pytest.raises(team.NotAllowed, match="not a member"):
        team.assign(project, [4], "zed")
    as_user(monkeypatch, "ann")
    with pytest.raises(team.NotAllowed, match="ann is annotator here; this needs the role manager"):
        team.assign(project, [4], "ann")
    assert [q.image_id for q in team.queue(project)] == [1, 2, 3]
    project.set_status(2, "in_progress")
    team.submit(project, 1)
    assert [q.image_id for q in team.queue(project)] == [2, 3]  # in progress first
    with pytest.raises(team.NotAllowed):
        team.review(project, 1, "accepted")
    as_user(monkeypatch, "rex")
    with pytest.raises(ValueError, match="needs a comment"):
        team.review(project, 1, "rejected")
    team.review(project, 1, "rejected", "the cat's tail is missing")
    as_user(monkeypatch, "ann")
    first = team.queue(project)[0]
    assert (first.image_id, first.status, first.comment) == (1, "in_progress", "the cat's tail is missing")
    team.submit(project, 1)
    as_user(monkeypatch, "rex")
    team.review(project, 1, "accepted")
    by = project.conn.execute("SELECT status, status_by FROM images WHERE id=1").fetchone()
    assert tuple(by) == ("done", "rex")
    prog = {p.user: p for p in team.progress(project)}
    assert (prog["ann"].assigned, prog["ann"].done, prog["ann"].rejected) == (3, 1, 0)
    assert prog["rex"].role == "reviewer" and prog["rex"].assigned == 0
    reviews = project.conn.execute("SELECT decision, annotator FROM reviews ORDER BY id").fetchall()
    assert [tuple(r) for r in reviews] == [("rejected", "ann"), ("accepted", "ann")]


def test_the_team_command(project, capsys, monkeypatch):
    addr = str(project.address)
    monkeypatch.setenv("SEGSTUDIO_USER", "mia")
    assert main(["team", addr, "role", "mia", "manager"]) == 0
    assert main(["team", addr, "role", "ann", "annotator"]) == 0
    assert main(["team", addr, "assign", "ann", "--status", "new", "--limit", "4"]) == 0
    assert "assigned 4 images to ann" in capsys.readouterr().out
    assert main(["--user", "ann", "team", addr, "assign", "ann", "--image", "5"]) == 2
    assert "this needs the role manager" in capsys.readouterr().err
    identity.set_user_name(None)
    assert main(["team", addr, "progress"]) == 0
    out = capsys.readouterr().out
    assert "ann" in out and "annotator" in out and " 4 " in out


def test_the_last_manager_cannot_leave_the_members_without_one(project, monkeypatch):
    """Members without a manager could never be given roles again, while anyone could make
    themselves the 'first' manager: the last manager is neither removed nor demoted until
    someone else manages; alone, they may leave (the project has no roles again)."""
    as_user(monkeypatch, "mia")
    team.set_role(project, "mia", "manager")
    team.set_role(project, "ann", "annotator")
    for role in (None, "reviewer"):
        with pytest.raises(team.NotAllowed, match="mia is the last manager here"):
            team.set_role(project, "mia", role)
    assert team.members(project) == {"ann": "annotator", "mia": "manager"}
    team.set_role(project, "ann", "manager")
    team.set_role(project, "mia", "reviewer")  # ann manages now
    as_user(monkeypatch, "ann")
    team.set_role(project, "mia", None)
    assert team.members(project) == {"ann": "manager"}
    team.set_role(project, "ann", None)  # alone: the project has no roles again
    assert team.members(project) == {}
