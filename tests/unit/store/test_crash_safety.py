"""SIGKILL in the middle of a burst of edits: every edit whose commit returned survives."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from segstudio.store import Project


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_killed_writer_loses_nothing_committed(tmp_path, seed):
    (tmp_path / "i").mkdir()
    cv2.imwrite(str(tmp_path / "i" / "a.png"), np.zeros((64, 64, 3), np.uint8))
    with Project.create(tmp_path / "p") as project:
        project.add_folder(tmp_path / "i")
    script = Path(__file__).with_name("crash_writer.py")
    child = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "p"), str(seed)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])},
    )
    deadline = time.monotonic() + 20
    committed = []
    want = random.Random(seed).randint(20, 200)
    while len(committed) < want and time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        committed.append(int(line))
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    committed += [int(x) for x in child.stdout.read().split()]  # printed before the kill
    assert committed, "the writer never committed"
    with Project.open(tmp_path / "p") as again:
        assert again.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {inst.id for inst in again.load_instances(1)}
    assert set(committed) <= stored
