"""First sessions as a person meets the app, in a real X window (Xvfb + openbox), driven by
xdotool: an annotator (every drawing tool, AI click and box, undo/redo, next image, export COCO and
LabelMe), an editor (select the subject, refine the edge, export a transparent PNG), a researcher
(import predictions, compare, walk the queue, the dashboard, the HTML report) and a video user
(add a frame folder, paint a mask, propagate it).  Each session starts on a fresh copy of the
sample (its first-open pre-label included), takes a screenshot after every step, looks for error
dialogs by window title, quits with Ctrl+Q and counts the errors in the app's output.

    python scripts/xwindow_sessions.py [--out DIR] [--size 1366x768] [annotator editor researcher video]

Open every PNG and look.  Exit status 1 if a session shows an error, an error dialog, a missing
export or does not quit.  Needs Xvfb, openbox, xdotool, ImageMagick's `import` (Debian: xvfb
openbox xdotool imagemagick).  Positions are fractions of the window: written for the sample.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ERRORS = re.compile(r"Traceback|Error calling Python override|unexpected error|Exception|QObject::|QWidget::|"
                    r"Segmentation fault")


class Session:
    """One app in one X server: keys, clicks, drags in window fractions, screenshots."""

    def __init__(self, out: Path, size: str, mode: str) -> None:
        self.out, self.n, self.problems = out, 0, []
        for p in out.glob("*.png"):
            p.unlink()
        for d in ("data", "exports"):
            shutil.rmtree(out / d, ignore_errors=True)
        (out / "settings.ini").unlink(missing_ok=True)
        self.exports = out / "exports"
        self.exports.mkdir(parents=True)
        disp = f":{random.randint(500, 900)}"
        self.env = dict(os.environ, DISPLAY=disp)
        self.xvfb = subprocess.Popen(["Xvfb", disp, "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.5)
        self.wm = subprocess.Popen(["openbox"], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.5)
        self.app_env = dict(self.env, QT_QPA_PLATFORM="xcb", PYTHONPATH=str(ROOT), SEGSTUDIO_DATA_DIR=str(out / "data"),
                            SEGSTUDIO_SETTINGS=str(out / "settings.ini"))
        self.log = open(out / "app.log", "w")  # noqa: SIM115 - the app writes to it until finish()
        self.app = subprocess.Popen([sys.executable, "-m", "segstudio", "open", "--sample", "--mode", mode],
                                    env=self.app_env, stdout=self.log, stderr=subprocess.STDOUT, cwd=str(out))
        self.win = ""
        for _ in range(240):
            found = self.x(f"search --onlyvisible --pid {self.app.pid} --name SegStudio").split()
            if found or self.app.poll() is not None:
                self.win = found[0] if found else ""
                break
            time.sleep(0.5)
        if not self.win:
            raise RuntimeError(f"no window (log {out / 'app.log'})")
        time.sleep(6)  # the sample's first-open pre-label runs in the background meanwhile
        geo = dict(line.split("=") for line in self.x(f"getwindowgeometry --shell {self.win}").splitlines())
        self.geometry = tuple(int(geo[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))

    def x(self, cmd: str) -> str:
        return subprocess.run(["xdotool", *shlex.split(cmd)], env=self.env, capture_output=True, text=True).stdout.strip()

    def point(self, fx: float, fy: float) -> tuple[int, int]:
        wx, wy, ww, wh = self.geometry
        return int(wx + fx * ww), int(wy + fy * wh)

    def key(self, k: str, wait: float = 1.5) -> None:
        self.x(f"key --clearmodifiers {k}")
        time.sleep(wait)

    def type(self, text: str) -> None:
        self.x(f"type --delay 20 {shlex.quote(text)}")
        time.sleep(0.5)

    def click(self, fx: float, fy: float, wait: float = 1.0) -> None:
        x, y = self.point(fx, fy)
        self.x(f"mousemove {x} {y}")
        time.sleep(0.2)
        self.x("click 1")
        time.sleep(wait)

    def drag(self, pts: list[tuple[float, float]], wait: float = 1.0) -> None:
        self.x("mousemove {} {}".format(*self.point(*pts[0])))
        self.x("mousedown 1")
        for p in pts[1:]:
            time.sleep(0.05)
            self.x("mousemove {} {}".format(*self.point(*p)))
        self.x("mouseup 1")
        time.sleep(wait)

    def dialogs(self) -> list[str]:
        ids = self.x(f"search --onlyvisible --pid {self.app.pid} --name .").split()
        return [self.x(f"getwindowname {i}") for i in ids if i != self.win]

    def step(self, name: str) -> None:
        """Screenshot, and an error dialog is a problem."""
        self.n += 1
        subprocess.run(["import", "-window", "root", str(self.out / f"{self.n:02d}-{name}.png")],
                       env=self.env, capture_output=True)
        titles = self.dialogs()
        bad = [t for t in titles if "error" in t.lower() or "unexpected" in t.lower()]
        print(f"  {name}: {'windows ' + ', '.join(titles) if titles else 'no dialog'}")
        if bad:
            self.problems.append(f"{name}: error dialog {bad}")

    def expect_files(self, *names: str) -> None:
        for n in names:
            if not (self.exports / n).exists():
                self.problems.append(f"export missing: {n}")

    def finish(self) -> list[str]:
        t0 = time.time()
        self.key("ctrl+q", 0)
        try:
            self.app.wait(30)
            print(f"  quit in {time.time() - t0:.2f} s (load {os.getloadavg()[0]:.2f})")
        except subprocess.TimeoutExpired:
            self.problems.append("the app did not quit on Ctrl+Q within 30 s")
            self.app.kill()
        self.log.close()
        self.wm.terminate()
        self.xvfb.terminate()
        errors = [line for line in (self.out / "app.log").read_text().splitlines() if ERRORS.search(line)]
        print(f"  errors in the app's output: {len(errors)}")
        self.problems += [f"app output: {line}" for line in errors[:10]]
        return self.problems


def annotator(s: Session) -> None:
    s.step("start")
    s.key("b")
    s.drag([(0.27, 0.2), (0.28, 0.25), (0.30, 0.3)])
    s.step("brush")
    s.key("r")
    s.drag([(0.63, 0.12), (0.66, 0.3), (0.68, 0.45)])
    s.step("rectangle")
    s.key("p")
    for pt in [(0.3, 0.6), (0.36, 0.6), (0.36, 0.7), (0.3, 0.7)]:
        s.click(*pt, wait=0.4)
    s.key("Return")
    s.step("polygon")
    s.key("c")
    s.drag([(0.40, 0.15), (0.43, 0.2), (0.45, 0.25)])
    s.step("ellipse")
    s.key("i")
    s.click(0.62, 0.78, wait=6)
    s.step("ai-click")
    s.key("s")
    s.step("ai-next-mask")
    s.key("Return")
    s.step("ai-accept")
    s.key("shift+i")
    s.drag([(0.55, 0.55), (0.6, 0.6), (0.71, 0.92)], wait=6)
    s.step("ai-box")
    s.key("Return")
    s.key("w")
    s.click(0.3, 0.15, wait=2)
    s.step("wand")
    s.key("e")
    s.drag([(0.62, 0.78), (0.64, 0.8)])
    s.step("eraser")
    s.key("ctrl+z")
    s.key("ctrl+shift+z")
    s.step("undo-redo")
    s.key("d", 4)
    s.step("next-image")
    s.key("b")
    s.drag([(0.45, 0.45), (0.47, 0.5), (0.5, 0.55)])
    s.step("brush-2")
    s.key("ctrl+Return", 4)
    s.step("done-and-next")
    for fmt in ("coco", "labelme"):
        s.key("alt+d", 1)
        s.key("e", 3)
        s.step(f"export-{fmt}-dialog")
        s.key("Home", 0.3)  # the first format, coco; typing its name finds another (the combo's search)
        if fmt != "coco":
            s.type(fmt)
        s.key("Tab", 0.5)
        s.type(str(s.exports / fmt))
        s.step(f"export-{fmt}-filled")
        s.key("Return", 8)
        s.step(f"export-{fmt}-done")
        s.key("Escape", 1)
    s.expect_files("coco/instances.json", "labelme/astronaut.json")


def editor(s: Session) -> None:
    s.step("start")
    s.key("d", 4)
    s.step("second-image")
    s.key("ctrl+shift+s", 12)
    s.step("select-subject")
    s.key("ctrl+shift+e", 1)
    s.drag([(0.35, 0.4), (0.38, 0.45), (0.40, 0.5)], wait=6)
    s.step("refine-edge")
    s.key("backslash", 3)
    s.step("before-after")
    s.key("backslash", 2)
    s.key("ctrl+e", 3)
    s.step("export-dialog")
    s.key("ctrl+a", 0.3)
    s.type(str(s.exports / "cutout.png"))
    s.step("export-filled")
    s.key("Return", 8)
    s.step("export-done")
    s.expect_files("cutout.png")


def researcher(s: Session) -> None:
    s.step("start")
    time.sleep(14)  # the first-open pre-label of the sample: its output becomes the "predictions"
    done = subprocess.run([sys.executable, "-m", "segstudio", "export", "labelme", str(s.out / "data" / "sample-project"),
                           str(s.exports / "preds")], env=dict(s.app_env, QT_QPA_PLATFORM="offscreen"),
                          capture_output=True, text=True)
    if done.returncode:
        s.problems.append(f"predictions not written: {done.stderr[-300:]}")
    s.key("alt+r", 1)
    s.key("i", 3)
    s.step("import-dialog")
    s.type(str(s.exports / "preds"))
    s.step("import-filled")
    s.key("Return", 10)
    s.step("import-done")
    s.key("ctrl+shift+r", 4)
    s.step("review-mode")
    s.click(0.907, 0.290, wait=8)
    s.step("compared")  # the Compare button (1366x768 layout)
    for k in ("g", "g", "y", "j", "shift+o", "shift+o", "shift+g"):
        s.key(k, 2.5)
        s.step(f"queue-{k.replace('+', '_')}")
    s.key("ctrl+shift+d", 4)
    s.step("dashboard")
    s.key("alt+r", 1)
    s.key("e", 3)
    s.step("report-dialog")
    s.key("ctrl+a", 0.3)
    s.type(str(s.exports / "report.html"))
    s.step("report-filled")
    s.key("Return", 8)
    s.step("report-done")
    s.expect_files("report.html")


def video(s: Session) -> None:
    import cv2

    s.step("start")
    frames = s.exports / "frames"
    frames.mkdir()
    img = cv2.imread(str(ROOT / "segstudio" / "resources" / "samples" / "coffee.jpg"))
    for i in range(12):  # a slow pan
        cv2.imwrite(str(frames / f"{i:05d}.jpg"), img[:, 4 * i:4 * i + img.shape[1] - 96])
    s.key("alt+o", 1)
    s.key("f", 3)
    s.step("folder-picker")
    s.key("ctrl+a", 0.3)
    s.type(str(frames))
    s.step("folder-typed")
    s.key("Return", 3)
    s.step("folder-chosen")
    if s.dialogs():
        s.key("Return", 3)
        s.step("folder-chosen-2")
    time.sleep(4)
    s.step("frames-added")
    s.key("b")
    s.drag([(0.45, 0.45), (0.47, 0.5), (0.5, 0.55), (0.52, 0.5)], wait=2)
    s.step("brush-frame-0")
    s.key("ctrl+shift+Right", 25)
    s.step("propagated")
    s.key("Right", 2)
    s.key("Right", 2)
    s.step("frame-2")


SESSIONS = {"annotator": ("annotate", annotator), "editor": ("cutout", editor),
            "researcher": ("review", researcher), "video": ("video", video)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("who", nargs="*", help=f"sessions to run (default: all of {', '.join(SESSIONS)})")
    ap.add_argument("--out", type=Path, default=Path("/tmp/segstudio-sessions"))
    ap.add_argument("--size", default="1366x768")
    args = ap.parse_args()
    unknown = set(args.who) - set(SESSIONS)
    if unknown:
        ap.error(f"unknown session(s) {', '.join(sorted(unknown))}")
    for tool in ("Xvfb", "openbox", "xdotool", "import"):
        if shutil.which(tool) is None:
            print(f"xwindow_sessions: {tool} is missing (apt-get install xvfb openbox xdotool imagemagick)",
                  file=sys.stderr)
            return 2
    failed = 0
    for who in args.who or list(SESSIONS):
        mode, run = SESSIONS[who]
        out = args.out / f"{args.size}-{who}"
        out.mkdir(parents=True, exist_ok=True)
        print(f"{who} at {args.size} ({out})")
        s = Session(out, args.size, mode)
        try:
            run(s)
        finally:
            problems = s.finish()
        for p in problems:
            print(f"  PROBLEM {p}")
        failed += bool(problems)
    print(f"screenshots (open and look at each): {args.out}/*/*.png")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
