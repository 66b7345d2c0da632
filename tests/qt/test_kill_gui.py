"""Kill test (issue 21.7): the window SIGKILLed mid-stroke.  A child process opens a project in
the main window (offscreen) and draws brush strokes through real mouse events, printing the
count after each stroke's release returns; it is killed at a random moment, often inside a
stroke.  Afterwards the database passes its integrity check and holds every stroke that was
reported done (at most the gesture in flight more), and the child left no process behind."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import textwrap

from segstudio.store import Project
from tests.killing import Killable

PAINTER = """
import sys
from PySide6.QtWidgets import QApplication
from segstudio.qt.main_window import MainWindow
from tests.qt.conftest import move, press, release

app = QApplication(sys.argv[:1])
w = MainWindow(install_features=False)
w.resize(900, 700)
w.show()
w.open_project(sys.argv[1])
w.canvas.set_zoom(4.0)
w.canvas.centerOn(40, 30)
w.set_tool("brush")
w.brush_spin.setValue(3)
done = 0
while True:
    y = 5 + (done % 50)
    press(w.canvas, 5, y)
    for x in range(6, 70, 4):
        move(w.canvas, x, y)
        app.processEvents()
    release(w.canvas, 70, y)
    done += 1
    print(done, flush=True)  # this stroke's release has returned
"""


def test_the_window_killed_mid_stroke_keeps_every_finished_stroke(project_dir, tmp_path):
    script = tmp_path / "painter.py"
    script.write_text(textwrap.dedent(PAINTER))
    with Project.open(project_dir) as p:
        image_id = p.first_image_id()
    rng = random.Random(11)
    for _ in range(2):
        with Project.open(project_dir) as p:
            before = len(p.load_instances(image_id))
        run = Killable([sys.executable, str(script), str(project_dir)],
                       env={"QT_QPA_PLATFORM": "offscreen"}, stdout=subprocess.PIPE, text=True)
        reported = 0
        target = rng.randint(3, 12)
        while reported < target:
            line = run.proc.stdout.readline()
            assert line, "the painter ended early"
            reported = int(line)
        run.wait_for(lambda: False, timeout=rng.uniform(0.0, 0.3))  # somewhere in the next stroke
        run.kill()
        reported = max([reported, *(int(x) for x in run.proc.stdout.read().split())])
        assert run.survivors() == []
        conn = sqlite3.connect(project_dir / "segstudio.db")
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
        with Project.open(project_dir) as p:
            stored = len(p.load_instances(image_id)) - before
        assert reported <= stored <= reported + 1  # every finished stroke; at most one more
