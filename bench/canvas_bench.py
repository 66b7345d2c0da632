"""Canvas benchmark: an NxN image with K instances (default 8000x8000, 1,000).

Measures, on a 1920x1080 viewport: opening the image (decode + document + first
frame), full repaints after a pan step and after a zoom step at several zoom
levels (median, p95; steps --idle-ms apart, as a user's input leaves idle time in
which the canvas builds the tiles around the viewport), one brush dab from the mouse event
to repainted pixels, and the true peak RSS (ru_maxrss).  CPU columns: `cpu` is the GUI
thread's CPU in the repaint; `proc_cpu` is the whole process's CPU per step (every thread,
and the idle time's tile building after the step): what the machine spends.

Against LabelMe (required baseline: its canvas in a venv with labelme + PyQt5, serving
paint rounds from bench/canvas_labelme.py on the same image and polygons loaded from a
LabelMe JSON), interleaved per round: SegStudio with its tile cache (what a user sees),
SegStudio with the tile cache cleared before every frame (tiles re-blended from the image
pyramid and the label raster: work comparable to LabelMe redrawing every polygon), then
LabelMe.  Each series: min and median of the per-round medians; ratios are of medians.
A missing LabelMe venv is a FAILED line and exit code 1 (`--skip-labelme` to run without).

    .venv/bin/python bench/canvas_bench.py [--quick] [--rounds 3] [--labelme-python /tmp/labelme/venv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("SEGSTUDIO_SETTINGS", str(Path(tempfile.gettempdir()) / "segstudio-bench-settings.ini"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import benchkit  # noqa: E402
import numpy as np  # noqa: E402
from canvas_data import ensure  # noqa: E402

VIEW = (1920, 1080)


def build_project(root: Path, image: Path, polygons: list[np.ndarray]) -> None:
    from segstudio.core.image_header import read_header
    from segstudio.core.instance import Instance
    from segstudio.core.tools.shapes import polygon_mask
    from segstudio.store import Project

    if Project.is_project(root):
        return
    with Project.create(root) as p:
        head = read_header(image)
        p.add_images([(image, head.width, head.height)])  # this image only (the folder holds other sizes)
        cats = [p.add_category(f"class{k}").id for k in range(5)]
        rec = p.images()[0]
        insts = [Instance(k + 1, cats[k % 5], polygon_mask(poly, rec.shape)) for k, poly in enumerate(polygons)]
        p.replace_instances(rec.id, insts)


def stats(ms: list[float]) -> dict:
    s = sorted(ms)
    return {"median": statistics.median(s), "p95": s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))], "n": len(s)}


class PaintCounter:
    """Counts paint events reaching the viewport (to know a dab really reached the screen)."""

    def __init__(self, widget) -> None:
        from PySide6.QtCore import QEvent, QObject

        class _F(QObject):
            count = 0

            def eventFilter(self, obj, ev):  # noqa: N802 - Qt naming
                if ev.type() == QEvent.Type.Paint:
                    _F.count += 1
                return False

        self.filter = _F()
        widget.installEventFilter(self.filter)

    @property
    def count(self) -> int:
        return type(self.filter).count


def run(args) -> dict:
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from segstudio.qt.main_window import MainWindow

    folder = Path(args.data or Path(tempfile.gettempdir()) / "segstudio-canvas-bench")
    image, js, polys = ensure(folder, args.size, args.count)
    args.labelme_json = str(js)
    proj = folder / f"proj_{args.size}_{args.count}"
    t = time.perf_counter()
    build_project(proj, image, polys)
    setup_s = time.perf_counter() - t
    app = QApplication.instance() or QApplication([])
    w = MainWindow(install_features=False)
    w.resize(VIEW[0] + 700, VIEW[1] + 300)
    w.show()
    app.processEvents()
    w.canvas.setFixedSize(*VIEW)
    w.open_project(proj)  # opens the image once (warms imports and caches of the app, not of the image)
    image_id = w.current_image().id
    w.close_project()
    w.open_project(proj)
    w.close_project()
    from segstudio.app.session import Session
    from segstudio.store import Project

    w.session = Session(Project.open(proj))
    w.images_panel.set_project(w.project)
    w.categories_panel.set_project(w.project)
    w._categories_changed()
    w.stack.setCurrentWidget(w.canvas)
    app.processEvents()
    cv = w.canvas
    t, c = time.perf_counter(), time.process_time()
    w.go_to_image(image_id)
    cv.viewport().repaint()
    open_s = time.perf_counter() - t
    open_cpu = time.process_time() - c  # all threads of this process: robust to a busy machine
    full_wait = time.perf_counter()
    while w.current_image_data() is None and time.perf_counter() - full_wait < 60:
        app.processEvents()  # the full-resolution decode finishes in the background
    full_s = time.perf_counter() - t
    out: dict = {"size": args.size, "instances": len(w.current_document()), "viewport": cv.viewport().size().toTuple(),
                 "setup_s": round(setup_s, 2), "open_s (first frame)": round(open_s, 3),
                 "open_cpu_s": round(open_cpu, 3), "full_resolution_s": round(full_s, 3),
                 "load_avg_1min": round(os.getloadavg()[0], 1), "cpus": os.cpu_count()}

    cpu_ms: list[float] = []
    proc_ms: list[float] = []  # process CPU per step: repaint + the idle tile building after it

    def timed_repaint() -> float:
        t0, c0 = time.perf_counter(), time.thread_time()
        proc_ms.append(time.process_time())
        cv.viewport().repaint()
        cpu_ms.append((time.thread_time() - c0) * 1000)
        return (time.perf_counter() - t0) * 1000

    def idle(ms: float) -> None:
        """The time between two input events of a user (the app builds nearby tiles then)."""
        end = time.perf_counter() + ms / 1000
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.002)
        proc_ms[-1] = (time.process_time() - proc_ms[-1]) * 1000

    centre = QPointF(VIEW[0] / 2, VIEW[1] / 2)
    cv.fit()
    fit_zoom = cv.zoom()
    for name, zoom in (("fit", fit_zoom), ("50%", 0.5), ("100%", 1.0), ("400%", 4.0)):
        cv.set_zoom(zoom, centre)
        cv.centerOn(args.size / 2, args.size / 2)
        for _ in range(3):
            timed_repaint()
        pan = []
        for i in range(args.repeats):
            d = 60 if (i // 10) % 2 == 0 else -60
            cv.pan_by(d, d // 2)
            pan.append(timed_repaint())
            idle(args.idle_ms)
        zoom_ms = []
        for i in range(args.repeats):
            cv.set_zoom(cv.zoom() * (1.25 if i % 2 == 0 else 0.8), centre)
            zoom_ms.append(timed_repaint())
            idle(args.idle_ms)
        steps = slice(-2 * args.repeats, -args.repeats)
        out[f"pan@{name}"] = stats(pan) | {"cpu_median": round(statistics.median(cpu_ms[steps]), 2),
                                           "proc_cpu_median": round(statistics.median(proc_ms[steps]), 2)}
        out[f"zoom@{name}"] = stats(zoom_ms) | {"cpu_median": round(statistics.median(cpu_ms[-args.repeats :]), 2),
                                                "proc_cpu_median": round(statistics.median(proc_ms[-args.repeats :]), 2)}
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # the user's path
    out["paint_rounds"] = compare_with_labelme(args, app, cv, fit_zoom, centre)
    # Brush dabs: mouse move event -> tool -> update -> the paint event on the viewport.
    w.set_tool("brush")
    w.brush_spin.setValue(20)
    cv.set_zoom(1.0, centre)
    cv.centerOn(args.size / 2, args.size / 2)
    app.processEvents()
    counter = PaintCounter(cv.viewport())
    vp = cv.viewport()

    def send(kind, pos, button, buttons):
        QApplication.sendEvent(vp, QMouseEvent(kind, pos, QPointF(vp.mapToGlobal(pos.toPoint())), button, buttons, Qt.KeyboardModifier.NoModifier))

    start = QPointF(500, 500)
    send(QEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton)
    app.processEvents()
    dabs, dab_cpu, missed = [], [], 0
    for i in range(args.repeats * 3):
        pos = QPointF(500 + 3 * (i + 1), 500 + (i % 7))
        before = counter.count
        t0, c0 = time.perf_counter(), time.thread_time()
        send(QEvent.Type.MouseMove, pos, Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton)
        app.processEvents()
        dabs.append((time.perf_counter() - t0) * 1000)
        dab_cpu.append((time.thread_time() - c0) * 1000)
        missed += counter.count == before
    send(QEvent.Type.MouseButtonRelease, pos, Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton)
    t0 = time.perf_counter()
    app.processEvents()
    commit_ms = (time.perf_counter() - t0) * 1000
    w.current_history().undo()  # leave the cached benchmark project as it was
    out["brush_dab"] = stats(dabs) | {"cpu_median": round(statistics.median(dab_cpu), 2), "dabs_without_paint": missed}
    out["stroke_commit_ms"] = round(commit_ms, 2)
    out["peak_rss_mb_with_cache_cleared_rounds"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    w.close()
    return out


def compare_with_labelme(args, app, cv, fit_zoom: float, centre) -> dict:
    """Full-frame repaints at fit and 1:1, interleaved per round: ours with the tile cache,
    ours with it cleared before every frame, LabelMe.  Returns the series."""
    labelme = None
    if not args.skip_labelme and Path(args.labelme_python).exists():
        labelme = subprocess.Popen(
            [args.labelme_python, str(Path(__file__).resolve().parent / "canvas_labelme.py"), args.labelme_json],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env=os.environ | {"QT_QPA_PLATFORM": "offscreen"})
        loaded = labelme.stdout.readline()
        if not loaded:
            labelme.wait()
            labelme = None
        else:
            args.labelme_loaded = json.loads(loaded)
    series: dict[str, benchkit.Series] = {}
    cpu: dict[str, list[float]] = {}

    def add(key: str, ms: list[float], cpu_ms: list[float]) -> None:
        series.setdefault(key, benchkit.Series(key)).add(statistics.median(ms))
        cpu.setdefault(key, []).append(statistics.median(cpu_ms))

    def ours(clear: bool) -> tuple[list[float], list[float]]:
        ms, c = [], []
        for _ in range(args.paint_repeats):
            if clear:
                cv.image_layer.cache.clear()
            t, p = time.perf_counter(), time.process_time()
            cv.viewport().repaint()
            ms.append((time.perf_counter() - t) * 1000)
            c.append((time.process_time() - p) * 1000)
        return ms, c

    try:
        for _round in range(args.rounds):
            for name, zoom in (("fit", fit_zoom), ("100%", 1.0)):
                cv.set_zoom(zoom, centre)
                cv.centerOn(args.size / 2, args.size / 2)
                cv.viewport().repaint()
                add(f"segstudio cached @{name}", *ours(False))
                add(f"segstudio cache cleared @{name}", *ours(True))
                if labelme is not None:
                    labelme.stdin.write(f"paint {zoom} {args.paint_repeats}\n")
                    labelme.stdin.flush()
                    got = json.loads(labelme.stdout.readline())
                    add(f"labelme @{name}", got["ms"], got["cpu_ms"])
    finally:
        if labelme is not None:
            labelme.stdin.write("quit\n")
            labelme.stdin.close()
            labelme.wait(30)
    return {"series": series, "cpu": cpu, "labelme": labelme is not None}


def report_rounds(rounds: dict, verdicts: benchkit.Verdicts, args) -> None:
    series, cpu = rounds["series"], rounds["cpu"]
    print(f"\nFull-frame repaints, {args.rounds} interleaved rounds of {args.paint_repeats} "
          f"(per-round median; min and median over rounds), {benchkit.load()}")
    for key, s in series.items():
        print(f"  {key:<34} {s.text(' ms')}  process CPU median {statistics.median(cpu[key]):.2f} ms")
    if not rounds["labelme"]:
        if args.skip_labelme:
            print("  LabelMe baseline skipped (--skip-labelme)")
        else:
            verdicts.missing("LabelMe canvas", f"no labelme venv at {args.labelme_python}: "
                             "python3 -m venv /tmp/labelme/venv && /tmp/labelme/venv/bin/pip install labelme")
        return
    for name in ("fit", "100%"):
        lm = series[f"labelme @{name}"]
        for kind in ("cached", "cache cleared"):
            ours = series[f"segstudio {kind} @{name}"]
            print(f"  ratio LabelMe / SegStudio ({kind}) @{name}: {benchkit.ratio(lm, ours):.1f}x (medians)")
        verdicts.goal(benchkit.ratio(lm, series[f"segstudio cached @{name}"]) >= 5,
                      f"SegStudio >= 5x LabelMe @{name} (as the user sees it; the cache-cleared ratio above "
                      "is the equal-work comparison)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=8000)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=40)
    ap.add_argument("--quick", action="store_true", help="4000 px, 300 instances, fewer repeats")
    ap.add_argument("--idle-ms", type=float, default=50.0, help="idle time between pan/zoom steps (0: back to back)")
    ap.add_argument("--data", help="folder for the generated image/JSON/project (cached between runs)")
    ap.add_argument("--labelme-python", default="/tmp/labelme/venv/bin/python",
                    help="python of a venv with labelme installed (PyQt5); required unless --skip-labelme")
    ap.add_argument("--skip-labelme", action="store_true", help="run without the LabelMe baseline")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the LabelMe comparison")
    ap.add_argument("--paint-repeats", type=int, default=10, help="repaints per series and round (LabelMe's take seconds)")
    ap.add_argument("--json", action="store_true", help="print raw JSON only")
    args = ap.parse_args()
    if args.quick:
        args.size, args.count, args.repeats = 4000, 300, 15
    verdicts = benchkit.Verdicts()
    res = run(args)
    rounds = res.pop("paint_rounds")
    if getattr(args, "labelme_loaded", None):
        res["labelme_load_s"] = args.labelme_loaded["labelme_load_s"]
    if args.json:
        res["rounds"] = {k: {"values": s.values, "loads": s.loads} for k, s in rounds["series"].items()}
        print(json.dumps(res))
        return 0
    print(f"canvas benchmark, {benchkit.load()}")
    for k, v in res.items():
        if isinstance(v, dict) and "median" in v:
            extra = {kk: vv for kk, vv in v.items() if kk not in ("median", "p95", "n")}
            print(f"{k:>28}: median {v['median']:7.2f} ms   p95 {v['p95']:7.2f} ms   (n={v['n']}) {extra or ''}")
        else:
            print(f"{k:>28}: {v}")
    report_rounds(rounds, verdicts, args)
    return verdicts.exit_code()


if __name__ == "__main__":
    sys.exit(main())
