"""Start-up benchmark: process start to the main window shown (goal <= 1.5 s on 2 cores).

Each repetition spawns a fresh interpreter (the real cost a user pays: imports, QApplication,
the main window with every feature installed, the sample project opened) and measures, from the
parent, the wall time until the main window's first paint. The child is a probe that creates the
QApplication, watches for the first Paint event of a QMainWindow, then calls the app's own
`run_app(sample=True)`: nothing of the start-up path is re-implemented here.

In the same run it measures two baselines:
  * `python -c "import PySide6.QtWidgets"` (the floor any PySide6 app pays),
  * a bare QMainWindow shown and painted (the floor of "a window on screen"),
and the full `segstudio open --sample --quit-after 0` process (start to exit).

On a loaded machine the wall times grow with the load; the CPU time the app process used until
the window was shown is reported too, as a load-independent estimate of the idle-machine figure.

It also reports which heavy modules (torch, onnxruntime, cv2, ...) were imported by the time the
window was shown: torch must not be. `--importtime` adds the slowest imports (python -X importtime)
so a slow start can be traced to the module that causes it.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/startup.py [--quick] [--reps N] [--importtime]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_S = 1.5
HEAVY = ("torch", "onnxruntime", "onnx", "cv2", "shapely", "pycocotools", "scipy", "matplotlib", "yaml")

# The probe runs in the child. argv[1] = "app" | "bare". It prints one JSON line then exits.
PROBE = r"""
import json, os, sys, time
mode = sys.argv[1]
_prof_path = os.environ.get("SEGSTUDIO_STARTUP_PROFILE")
if _prof_path:
    import cProfile
    _prof = cProfile.Profile()
    _prof.enable()
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

app = QApplication.instance() or QApplication(sys.argv[:1])
HEAVY = %(heavy)r

class FirstPaint(QObject):
    done = False
    def eventFilter(self, obj, event):
        if (not self.done and event.type() == QEvent.Type.Paint
                and isinstance(obj, QMainWindow) and obj.isVisible()):
            self.done = True
            shown = time.time_ns()
            # Let the paint finish, then report and leave without running the rest of the app.
            def report():
                print("PROBE " + json.dumps({
                    "shown_ns": shown,
                    "cpu_s": time.process_time(),
                    "title": obj.windowTitle(),
                    "heavy": [m for m in HEAVY if m in sys.modules],
                    "modules": len(sys.modules),
                }), flush=True)
                if _prof_path:
                    _prof.disable()
                    _prof.dump_stats(_prof_path)
                os._exit(0)
            QTimer.singleShot(0, report)
        return False

probe = FirstPaint()
app.installEventFilter(probe)
if mode == "bare":
    w = QMainWindow(); w.setWindowTitle("bare"); w.resize(1600, 1000); w.show()
    app.exec()
else:
    from segstudio.qt.app import run_app
    run_app(sample=True)
