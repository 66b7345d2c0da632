"""Issue 21.8: an export leaves the old dataset or the new one, whole, never stale files of the
old one: also when it is killed during the swap, and when it replaces a bigger export.

Before: re-exporting VOC into a folder that held a bigger export left the old maps beside the
new ones (re-import then failed), and a kill during the swap left the new `class_names.txt`
beside the old maps (re-import labelled cats 'horse')."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from segstudio.io import registry
from segstudio.io.atomic import StagedOutput, clean_stale
from segstudio.store import Project
from tests.unit.io.helpers import make_project


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative path -> bytes)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(dst: Path) -> list[str]:
    return sorted(p.name for p in dst.parent.iterdir() if p.name.endswith(".segstudio-tmp"))


@pytest.fixture
def two_projects(tmp_path):
    """A bigger project (5 images, cats and dogs) and a smaller one (2 images, other classes)."""
    big = make_project(tmp_path / "a", n_images=5, categories=("cat", "dog"), seed=1)
    small = make_project(tmp_path / "b", n_images=2, categories=("horse", "cat"), seed=2)
    yield big, small
    big.close()
    small.close()


def test_reexport_into_a_folder_that_held_a_bigger_export_leaves_only_the_new_one(two_projects, tmp_path):
    big, small = two_projects
    dst = tmp_path / "voc"
    registry.export("voc", big, dst, {})
    (dst / "NOTES.txt").write_text("mine")  # the user's own file in the folder
    registry.export("voc", small, dst, {})
    fresh = tmp_path / "fresh"
    registry.export("voc", small, fresh, {})
    got = snapshot(dst)
    assert got.pop("NOTES.txt") == b"mine"  # never touched
    assert got == snapshot(fresh)  # exactly the new export: no map of the old one is left
    with Project.create(tmp_path / "again") as again:
        rep = registry.import_into("voc", dst, again, {"require_images": False})
        assert rep.images == 2 and {c.name for c in again.categories()} == {"cat", "horse"}
    assert leftovers(dst) == []


def test_another_format_into_the_same_folder_keeps_the_first_one(two_projects, tmp_path):
    big, _ = two_projects
    dst = tmp_path / "out"
    registry.export("voc", big, dst, {})
    voc = snapshot(dst)
    registry.export("yolo", big, dst, {})
    after = snapshot(dst)
    assert all(after[k] == v for k, v in voc.items())  # a YOLO export removes no VOC file


KILLER = """
import os, signal, sys
import segstudio.io.atomic as atomic
from segstudio.io import registry
from segstudio.store import Project

calls = 0
real = os.replace

def replace(a, b):
    global calls
    calls += 1
    if calls == int(sys.argv[3]):
        os.kill(os.getpid(), signal.SIGKILL)  # killed with the swap half done
    return real(a, b)

atomic.os.replace = replace
with Project.open(sys.argv[1]) as p:
    registry.export("voc", p, sys.argv[2], {})
print("finished", calls)
"""


def test_a_kill_at_any_step_of_the_swap_leaves_the_old_export_whole(two_projects, tmp_path):
    big, small = two_projects
    dst = tmp_path / "voc"
    registry.export("voc", big, dst, {})
    old = snapshot(dst)
    fresh = tmp_path / "fresh"
    registry.export("voc", small, fresh, {})
    new = snapshot(fresh)
    script = tmp_path / "killer.py"
    script.write_text(textwrap.dedent(KILLER))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    def export_killed_at(k: int) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(script), str(small.root), str(dst), str(k)],
                              env=env, capture_output=True, text=True, timeout=120)

    # how many renames a whole export makes, counted on a copy of the old export
    probe = tmp_path / "probe"
    registry.export("voc", big, probe, {})
    done = subprocess.run([sys.executable, str(script), str(small.root), str(probe), "0"],
                          env=env, capture_output=True, text=True, timeout=120)
    steps = int(done.stdout.split()[-1])
    assert steps > 10  # moved aside, moved in, manifest: many steps to be killed in
    for k in sorted({1, 2, steps // 3, steps // 2, 2 * steps // 3, steps - 1, steps}):
        proc = export_killed_at(k)
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        clean_stale(dst)  # what the next export does first
        assert snapshot(dst) == old, f"killed at rename {k} of {steps}: the old export is not whole"
        assert leftovers(dst) == []
    assert export_killed_at(0).returncode == 0 and snapshot(dst) == new


def test_a_running_exports_staging_is_left_alone_and_a_dead_ones_is_removed(tmp_path):
    dst = tmp_path / "out"
    live = StagedOutput(dst)
    live.write_text("a.txt", "x")
    dead = tmp_path / ".out.deadbeef.segstudio-tmp"
    dead.mkdir()
    (dead / ".segstudio-lock").write_text("")  # nobody holds its lock: its process is gone
    (dead / "big.bin").write_bytes(b"0" * 1000)
    assert clean_stale(dst) == 1
    assert live.stage.exists() and not dead.exists()
    live.commit()
    assert (dst / "a.txt").read_text() == "x" and leftovers(dst) == []


def test_a_killed_single_file_exports_temp_file_goes_with_the_next_export(two_projects, tmp_path):
    big, _ = two_projects
    dst = tmp_path / "coco.json"
    orphan = tmp_path / ".coco.json.abc123.segstudio-tmp"
    orphan.write_bytes(b"{half")
    registry.export("coco", big, dst, {})
    assert not orphan.exists() and dst.is_file()
