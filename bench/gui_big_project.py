"""Big projects in the real window (issue 22, item 1): process start to the first frame, peak
RSS, and the image list's frame times while scrolling, filtering and changing statuses.

Each opening is a fresh interpreter that runs the app's own `run_app(PATH)` (every feature
installed, the dark theme, the crash handler): nothing of the start-up path is re-implemented.
A probe in that process watches paint events; the *first frame* is the moment both the image
list and the canvas (with the first image) have been painted, measured from the parent's
spawn, so interpreter start and imports count.  Peak RSS is the kernel's high-water mark
(ru_maxrss) of that process at the first frame and at the end.

Projects (generated in a temporary folder): N image records (default 100,000 and 1,000,000)
whose first 40 point at real JPEGs, 5 statuses, one instance of category A on every 10th image.
Baseline in the same run, interleaved (big, small, big, small, ...): the same app opening a
40-image project; the ratio of medians says what the extra images cost.

Frame times (in the big project's window, after the first frame), each a synchronous repaint
of the list: wheel steps, page steps, random jumps across the whole list, and status changes
(`window.set_image_status`).  Baseline in the same process and rounds: a QListWidget of 1,000
items (Qt's all-in-memory list) scrolled the same way.  Filters (status, category, typed
search) run on a background thread: reported as the longest GUI stall while the query runs
(each `processEvents` call timed) and the time until the rows are shown.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui_big_project.py [--images 100000 1000000]
        [--rounds 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchkit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REAL = 40
DAVIS = Path("/work/shared/datasets/davis345/img")
FRAME_MS, OPEN_S, RSS_MB = 16.0, 1.0, 300.0  # the goals


def make_project(root: Path, n: int, images: list[Path]) -> None:
    from segstudio.store import Project

    with Project.create(root) as project:
        cat_a = project.add_category("A").id
        project.add_category("B")
        (root / "real").mkdir()
        real = []
        for k in range(min(REAL, n)):
            dst = root / "real" / f"r{k:03d}{images[k % len(images)].suffix}"
            shutil.copyfile(images[k % len(images)], dst)
            real.append(dst)
        project.add_images((p, 854, 480) for p in real)
        now = time.time()
        statuses = ["new", "prelabelled", "in_progress", "in_review", "done"]
        with project.transaction() as c:
            c.executemany(
                "INSERT INTO images(path, width, height, status, added_at, updated_at) VALUES (?,?,?,?,?,?)",
                ((f"images/{i // 1000:04d}/img_{i:07d}.jpg", 1024, 768, statuses[i % 5], now, now)
                 for i in range(n - len(real))),
            )
            c.executemany(
                "INSERT INTO instances(image_id, id, category_id, rle, y0, x0, h, w, bbox_x, bbox_y, bbox_w, "
                "bbox_h, area, z, source) VALUES (?, 1, ?, '', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'manual')",
                ((i, cat_a) for i in range(1, n + 1, 10)),
            )


def source_images() -> list[Path]:
    if DAVIS.is_dir():
        found = sorted(DAVIS.glob("*.jpg"))[:REAL]
        if found:
            return found
    import cv2
    import numpy as np

    out = Path(tempfile.mkdtemp(prefix="segstudio-bigimg-"))
    rng = np.random.default_rng(0)
    paths = []
    for k in range(8):
        img = rng.integers(0, 255, (480, 854, 3), dtype=np.uint8)
        cv2.circle(img, (427, 240), 150, (40, 200, 90), -1)
        p = out / f"s{k}.jpg"
        cv2.imwrite(str(p), img)
        paths.append(p)
    return paths


# ----------------------------------------------------------------------------- the probe
PROBE = r"""
import json, os, random, resource, sys, time
spawn_ns, mode = int(sys.argv[2]), sys.argv[3]
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QListWidget, QListWidgetItem

app = QApplication.instance() or QApplication(sys.argv[:1])
out = {}

