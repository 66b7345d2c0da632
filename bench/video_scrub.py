"""Video decoding benchmark: open time of a long 1080p video, random-access and sequential read
speed, and peak RSS while scrubbing (goals: open <= 2 s and RSS <= 1.5 GB for 10,000 frames).

The video is generated once (cheap codec, small content: a gradient with moving bars and a
frame counter) under /tmp/segstudio-bench/ and reused by later runs.  Each measurement runs in a
fresh child process so the RSS figures belong to the scrubbing alone; the parent compares with
a baseline child that imports the same modules and does nothing else, and with the naive
approach (reading every frame into a list) extrapolated from its first frames.

    .venv/bin/python bench/video_scrub.py [--quick] [--frames 10000] [--seeks 400]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(os.environ.get("SEGSTUDIO_BENCH_DIR", "/tmp/segstudio-bench"))
ROOT = Path(__file__).resolve().parents[1]


def make_video(path: Path, frames: int, size: tuple[int, int]) -> Path:
    import cv2
    import numpy as np

    if path.exists():
        cap = cv2.VideoCapture(str(path))
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        cap.release()
        if n == frames:
            return path
    path.parent.mkdir(parents=True, exist_ok=True)
    w, h = size
    tmp = path.with_suffix(".part.mp4")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (w, h))
    if not writer.isOpened():
        raise SystemExit("OpenCV cannot write mp4v here")
    base = np.zeros((h, w, 3), np.uint8)
    base[..., 0] = np.linspace(40, 200, w, dtype=np.uint8)[None, :]
    base[..., 1] = np.linspace(30, 160, h, dtype=np.uint8)[:, None]
    t0 = time.perf_counter()
    for i in range(frames):
        f = base.copy()
        x = (i * 7) % (w - 200)
        f[:, x:x + 200] = (255, 255, 255)
        cv2.putText(f, f"{i:05d}", (60, 200), cv2.FONT_HERSHEY_SIMPLEX, 5, (0, 0, 0), 12)
        writer.write(f)
        if i % 1000 == 0:
            print(f"  writing frame {i}/{frames} ({time.perf_counter() - t0:.0f}s)", file=sys.stderr)
    writer.release()
    tmp.rename(path)
    return path


CHILD = r"""
import json, random, sys, threading, time, os
sys.path.insert(0, os.environ["PYTHONPATH"])
import psutil
mode, path, seeks = sys.argv[1], sys.argv[2], int(sys.argv[3])
import cv2, numpy as np
cv2.setNumThreads(2)
from segstudio.io.video_source import open_source
proc = psutil.Process()
peak = [proc.memory_info().rss]
stop = False
def sample():
    while not stop:
        peak[0] = max(peak[0], proc.memory_info().rss)
        time.sleep(0.005)
threading.Thread(target=sample, daemon=True).start()
out = {"rss_start_mb": proc.memory_info().rss / 2**20}
if mode == "baseline":
    time.sleep(0.3)
