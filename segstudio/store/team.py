"""Roles in a team project: annotators, reviewers, managers.

A manager assigns images to people and sees progress per person; an annotator works through
their queue; a reviewer accepts an image (done) or rejects it with a comment, which sends it
back to the top of its annotator's queue with that comment.  Roles live in the project
(`members`); a project without members has no roles (a single user may do everything, as
before).  These are the app's rules for people; what a database role may *write* is
PostgreSQL's (a read-only role is refused every write whatever its app role).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from segstudio.store.errors import ProjectError
from segstudio.store.identity import user_name

ROLES = ("annotator", "reviewer", "manager")
DECISIONS = ("accepted", "rejected")


class NotAllowed(ProjectError):
    """The user's role in the project does not allow this."""


@dataclass(frozen=True)
class QueueItem:
    image_id: int
    path: str
    status: str
    review_status: str | None
    comment: str | None  # the last reviewer's comment, when rejected


@dataclass(frozen=True)
class Review:
    reviewer: str
    decision: str
    comment: str
    at: float


@dataclass(frozen=True)
class Progress:
    user: str
    role: str | None
    assigned: int
    done: int
    in_review: int
    rejected: int


def members(project) -> dict[str, str]:
    return dict(project.conn.execute("SELECT user_name, role FROM members ORDER BY user_name"))


def role_of(project, user: str | None = None) -> str | None:
    row = project.conn.execute("SELECT role FROM members WHERE user_name=?",
                               (user or user_name(),)).fetchone()
    return row[0] if row else None


def require(project, *roles: str) -> None:
    """Raise NotAllowed unless the current user has one of `roles` (or nobody has any role)."""
    if not project.conn.execute("SELECT 1 FROM members LIMIT 1").fetchone():
        return
    mine = role_of(project)
    if mine not in roles:
        raise NotAllowed(f"{project.address}: {user_name()} is {mine or 'not a member'} here; "
                         f"this needs the role {' or '.join(roles)}")


def set_role(project, user: str, role: str | None) -> None:
    """Give `user` a role (None: remove them).  Managers only, once the project has one; the
    first member added must be a manager."""
    if role is not None and role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {ROLES}")
    with project.transaction():
        has_manager = project.conn.execute("SELECT 1 FROM members WHERE role='manager'").fetchone()
        if has_manager:
            require(project, "manager")
        elif role != "manager":
            raise NotAllowed(f"{project.address}: the first member must be a manager "
                             f"(segstudio team PROJECT role {user_name()} manager)")
        if has_manager and role != "manager" and _is_last_manager(project, user):
            # members without a manager could never be given roles again (but anyone could
            # make themselves the "first" manager): a manager hands the role on first
            raise NotAllowed(f"{project.address}: {user} is the last manager here; make "
                             "someone else a manager first")
        if role is None:
            project.conn.execute("DELETE FROM members WHERE user_name=?", (user,))
        else:
            project.conn.execute(
                "INSERT INTO members(user_name, role, added_at) VALUES (?,?,?)"
                " ON CONFLICT(user_name) DO UPDATE SET role=excluded.role", (user, role, time.time()))


def _is_last_manager(project, user: str) -> bool:
    managers = [r[0] for r in project.conn.execute("SELECT user_name FROM members WHERE role='manager'")]
    others = project.conn.execute("SELECT 1 FROM members WHERE user_name<>? LIMIT 1", (user,)).fetchone()
    return managers == [user] and others is not None


def assign(project, image_ids, user: str | None) -> int:
    """Assign images to `user` (None: unassign); returns how many.  Managers only."""
    require(project, "manager")
    ids = [int(i) for i in image_ids]
    if user is not None and project.conn.execute("SELECT 1 FROM members LIMIT 1").fetchone() \
            and role_of(project, user) is None:
        raise NotAllowed(f"{project.address}: {user} is not a member of this project")
    with project.transaction():
        project.conn.executemany("UPDATE images SET assignee=? WHERE id=?", [(user, i) for i in ids])
    return len(ids)


def unassigned(project, status: str) -> list[int]:
    """Ids of the images with `status` that nobody is assigned, in id order."""
    rows = project.conn.execute("SELECT id FROM images WHERE status=? AND assignee IS NULL ORDER BY id",
                                (status,))
    return [int(r[0]) for r in rows]


def queue(project, user: str | None = None) -> list[QueueItem]:
    """`user`'s images to work on: rejected ones first (with the reviewer's comment), then
    those in progress, then new and pre-labelled; done and in-review images are not listed."""
    rows = project.conn.execute(
        "SELECT i.id, i.path, i.status, i.review_status,"
        " (SELECT r.comment FROM reviews r WHERE r.image_id = i.id ORDER BY r.id DESC LIMIT 1)"
        " FROM images i WHERE i.assignee=? AND i.status NOT IN ('done', 'in_review')"
        " ORDER BY CASE WHEN i.review_status='rejected' THEN 0 WHEN i.status='in_progress' THEN 1"
        " ELSE 2 END, i.id", (user or user_name(),))
    return [QueueItem(int(a), b, c, d, e if d == "rejected" else None) for a, b, c, d, e in rows]


def submit(project, image_id: int) -> None:
    """The annotator is finished: the image goes to review."""
    require(project, "annotator", "manager")
    with project.transaction(image=image_id):
        project.set_status(image_id, "in_review")
        project.set_review_status(image_id, None)


def review(project, image_id: int, decision: str, comment: str = "") -> None:
    """Accept (done) or reject (back to the annotator's queue with `comment`).  Reviewers and
    managers only; a rejection needs a comment."""
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}; expected one of {DECISIONS}")
    require(project, "reviewer", "manager")
    if decision == "rejected" and not comment.strip():
        raise ValueError("a rejection needs a comment for the annotator")
    with project.transaction(image=image_id):
        row = project.conn.execute("SELECT assignee, status_by FROM images WHERE id=?",
                                   (image_id,)).fetchone()
        if row is None:
            raise KeyError(f"no image with id {image_id}")
        annotator = row[0] or row[1]
        project.conn.execute(
            "INSERT INTO reviews(image_id, reviewer, decision, comment, annotator, created_at)"
            " VALUES (?,?,?,?,?,?)", (image_id, user_name(), decision, comment.strip(), annotator,
                                      time.time()))
        project.set_status(image_id, "done" if decision == "accepted" else "in_progress")
        project.set_review_status(image_id, decision)


def last_review(project, image_id: int) -> Review | None:
    """The image's latest review decision (who, which, the comment, when), if any."""
    row = project.conn.execute(
        "SELECT reviewer, decision, comment, created_at FROM reviews WHERE image_id=?"
        " ORDER BY id DESC LIMIT 1", (image_id,)).fetchone()
    return Review(row[0], row[1], row[2] or "", float(row[3])) if row is not None else None


def progress(project) -> list[Progress]:
    """Per person (members and assignees): images assigned, done, in review, rejected."""
    roles = members(project)
    rows = project.conn.execute(
        "SELECT assignee, COUNT(*), SUM(CASE WHEN status='done' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN status='in_review' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN review_status='rejected' AND status <> 'done' THEN 1 ELSE 0 END)"
        " FROM images WHERE assignee IS NOT NULL GROUP BY assignee").fetchall()
    counted = {r[0]: r for r in rows}
    users = sorted(set(roles) | set(counted))
    out = []
    for u in users:
        _, n, done, review_, rejected = counted.get(u, (u, 0, 0, 0, 0))
        out.append(Progress(u, roles.get(u), int(n), int(done or 0), int(review_ or 0), int(rejected or 0)))
    return out