def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def ms(t0):
    return (time.perf_counter() - t0) * 1000

def window():
    from segstudio.qt.main_window import MainWindow
    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)), None)

def scroll_frames(view, steps, seed, cpu=None):
    # one frame = move the scroll bar + a synchronous repaint of the list
    sb, rng, times = view.verticalScrollBar(), random.Random(seed), []
    sb.setValue(0); view.viewport().repaint()
    for kind in ("wheel", "page", "jump"):
        for _ in range(steps):
            v = {"wheel": sb.value() + 3, "page": sb.value() + sb.pageStep(),
                 "jump": rng.randrange(sb.maximum() + 1)}[kind]
            t0, c0 = time.perf_counter(), time.thread_time()
            sb.setValue(min(v, sb.maximum()))
            view.viewport().repaint()
            times.append(ms(t0))
            if cpu is not None:
                cpu.append((time.thread_time() - c0) * 1000)
    return times

CPU = {"worst": 0.0}  # the GUI thread's own CPU in its longest pass (wall minus time descheduled)

def gui_pass(fn):
    t0, c0 = time.perf_counter(), time.thread_time()
    fn()
    CPU["worst"] = max(CPU["worst"], (time.thread_time() - c0) * 1000)
    return ms(t0)

def wait_query(panel):
    # the filter runs on a thread: time each event-loop pass (the GUI's frames) until it is shown
    t0, worst = time.perf_counter(), 0.0
    while panel.query_pending:
        worst = max(worst, gui_pass(app.processEvents))
        time.sleep(0.001)
    worst = max(worst, gui_pass(panel.list.viewport().repaint))
    return ms(t0), worst

def measure():
    w = window()
    panel, view = w.images_panel, w.images_panel.list
    out["first_frame_rss_mb"] = out.get("first_frame_rss_mb", rss_mb())
    while panel.query_pending:  # the counts
        app.processEvents(); time.sleep(0.001)
    out["rows"] = panel.count()
    base = QListWidget(); base.setUniformItemSizes(True); base.resize(view.size()); base.show()
    icon = view.model().data(view.model().index(0), 1)
    for i in range(1000):
        base.addItem(QListWidgetItem(icon, f"img_{i:07d}.jpg"))
    app.processEvents()
    out["scroll"], out["scroll_base"], out["scroll_cpu"], out["status_cpu"] = [], [], [], []
    for r in range(3):  # interleaved: ours, Qt's list, ours, ...
        out["scroll"] += scroll_frames(view, 40, r, out["scroll_cpu"])
        out["scroll_base"] += scroll_frames(base, 40, r)
    base.close()
    st = []
    for k in range(60):
        t0, c0 = time.perf_counter(), time.thread_time()
        w.set_image_status(("done", "in_review", "in_progress")[k % 3])
        view.viewport().repaint()
        st.append(ms(t0))
        out["status_cpu"].append((time.thread_time() - c0) * 1000)
    out["status"] = st
    filters = []
    def step(label, action):
        CPU["worst"] = 0.0
        call = gui_pass(action)
        total, stall = wait_query(panel)
        filters.append({"what": label, "call_ms": call, "stall_ms": max(call, stall), "shown_ms": call + total,
                        "cpu_ms": CPU["worst"], "rows": panel.count()})
    def run(label, action, reset):
        step(label, action)
        step("back to all", reset)
    sf, cf = panel.status_filter, panel.category_filter
    run("status = done", lambda: sf.setCurrentIndex(sf.findData("done")), lambda: sf.setCurrentIndex(0))
    run("category = A", lambda: cf.setCurrentIndex(cf.findText("A")), lambda: cf.setCurrentIndex(0))
    def type_text(text):
        worst = 0.0
        for i in range(1, len(text) + 1):
            worst = max(worst, gui_pass(lambda: panel.search.setText(text[:i])))
            end = time.perf_counter() + 0.06  # ~ a fast typist
            while time.perf_counter() < end:
                worst = max(worst, gui_pass(app.processEvents)); time.sleep(0.001)
        return worst
    # typing: the stall is the longest event-loop pass while typing; `shown` counts from the last key
    CPU["worst"] = 0.0
    t0 = time.perf_counter(); out["typing_stall_ms"] = type_text("img_00123"); typed_ms = ms(t0)
    total, stall = wait_query(panel)
    filters.append({"what": "search 'img_00123' typed", "call_ms": 0.0, "stall_ms": max(stall, out["typing_stall_ms"]),
                    "shown_ms": total + typed_ms - len("img_00123") * 60, "cpu_ms": CPU["worst"],
                    "rows": panel.count()})
    step("back to all", lambda: panel.search.setText(""))
    out["filters"] = filters
    out["end_rss_mb"] = rss_mb()
    out["cpu_s"] = time.process_time()
    print("PROBE " + json.dumps(out), flush=True)
    os._exit(0)

