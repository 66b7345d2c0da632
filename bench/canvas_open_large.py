"""Opening a big PNG / TIFF in the window: how long the GUI thread stalls.

For each format, one NxN image (default 8000, photo-like) in a fresh project:
- baseline: `load_image` alone, timed in the same run (what opening used to block the window for);
- `go_to_image` until it returns and the first frame is painted (the stall when opening);
- the longest gap between ticks of a 5 ms timer while the full image decodes on the I/O pool;
- the GUI-thread time of handing the decoded image to the canvas, and the time until it shows.

    .venv/bin/python bench/canvas_open_large.py [--size 8000] [--formats png,tif]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("SEGSTUDIO_SETTINGS", str(Path(tempfile.gettempdir()) / "segstudio-bench-settings.ini"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402
from canvas_data import make_image  # noqa: E402


def measure(window, app, image_id: int) -> dict:
    from PySide6.QtCore import QTimer

    gaps: list[float] = []
    last = [0.0]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    handler_s: list[float] = []
    show = window._show_pixels

    def timed(*args, **kwargs) -> None:  # the hand-over: display conversion + canvas pyramid
        t = time.perf_counter()
        show(*args, **kwargs)
        if window.current_image_data() is not None:
            handler_s.append(time.perf_counter() - t)

    window._show_pixels = timed
    t0 = time.perf_counter()
    window.go_to_image(image_id)
    window.canvas.viewport().repaint()
    open_s = time.perf_counter() - t0
    timer = QTimer()
    timer.timeout.connect(tick)
    last[0] = time.perf_counter()
    timer.start(5)
    while window.current_image_data() is None and time.perf_counter() - t0 < 120:
        app.processEvents()
        time.sleep(0.001)
    window.canvas.viewport().repaint()
    shown_s = time.perf_counter() - t0
    timer.stop()
    del window._show_pixels
    return {"open": open_s, "gap": max(gaps, default=0.0), "handler": max(handler_s, default=0.0),
            "shown": shown_s}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=8000)
    ap.add_argument("--formats", default="png,tif")
    args = ap.parse_args()

    from PySide6.QtWidgets import QApplication

    from segstudio.app.session import Session
    from segstudio.io.images import load_image
    from segstudio.qt.main_window import MainWindow
    from segstudio.store import Project

    app = QApplication.instance() or QApplication([])
    print(f"{args.size}x{args.size} image; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        for ext in args.formats.split(","):
            folder = root / ext / "img"
            folder.mkdir(parents=True)
            jpg = root / ext / "src.jpg"
            make_image(jpg, args.size)
            cv2.imwrite(str(folder / f"big.{ext}"), cv2.imread(str(jpg)))
            with Project.create(root / ext / "proj") as p:
                p.add_folder(folder)
                image_id = p.images()[0].id
            t = time.perf_counter()
            load_image(folder / f"big.{ext}")
            decode_s = time.perf_counter() - t
            w = MainWindow(install_features=False)
            w.resize(1600, 1000)
            w.show()
            app.processEvents()
            w.open_project(root / ext / "proj")  # opens the image (warms caches); measured below
            while w.current_image_data() is None:
                app.processEvents()
            w.close_project()
            w.session = Session(Project.open(root / ext / "proj"))  # a cold session: nothing prefetched
            w.images_panel.set_project(w.project)
            w.stack.setCurrentWidget(w.canvas)
            r = measure(w, app, image_id)
            print(f"{ext.upper()}: decode alone (the old stall) {decode_s * 1000:.0f} ms | window stalled "
                  f"{r['open'] * 1000:.0f} ms opening, longest gap while decoding {r['gap'] * 1000:.0f} ms, "
                  f"hand-over to the canvas {r['handler'] * 1000:.1f} ms; full image shown after "
                  f"{r['shown'] * 1000:.0f} ms | ratio stall / old stall {max(r['open'], r['gap'], r['handler']) / decode_s:.2f}")
            w.close_project()
            w.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
