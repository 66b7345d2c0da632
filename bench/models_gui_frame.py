"""Longest GUI frame while a model runs: the event loop must stay responsive (goal <= 50 ms).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/models_gui_frame.py [--quick]

Opens a temporary project of ~1 MP images in the main window with the AI Assist feature, then
(1) runs a batch pre-label with the built-in salient model on the inference worker and
(2) fires AI clicks with the built-in interactive model, while a 2 ms timer measures the gaps
between event-loop turns.  The longest gap is the longest frame the user could see.  The same
measurement with the worker idle is printed as the baseline of this machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, default=Path("/work/shared/datasets/davis345/img"))
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 4 if args.quick else args.images
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from gui_project import open_assist_window
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication


    app = QApplication.instance() or QApplication([])
    tmp = Path(tempfile.mkdtemp())
    (tmp / "img").mkdir()
    srcs = sorted(args.dataset.iterdir())[:: 40][:n]
    for p in srcs:
        im = cv2.imread(str(p))
        h, w = im.shape[:2]
        s = (1_000_000 / (h * w)) ** 0.5
        cv2.imwrite(str(tmp / "img" / (p.stem + ".jpg")), cv2.resize(im, (round(w * s), round(h * s))))
    win = open_assist_window(tmp / "img", tmp / "proj")
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    stamps: list[tuple[float, float]] = []

    def tick():
        now = clock.elapsed()
        gaps.append(now - last[0])
        stamps.append((now - last[0], now))
        last[0] = now

    timer = QTimer()
    timer.setInterval(2)
    timer.timeout.connect(tick)

    def pump(seconds: float, until=None) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end and not (until and until()):
            app.processEvents()
            time.sleep(0.001)

    pump(1.0)
    timer.start()
    last[0] = clock.elapsed()
    pump(2.0)
    idle = max(gaps) if gaps else 0.0
    gaps.clear()
    dlg = win.assist.show_batch()
    dlg.scope_buttons["all"].setChecked(True)
    dlg.model.setCurrentIndex(max(0, dlg.model.findData("u2netp-salient")))
    last[0] = clock.elapsed()
    done_at: list[float] = []
    win.worker.finished.connect(lambda *a: done_at.append(clock.elapsed()))
    stamps.clear()
    dlg.start()
    pump(600, lambda: dlg.job_id is None)
    pump(1.0)
    batch_gap = max(gaps) if gaps else 0.0
    worst = max(stamps) if stamps else (0.0, 0.0)
    where = f"{worst[1] - done_at[-1]:+.0f} ms from the batch's end" if done_at else ""
    batch_info = dlg.info.text()
    t = time.perf_counter()
    win.reload_document()
    win.refresh_image_list()
    reload_ms = (time.perf_counter() - t) * 1000
    gaps.clear()
    c = win.assist.controller
    c.set_model("grabcut-interactive")
    c.activate_tool("ai_click")
    doc = win.current_document()
    h, w = doc.image_shape
    last[0] = clock.elapsed()
    for k in range(6):
        c.click_tool.clicks.append(__import__("segstudio.inference.base", fromlist=["Click"]).Click(
            w / 2 + 10 * k, h / 2, True))
        c.click_tool._send()
        pump(60, lambda: not win.worker.busy())
    click_gap = max(gaps) if gaps else 0.0
    timer.stop()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"longest GUI frame, worker idle: {idle:.0f} ms")
    print(f"longest GUI frame during batch pre-label of {n} images: {batch_gap:.0f} ms, {where} ({batch_info})")
    print(f"longest GUI frame during 6 AI clicks: {click_gap:.0f} ms")
    print(f"(the window's reload_document + refresh_image_list after a batch: {reload_ms:.0f} ms)")
    win.worker.wait(60000)
    win.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
