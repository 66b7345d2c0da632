"""How long quitting takes: from the quit request (the window's close, as Ctrl+Q does) to the end
of the process, for SegStudio on the sample project idle, and while a pre-label runs, against a
bare PySide6 window (the baseline: Qt's and Python's own exit).  Runs interleaved, offscreen.

    .venv/bin/python bench/gui_quit.py [--runs 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import os, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
case = sys.argv[1]
if case == "bare":
    w = QMainWindow(); w.resize(1200, 700); w.show()
else:
    from segstudio.qt.app import _prelabel_fresh_sample
    from segstudio.qt.main_window import MainWindow
    from segstudio.store.sample import ensure_sample_project
    w = MainWindow(); w.resize(1366, 768); w.show()
    w.open_project(ensure_sample_project())
    if case == "prelabelling":
        QTimer.singleShot(200, lambda: _prelabel_fresh_sample(w))
def quit_now():
    print(f"QUIT {time.time():.6f}", flush=True)
    w.close()
    app.quit()
QTimer.singleShot(int(float(sys.argv[2]) * 1000), quit_now)
app.exec()
"""


def one(case: str, wait: float) -> float:
    data = tempfile.mkdtemp(prefix="segstudio-quit-")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SEGSTUDIO_DATA_DIR=data,
               SEGSTUDIO_SETTINGS=str(Path(data) / "settings.ini"),
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", CHILD, case, str(wait)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    quit_at = None
    for line in proc.stdout:
        if line.startswith("QUIT "):
            quit_at = float(line.split()[1])
    proc.wait()
    end = time.time()
    if quit_at is None:
        raise RuntimeError(f"{case}: the child printed no quit time (exit {proc.returncode})")
    return end - quit_at


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=4)
    args = ap.parse_args()
    cases = {"bare": 2.0, "idle": 4.0, "prelabelling": 3.0}  # seconds before quitting
    times: dict[str, list[float]] = {c: [] for c in cases}
    for _ in range(args.runs):  # interleaved: A, B, C, A, B, C ...
        for case, wait in cases.items():
            times[case].append(one(case, wait))
    base = statistics.median(times["bare"])
    load = os.getloadavg()[0]
    for case, ts in times.items():
        print(f"{case:13s} quit-to-exit median {statistics.median(ts):.2f} s (max {max(ts):.2f}); "
              f"x{statistics.median(ts) / base:.1f} vs a bare PySide6 window; load {load:.1f}")


if __name__ == "__main__":
    main()
