"""The image-status rule, written once (store.status): a pre-label makes an unworked image
prelabelled, a person's edit makes it in progress, and neither demotes human work."""

from __future__ import annotations

import numpy as np
import pytest

from segstudio.core import commands
from segstudio.core.history import History
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.store import Project
from segstudio.store.status import (
    STATUSES,
    after_edit,
    after_prelabel,
    mark_edited,
    mark_prelabelled,
)

EDIT = {"new": "in_progress", "prelabelled": "in_progress", "in_progress": "in_progress",
        "in_review": "in_review", "done": "done"}
PRELABEL = {"new": "prelabelled", "prelabelled": "prelabelled", "in_progress": "in_progress",
            "in_review": "in_review", "done": "done"}


@pytest.fixture
def project(tmp_path, new_project):  # SQLite and PostgreSQL: one rule, written once for both
    p = new_project(tmp_path / "p")
    p.add_images((tmp_path / "p" / f"{s}.png", 8, 8) for s in STATUSES)
    for rec, status in zip(p.images(), STATUSES):
        p.set_status(rec.id, status)
    p.add_category("cat")
    return p


def _statuses(project: Project) -> dict[str, str]:
    return {r.path.rsplit("/", 1)[-1][:-4]: r.status for r in project.images()}


def test_the_rule():
    assert {s: after_edit(s) for s in STATUSES} == EDIT
    assert {s: after_prelabel(s) for s in STATUSES} == PRELABEL


@pytest.mark.parametrize(("mark", "expected"), [(mark_edited, EDIT), (mark_prelabelled, PRELABEL)])
def test_the_database_follows_the_rule(project, mark, expected):
    mark(project, project.image_ids())
    assert _statuses(project) == expected


@pytest.mark.parametrize(("kind", "expected"), [("edit", EDIT), ("prelabel", PRELABEL)])
def test_a_documents_command_kind_decides(project, kind, expected):
    for rec in project.images():
        doc = project.load_document(rec.id)
        persister = project.attach(doc)
        mask = MaskPatch.from_full(np.eye(8, dtype=bool))
        History().push(commands.edit_instances(doc, "x", {1: Instance(1, 1, mask, "model")}, kind=kind))
        persister.detach()
    assert _statuses(project) == expected
