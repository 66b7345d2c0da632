"""The image-status rule, written once.

An image is `new` until something labels it.  A pre-label makes a `new` image `prelabelled`;
an edit by a person (drawing, accepting a proposal, an import of labels, a video edit) makes a
`new` or `prelabelled` image `in_progress`.  Neither ever demotes human work: an image that is
`in_progress`, `in_review` or `done` keeps its status until a person sets another one.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from segstudio.store.project import Project

STATUSES = ("new", "prelabelled", "in_progress", "in_review", "done")
UNWORKED = ("new", "prelabelled")  # nobody has worked on the image yet
_UNWORKED_SQL = "status IN ('new', 'prelabelled')"


def is_unworked(status: str) -> bool:
    return status in UNWORKED


def after_edit(status: str) -> str:
    """The status an image has after a person's edit."""
    return "in_progress" if status in UNWORKED else status


def after_prelabel(status: str) -> str:
    """The status an image has after a model pre-labelled it."""
    return "prelabelled" if status in UNWORKED else status


def check_status(status: str) -> str:
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; expected one of {STATUSES}")
    return status


def mark_edited(project: Project, image_ids: Iterable[int], now: float | None = None) -> None:
    """Apply `after_edit` to the images in the database (inside the caller's transaction)."""
    _mark(project, image_ids, "in_progress", now)


def mark_prelabelled(project: Project, image_ids: Iterable[int], now: float | None = None) -> None:
    """Apply `after_prelabel` to the images in the database (inside the caller's transaction)."""
    _mark(project, image_ids, "prelabelled", now)


def _mark(project: Project, image_ids: Iterable[int], status: str, now: float | None) -> None:
    from segstudio.store.identity import user_name

    stamp = time.time() if now is None else now
    who = user_name()
    rows = [(status, stamp, who, stamp, int(i)) for i in image_ids]
    if rows:
        sql = f"UPDATE images SET status=?, updated_at=?, status_by=?, status_at=? WHERE id=? AND {_UNWORKED_SQL}"
        with project.transaction() as c:
            if len(rows) == 1:  # a gesture's: PostgreSQL sends it with the COMMIT (no round trip)
                project.write_later(sql, rows[0])
            else:
                c.executemany(sql, rows)