print("PROBE-NO-WINDOW", flush=True)
sys.exit(3)
"""


def _env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["SEGSTUDIO_DATA_DIR"] = str(data_dir)  # a private sample project, never the user's
    env["SEGSTUDIO_LOG_DIR"] = str(data_dir / "logs")
    env["PYTHONDONTWRITEBYTECODE"] = "0"
    return env


def time_probe(mode: str, env: dict[str, str], extra: list[str] | None = None) -> dict:
    code = PROBE % {"heavy": HEAVY}
    t0 = time.time_ns()
    proc = subprocess.run(
        [sys.executable, *(extra or []), "-c", code, mode],
        env=env, capture_output=True, text=True, timeout=120,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("PROBE "):
            info = json.loads(line[6:])
            info["seconds"] = (info["shown_ns"] - t0) / 1e9
            info["stderr"] = proc.stderr
            return info
    raise RuntimeError(f"probe {mode} showed no window (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}")


def time_cmd(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (rc={proc.returncode}):\n{proc.stderr[-3000:]}")
    return dt


def _parse_importtime(stderr: str, top: int) -> list[tuple[float, str]]:
    """(cumulative seconds, module) of the slowest imports in `-X importtime` output."""
    rows: list[tuple[float, str]] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        parts = line[len("import time:"):].split("|")
        if len(parts) != 3:
            continue
        try:
            cum = int(parts[1].strip())
        except ValueError:
            continue
        name = parts[2].rstrip()
        depth = (len(name) - len(name.lstrip())) // 2
        rows.append((cum / 1e6, f"{'  ' * max(depth - 1, 0)}{name.strip()}"))
    rows.sort(reverse=True)
    return rows[:top]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="SegStudio start-up benchmark")
    ap.add_argument("--reps", type=int, default=7, help="repetitions per measurement (default 7)")
    ap.add_argument("--quick", action="store_true", help="3 repetitions")
    ap.add_argument("--importtime", action="store_true", help="list the slowest imports of the app start")
    ap.add_argument("--bundle", type=Path, metavar="EXE",
                    help="also time a desktop bundle's `EXE open --sample --quit-after 0`")
    ap.add_argument("--profile", action="store_true",
                    help="cProfile one app start and list the functions with the most cumulative time")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    reps = 3 if args.quick else max(1, args.reps)

    with tempfile.TemporaryDirectory(prefix="segstudio-startup-") as tmp:
        env = _env(Path(tmp))
        # First run: creates the sample project (a first-run step), reported on its own.
        first = time_probe("app", env)
        results: dict[str, list[float]] = {"import": [], "bare": [], "app": [], "cli": []}
        if args.bundle:
            results["bundle"] = []
            time_cmd([str(args.bundle), "open", "--sample", "--quit-after", "0"], env)  # warm the cache
        cpu: dict[str, list[float]] = {"bare": [], "app": []}
        heavy: set[str] = set(first["heavy"])
        for _ in range(reps):  # interleaved, so machine load affects every series alike
            results["import"].append(time_cmd([sys.executable, "-c", "import PySide6.QtWidgets"], env))
            bare = time_probe("bare", env)
            results["bare"].append(bare["seconds"])
            cpu["bare"].append(bare["cpu_s"])
            info = time_probe("app", env)
            heavy |= set(info["heavy"])
            results["app"].append(info["seconds"])
            cpu["app"].append(info["cpu_s"])
            results["cli"].append(time_cmd(
                [sys.executable, "-m", "segstudio", "open", "--sample", "--quit-after", "0"], env))
            if args.bundle:
                results["bundle"].append(time_cmd(
                    [str(args.bundle), "open", "--sample", "--quit-after", "0"], env))
        med = {k: statistics.median(v) for k, v in results.items()}

        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"SegStudio start-up, {reps} repetitions each, median (min..max), {os.cpu_count()} CPUs, "
              f"load average {load:.1f}")
        labels = {
            "import": 'python -c "import PySide6.QtWidgets"',
            "bare": "bare QMainWindow shown (baseline)",
            "app": "SegStudio main window shown, sample open",
            "cli": "segstudio open --sample --quit-after 0 (start to exit)",
        }
        if args.bundle:
            labels["bundle"] = "bundle: open --sample --quit-after 0 (start to exit)"
        for k, label in labels.items():
            v = results[k]
            print(f"  {label:<58} {med[k]:6.3f} s  ({min(v):.3f}..{max(v):.3f})")
        cpu_app, cpu_bare = statistics.median(cpu["app"]), statistics.median(cpu["bare"])
        print(f"  CPU time of the app process until shown (user+sys)         {cpu_app:6.3f} s"
              f"  (bare window {cpu_bare:.3f} s): close to the wall time on an idle machine")
        print(f"  first run (creates the sample project)                     {first['seconds']:6.3f} s")
        print(f"  ratio app / import PySide6.QtWidgets: {med['app'] / med['import']:.2f}x")
        print(f"  ratio app / bare window:              {med['app'] / med['bare']:.2f}x")
        print(f"  modules loaded at window shown: {first['modules']}; heavy ones: {sorted(heavy) or 'none'}")
        ok_time = med["app"] <= GOAL_S
        ok_torch = "torch" not in heavy
        print(f"  goal <= {GOAL_S} s (wall): {'PASS' if ok_time else 'FAIL'}; "
              f"(CPU-time estimate {cpu_app:.2f} s: {'PASS' if cpu_app <= GOAL_S else 'FAIL'}); "
              f"torch not imported: {'PASS' if ok_torch else 'FAIL'}")

        if args.importtime:
            info = time_probe("app", env, ["-X", "importtime"])
            print("  slowest imports (cumulative, -X importtime):")
            for sec, name in _parse_importtime(info["stderr"], 20):
                print(f"    {sec * 1000:8.1f} ms  {name}")
        if args.profile:
            import pstats

            prof = Path(tmp) / "startup.prof"
            time_probe("app", dict(env, SEGSTUDIO_STARTUP_PROFILE=str(prof)))
            print("  cProfile of one start (cumulative; segstudio functions and the top overall):")
            stats = pstats.Stats(str(prof))
            stats.sort_stats("cumulative").print_stats(r"segstudio", 25)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps({"median_s": med, "runs_s": results, "cpu_s": cpu,
                                             "first_run_s": first["seconds"],
                                             "heavy_modules": sorted(heavy)}, indent=2))
    return 0 if ok_time and ok_torch else 1


if __name__ == "__main__":
    raise SystemExit(main())
