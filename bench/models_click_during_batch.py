"""Click-to-proposal latency in the GUI with and without a batch pre-label running.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/models_click_during_batch.py [--quick] [--no-gate]

Opens a temporary project of ~1 MP DAVIS images in the main window with the AI Assist feature.
For each of a few images, the AI click tool gets the image ready (its `set_image`: the U²-Netp
saliency seed), then a simulated user clicks one object up to --clicks times (NoC protocol
against the ground truth), sending real mouse events to the canvas; a click's latency is the
wall time from the mouse press to the document's proposal answering that click.  The same
clicks are timed twice: with the inference worker idle, then while a batch pre-label with the
built-in U²-Netp model runs over the other images (restarted whenever it ends, so it runs for
every click).  `--no-gate` lets the batch start its next image while a click computes
(the default makes it wait, see segstudio.qt.workers.ForegroundGate); `--one-thread` puts the
clicks back on the batch's thread, as before prompts had their own lane (a click then waits for
the rest of the batch run).  Printed: p50/p95 for
both, their ratio, the time to get an image ready, and batch images done.  CPU seconds and the
load average are printed because the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import cv2
import numpy as np


def pct(a: list[float], q: float) -> float:
    return float(np.percentile(a, q)) * 1000 if a else float("nan")


def to_1mp(img: np.ndarray, interp: int = cv2.INTER_AREA) -> np.ndarray:
    h, w = img.shape[:2]
    s = (1_000_000 / (h * w)) ** 0.5
    return cv2.resize(img, (round(w * s), round(h * s)), interpolation=interp)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, default=Path("/work/shared/datasets/davis345"))
    ap.add_argument("--objects", type=int, default=8, help="images clicked (one object each)")
    ap.add_argument("--clicks", type=int, default=4, help="clicks per object")
    ap.add_argument("--batch-images", type=int, default=10)
    ap.add_argument("--no-gate", action="store_true", help="the batch does not wait for clicks")
    ap.add_argument("--one-thread", action="store_true",
                    help="clicks share the batch's thread, as before the interactive lane (slow!)")
    ap.add_argument("--quick", action="store_true", help="4 objects, 3 clicks, 6 batch images")
    args = ap.parse_args()
    if args.quick:
        args.objects, args.clicks, args.batch_images = 4, 3, 6
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from gui_project import open_assist_window
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from segstudio.eval import noc
    from segstudio.qt.assist.batch import JOB, batch_job
    from segstudio.qt.assist.controller import LANE

    app = QApplication.instance() or QApplication([])
    samples = noc.find_samples(args.dataset)
    step = max(1, len(samples) // (args.objects + args.batch_images))
    picked = samples[::step][: args.objects + args.batch_images]
    tmp = Path(tempfile.mkdtemp())
    (tmp / "img").mkdir()
    gts: dict[str, np.ndarray] = {}
    for k, s in enumerate(picked):
        name = f"{k:03d}.jpg"
        cv2.imwrite(str(tmp / "img" / name), to_1mp(cv2.imread(str(s.image))))
        if k < args.objects:
            gts[name] = to_1mp(noc.load_mask(s)[0].astype(np.uint8), cv2.INTER_NEAREST) > 0
    win = open_assist_window(tmp / "img", tmp / "proj")
    project = win.project
    recs = {Path(r.path).name: r for r in project.images()}
    click_ids = [recs[n].id for n in sorted(gts)]
    batch_ids = [r.id for n, r in sorted(recs.items()) if n not in gts]
    c = win.assist.controller
    c.set_model("grabcut-interactive")
    card = next(x for x in c.cards if x.id == "u2netp-salient")
    w = win.worker
    if args.one_thread:
        w.remove_lane(LANE)

    def pump(until, limit: float = 120.0) -> bool:
        end = time.perf_counter() + limit
        while time.perf_counter() < end:
            if until():
                return True
            app.processEvents()
            time.sleep(0.001)
        return until()

    def send(kind, x: float, y: float, button, buttons) -> None:
        view = win.canvas
        pos = view.image_to_view(x, y)
        ev = QMouseEvent(kind, QPointF(pos), QPointF(view.viewport().mapToGlobal(pos.toPoint())),
                         button, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(view.viewport(), ev)

    def click(x: float, y: float, positive: bool) -> None:
        b = Qt.MouseButton.LeftButton if positive else Qt.MouseButton.RightButton
        send(QEvent.Type.MouseButtonPress, x, y, b, b)
        send(QEvent.Type.MouseButtonRelease, x, y, b, Qt.MouseButton.NoButton)

    # ---------------------------------------------------------------- the batch, looped
    batch = {"on": False, "job": None, "running": False, "done": 0, "runs": 0}

    def start_batch() -> None:
        gate = None if args.no_gate else w.gate
        batch["job"] = w.submit(JOB, partial(batch_job, Path(project.root), card, "selected", batch_ids,
                                             False, gate=gate))
        batch["running"] = True
        batch["runs"] += 1

    def on_batch_end(job_id, kind, result) -> None:
        if kind == JOB and job_id == batch["job"]:
            batch["done"] += getattr(result, "done", 0)
            batch["running"] = False
            if batch["on"]:
                start_batch()

    w.finished.connect(on_batch_end)

    # ---------------------------------------------------------------- one phase of clicks
    def phase(with_batch: bool) -> dict:
        lat, ready, dropped, during = [], [], 0, 0
        cpu0, t_phase = time.process_time(), time.perf_counter()
        if with_batch:
            batch["on"] = True
            start_batch()
        for iid, name in zip(click_ids, sorted(gts)):
            gt = gts[name]
            t = time.perf_counter()
            win.go_to_image(iid)
            c.activate_tool("ai_click")
            pump(lambda: not w.busy(LANE))  # set_image done: the image is ready for clicks
            ready.append(time.perf_counter() - t)
            doc = win.current_document()
            pred = np.zeros_like(gt)
            for k in range(args.clicks):
                nxt = noc.next_click(pred, gt)
                if nxt is None:
                    break
                during += bool(batch["running"])
                t = time.perf_counter()
                click(float(nxt[0]), float(nxt[1]), bool(nxt[2]))
                ok = pump(lambda n=k + 1, d=doc: d.proposal is not None and len(d.proposal.prompt["clicks"]) == n)
                if not ok:
                    dropped += 1
                    break
                lat.append(time.perf_counter() - t)
                pred = doc.proposal.mask.to_full()
            c.click_tool.reset()
            doc.clear_proposal()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - t_phase
        batch["on"] = False
        if batch["job"] is not None:
            w.cancel(batch["job"])  # stops after the current image and reports what it did
        pump(lambda: not w.busy(), 600.0)
        return {"lat": lat, "ready": ready, "dropped": dropped, "cpu": cpu, "wall": wall, "during": during}

    pump(lambda: False, 1.0)
    phase(False)  # warm-up: model loading, ONNX session, caches
    idle = phase(False)
    busy = phase(True)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {args.objects} objects × "
          f"≤{args.clicks} clicks at ~1 MP, built-in grabcut-interactive; batch: u2netp-salient over "
          f"{len(batch_ids)} images{' without the gate' if args.no_gate else ''}"
          f"{'; clicks on the batch thread' if args.one_thread else ''}")
    for name, r in (("worker idle", idle), ("batch running", busy)):
        print(f"{name:>14}: click-to-proposal p50 {pct(r['lat'], 50):.0f} ms, p95 {pct(r['lat'], 95):.0f} ms "
              f"({len(r['lat'])} clicks, {r['during']} with a batch image in flight or queued, "
              f"{r['dropped']} timed out); image ready p50 {pct(r['ready'], 50):.0f} ms; "
              f"CPU {r['cpu']:.1f} s in {r['wall']:.1f} s")
    print(f"ratio batch/idle: p50 {pct(busy['lat'], 50) / pct(idle['lat'], 50):.2f}, "
          f"p95 {pct(busy['lat'], 95) / pct(idle['lat'], 95):.2f}")
    print(f"batch images done during the clicks: {batch['done']} ({batch['runs']} run(s)); "
          f"{'no gate' if args.no_gate else 'gate on'}")
    win.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