elif mode == "scrub":
    t = time.perf_counter(); src = open_source(path); out["open_s"] = time.perf_counter() - t
    out["frames"] = src.frame_count
    rng = random.Random(0)
    lat = []
    for _ in range(seeks):  # random jumps, like dragging the timeline
        i = rng.randrange(src.frame_count)
        t = time.perf_counter(); src.read(i); lat.append(time.perf_counter() - t)
    lat.sort()
    out["seek_median_ms"] = 1000 * lat[len(lat) // 2]
    out["seek_p95_ms"] = 1000 * lat[int(len(lat) * 0.95)]
    start = rng.randrange(src.frame_count - 400)
    t = time.perf_counter()
    for i in range(start, start + 300):  # playback
        src.read(i)
    out["sequential_fps"] = 300 / (time.perf_counter() - t)
    t = time.perf_counter()
    for i in range(start + 300, start + 200, -1):  # stepping back frame by frame
        src.read(i)
    out["backward_step_ms"] = 1000 * (time.perf_counter() - t) / 100
    out["cache_mb"] = src.cache.nbytes / 2**20
    out["stats"] = vars(src.stats)
    src.close()
elif mode == "gui":  # the real app: main window with every feature, offscreen
    import tempfile
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication
    from segstudio.qt.main_window import MainWindow
    from segstudio.store import Project
    from segstudio.video.library import add_video
    app = QApplication([])
    root = tempfile.mkdtemp(prefix="segstudio-scrub-")
    with Project.create(root) as p:
        vid = add_video(p, path).image_id
    w = MainWindow()
    w.resize(1600, 1000)
    w.show()
    t = time.perf_counter(); w.open_project(root); w.go_to_image(vid, 0); app.processEvents()
    out["open_s"] = time.perf_counter() - t
    rng = random.Random(1)
    lat = []
    for _ in range(seeks):
        i = rng.randrange(10_000 if "10000" in path else 1000)
        t = time.perf_counter(); w.go_to_image(vid, i); app.processEvents(); lat.append(time.perf_counter() - t)
    lat.sort()
    out["seek_median_ms"] = 1000 * lat[len(lat) // 2]
    t = time.perf_counter()
    for _ in range(100):
        w.features.video.step(1); app.processEvents()
    out["step_ms"] = 10 * (time.perf_counter() - t)
    out["features"] = w.feature_errors
    w.close()
elif mode == "naive":
    cap = cv2.VideoCapture(path)
    frames = []
    for _ in range(seeks):
        ok, f = cap.read()
        frames.append(f)
    out["per_frame_mb"] = frames[0].nbytes / 2**20
stop = True
time.sleep(0.02)
out["rss_peak_mb"] = peak[0] / 2**20
print(json.dumps(out))
"""


def child(mode: str, path: Path, seeks: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "2"}
    res = subprocess.run([sys.executable, "-c", CHILD, mode, str(path), str(seeks)],
                         capture_output=True, text=True, env=env, check=False)
    if res.returncode != 0:
        raise SystemExit(f"child {mode} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1,000 frames, 100 seeks")
    ap.add_argument("--frames", type=int, default=10_000)
    ap.add_argument("--seeks", type=int, default=400)
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--no-gui", action="store_true", help="skip the main-window scrubbing run")
    args = ap.parse_args()
    if args.quick:
        args.frames, args.seeks = min(args.frames, 1000), 100
    w, h = (int(v) for v in args.size.split("x"))
    path = BENCH_DIR / f"scrub_{args.frames}_{w}x{h}.mp4"
    t = time.perf_counter()
    make_video(path, args.frames, (w, h))
    print(f"video: {path} ({path.stat().st_size / 2**20:.0f} MB, ready in {time.perf_counter() - t:.1f}s)")
    base = child("baseline", path, 0)
    scrub = child("scrub", path, args.seeks)
    naive = child("naive", path, 60)
    gui = child("gui", path, args.seeks // 2) if not args.no_gui else None
    naive_gb = naive["per_frame_mb"] * scrub["frames"] / 1024
    print(f"frames: {scrub['frames']} at {w}x{h}")
    print(f"open time: {scrub['open_s']:.3f} s (goal <= 2 s)")
    print(f"random seek: median {scrub['seek_median_ms']:.0f} ms, p95 {scrub['seek_p95_ms']:.0f} ms "
          f"({args.seeks} jumps)")
    print(f"sequential playback: {scrub['sequential_fps']:.0f} frames/s; one step back: "
          f"{scrub['backward_step_ms']:.0f} ms")
    print(f"peak RSS while scrubbing: {scrub['rss_peak_mb']:.0f} MB (goal <= 1536 MB); "
          f"baseline process {base['rss_peak_mb']:.0f} MB; frame cache {scrub['cache_mb']:.0f} MB")
    print(f"naive (all frames in memory) would need ~{naive_gb:.1f} GB of frames: "
          f"{naive_gb * 1024 / scrub['rss_peak_mb']:.0f}x the streamed peak")
    print(f"decoder stats: {scrub['stats']}")
    if gui is not None:
        failed = {k: v for k, v in gui["features"].items() if v}
        print(f"main window (all features{', failed: ' + ', '.join(failed) if failed else ''}): "
              f"project+video shown in {gui['open_s']:.2f} s; random frame jump median "
              f"{gui['seek_median_ms']:.0f} ms; +1 frame step {gui['step_ms']:.0f} ms; "
              f"peak RSS {gui['rss_peak_mb']:.0f} MB (goal <= 1536 MB)")


if __name__ == "__main__":
    main()
