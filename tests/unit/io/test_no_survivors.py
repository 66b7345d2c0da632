"""Issue 22.5: no process of ours outlives the command that started it -- not even for the
moment the fork server and the resource tracker take to notice that it has gone (they did:
the whole-process benchmark saw one alive right after a CLI import returned)."""

from __future__ import annotations

from segstudio.io import parallel
from tests.killing import Killable
from tests.unit.io.test_kills import CLI, ENV, big_coco  # noqa: F401 - the fixture


def test_a_cli_import_with_workers_leaves_nothing_running_when_it_returns(big_coco, tmp_path):  # noqa: F811
    run = Killable([*CLI, "import", "coco", str(big_coco / "coco.json"), str(tmp_path / "p"), "--create"],
                   env=ENV)
    assert run.proc.wait() == 0
    run.kill()  # already ended: only collects what it saw
    assert len(run.seen) >= 3  # the fork server, its workers and the resource tracker ran
    assert run.survivors(grace=0.0) == []  # all of them had ended when the command returned


def test_stopping_helpers_that_never_started_is_harmless():
    parallel.stop_helpers()
    parallel.stop_helpers()

