"""Print the main window's minimum size in every task mode (and with every panel open).

    python scripts/min_sizes.py [--sample]        # offscreen unless DISPLAY/QT_QPA_PLATFORM say otherwise

The minimum size is what the window manager gets as the window's smallest size: on a screen
smaller than it, part of the window is cut off.  The goal is <= 1280x720 in every mode
(docs/decisions/gui-task-modes.md).  Windows without task modes (older versions) are measured
with each dock shown in turn, as a person opening that panel from the View menu would.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path


def measure(sample: bool) -> list[tuple[str, int, int]]:
    from PySide6.QtWidgets import QApplication, QDockWidget

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from segstudio.qt.main_window import MainWindow
    from segstudio.store.sample import ensure_sample_project

    w = MainWindow()
    w.resize(1366, 768)
    w.show()
    if sample:
        w.open_project(ensure_sample_project())
    app.processEvents()

    def size() -> tuple[int, int]:
        for _ in range(3):
            app.processEvents()
        s = w.minimumSizeHint().expandedTo(w.minimumSize())
        return s.width(), s.height()

    rows = [("as opened", *size())]
    modes = getattr(w, "modes", None)
    if modes is not None:
        for key in modes:
            modes.activate(key)
            rows.append((f"mode {key}", *size()))
            for dock in modes.docks_of(key):
                if not dock.isVisible():
                    dock.toggleViewAction().trigger()
            rows.append((f"mode {key}, all its panels", *size()))
    else:
        docks = w.findChildren(QDockWidget)
        shown = {d for d in docks if d.isVisible()}
        for dock in docks:
            if dock not in shown:
                dock.show()
                dock.raise_()
                rows.append((f"+ {dock.windowTitle()}", *size()))
                dock.hide()
    for dock in w.findChildren(QDockWidget):
        if not dock.isVisible():  # as from View > Panels
            dock.toggleViewAction().trigger()
    rows.append(("every panel open", *size()))
    w.close()
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", action="store_true", help="open the sample project first")
    args = ap.parse_args()
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("SEGSTUDIO_SETTINGS", str(Path(tempfile.mkdtemp()) / "settings.ini"))
    rows = measure(args.sample)
    print(f"{'layout':38s} min width x height   fits 1280x720")
    for name, mw, mh in rows:
        print(f"{name:38s} {mw:5d} x {mh:<5d}         {'yes' if mw <= 1280 and mh <= 720 else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