class FirstFrame(QObject):
    painted = set()
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "first_frame_ns" not in out:
            w = window()
            if w is not None and w.isVisible():
                if obj is w.images_panel.list.viewport() and w.images_panel.count():
                    self.painted.add("list")
                elif obj is w.canvas.viewport() and w.current_image_data() is not None:
                    self.painted.add("canvas")
                if len(self.painted) == 2:
                    out["first_frame_ns"] = time.time_ns()
                    out["first_frame_cpu_s"] = time.process_time()
                    out["first_frame_rss_mb"] = rss_mb()
                    QTimer.singleShot(0, measure if mode == "full" else finish)
        return False

def finish():
    out["end_rss_mb"] = rss_mb()
    print("PROBE " + json.dumps(out), flush=True)
    os._exit(0)

probe = FirstFrame()
app.installEventFilter(probe)
from segstudio.qt.app import run_app
run_app(__import__("pathlib").Path(sys.argv[1]))
print("PROBE-NO-FRAME", flush=True)
sys.exit(3)
"""


def run_probe(project: Path, mode: str, env: dict) -> dict:
    t0 = time.time_ns()
    proc = subprocess.run([sys.executable, "-c", PROBE, str(project), str(t0), mode],
                          env=env, capture_output=True, text=True, timeout=600)
    for line in proc.stdout.splitlines():
        if line.startswith("PROBE "):
            info = json.loads(line[6:])
            info["first_frame_s"] = (info["first_frame_ns"] - t0) / 1e9
            return info
    raise RuntimeError(f"no first frame (rc={proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")


def probe_env(tmp: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
           "SEGSTUDIO_SETTINGS": str(tmp / "settings.ini"), "SEGSTUDIO_LOG_DIR": str(tmp / "logs"),
           # compiled bytecode cached as an installed package has it (not in the source tree)
           "PYTHONPYCACHEPREFIX": str(tmp / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def pct(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="build the projects here and keep them")
    args = ap.parse_args()
    verdicts = benchkit.Verdicts()
    tmp = Path(tempfile.mkdtemp(prefix="segstudio-bigproj-")) if args.keep is None else args.keep
    env = probe_env(tmp)
    try:
        images = source_images()
        projects = {}
        for n in [REAL, *args.images]:
            root = tmp / f"p{n}"
            if not (root / "segstudio.db").exists():
                t0 = time.perf_counter()
                make_project(root, n, images)
                print(f"built a project of {n:,} images in {time.perf_counter() - t0:.1f} s", flush=True)
            projects[n] = root
        run_probe(projects[REAL], "open", env)  # warm-up: compiles the bytecode once
        print(f"start: {benchkit.load()}")
        first = {n: benchkit.Series(f"{n}") for n in projects}
        rss = {n: benchkit.Series(f"{n}") for n in projects}
        full: dict[int, list[dict]] = {n: [] for n in args.images}
        for _round in range(args.rounds):  # interleaved: small, big, small, bigger, ...
            for n in args.images:
                for m in (REAL, n):
                    info = run_probe(projects[m], "full" if m != REAL else "open", env)
                    first[m].add(info["first_frame_s"])
                    rss[m].add(info["first_frame_rss_mb"])
                    if m != REAL:
                        full[m].append(info)
        small = first[REAL]
        print(f"\nOpening in the real window (process start -> image list and canvas painted), {benchkit.load()}")
        print(f"  {REAL}-image project (baseline): first frame {small.text(' s', digits=3)}, "
              f"peak RSS {rss[REAL].text(' MB', digits=0)}")
        for n in args.images:
            print(f"  {n:,} images: first frame {first[n].text(' s', digits=3)}; ratio of medians to the "
                  f"{REAL}-image baseline {benchkit.ratio(first[n], small):.2f}x")
            print(f"  {n:,} images: peak RSS at the first frame {rss[n].text(' MB', digits=0)}; at the end "
                  f"(after scrolling and filtering) max {max(i['end_rss_mb'] for i in full[n]):.0f} MB")
            verdicts.goal(first[n].max <= OPEN_S, f"{n:,} images: first frame <= {OPEN_S} s in every round "
                          f"(max {first[n].max:.3f} s)")
            verdicts.goal(max(i["end_rss_mb"] for i in full[n]) <= RSS_MB,
                          f"{n:,} images: peak RSS <= {RSS_MB:.0f} MB")
        for n in args.images:
            runs = full[n]
            scroll = [t for i in runs for t in i["scroll"]]
            base = [t for i in runs for t in i["scroll_base"]]
            status = [t for i in runs for t in i["status"]]
            print(f"\nImage list frames, {n:,} rows ({len(runs)} windows), {benchkit.load()}")
            scpu = [t for i in runs for t in i["scroll_cpu"]]
            stcpu = [t for i in runs for t in i["status_cpu"]]
            print(f"  scroll (wheel, page, random jump): p50 {pct(scroll, 50):.2f} ms, p95 {pct(scroll, 95):.2f} ms, "
                  f"max {max(scroll):.2f} ms (GUI-thread CPU max {max(scpu):.2f} ms); QListWidget of 1,000 items, "
                  f"same steps: p50 {pct(base, 50):.2f} ms, max {max(base):.2f} ms "
                  f"(ratio of medians {pct(scroll, 50) / pct(base, 50):.2f}x)")
            print(f"  status change + repaint: p50 {pct(status, 50):.2f} ms, max {max(status):.2f} ms "
                  f"(GUI-thread CPU max {max(stcpu):.2f} ms)")
            print("  filters (background query; stall = longest GUI event-loop pass; shown = until the rows show):")
            for k in range(len(runs[0]["filters"])):
                rows = [i["filters"][k] for i in runs]
                print(f"    {rows[0]['what']:<28} rows {rows[0]['rows']:>9,}  stall max {max(x['stall_ms'] for x in rows):6.1f} ms"
                      f" (GUI-thread CPU {max(x['cpu_ms'] for x in rows):5.1f} ms)"
                      f"  shown median {sorted(x['shown_ms'] for x in rows)[len(rows) // 2]:7.0f} ms")
            typing = max(i["typing_stall_ms"] for i in runs)
            print(f"  typing into the search box: longest GUI stall {typing:.1f} ms")
            worst = max(max(scroll), max(status), typing, *(f["stall_ms"] for i in runs for f in i["filters"]))
            worst_cpu = max(max(scpu), max(stcpu), *(f["cpu_ms"] for i in runs for f in i["filters"]))
            verdicts.goal(worst <= FRAME_MS, f"{n:,} rows: every list frame <= {FRAME_MS:.0f} ms wall (worst {worst:.1f} ms;"
                          f" its GUI-thread CPU at most {worst_cpu:.1f} ms: the rest is waiting for a core)")
        print(f"\nend: {benchkit.load()}")
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    return verdicts.exit_code()


if __name__ == "__main__":
    sys.exit(main())
