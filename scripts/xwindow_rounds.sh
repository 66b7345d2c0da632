#!/usr/bin/env bash
# The app as a person meets it: every task mode in a real X window (Xvfb + the openbox window
# manager) at laptop and desktop screen sizes.  Each round starts `segstudio open --sample
# --mode MODE`, takes a screenshot, rests the mouse on the canvas and on the right-hand panels
# (tooltips and hover: the shape() crash showed only then), presses the mode's keys, takes a
# screenshot after each, and reports the window's size and minimum size (WM_NORMAL_HINTS: what
# the window manager gets), whether it fits the screen, and the errors in the app's output.
#
#   scripts/xwindow_rounds.sh [--out DIR] [--sizes "1366x768 1920x1080"] [--modes "annotate review ..."]
#
# Open every PNG and look.  Exit status 1 if a round shows an error or does not fit.
# Needs Xvfb, openbox, xdotool, ImageMagick (`import`), xprop (Debian: xvfb openbox xdotool
# imagemagick x11-utils) and the xcb libraries (scripts/setup.sh names missing ones).
# Same rounds as ../shared/tools/xwindow.sh, without depending on it.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-}
[ -n "$PY" ] || { [ -x .venv/bin/python ] && PY=.venv/bin/python || PY=python3; }
out=/tmp/segstudio-rounds; sizes="1366x768 1920x1080"; modes="annotate review cutout video train"; wait_s=4
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2;; --sizes) sizes=$2; shift 2;; --modes) modes=$2; shift 2;;
    --wait) wait_s=$2; shift 2;; -h|--help) sed -n 2,15p "$0"; exit 0;; *) echo "unknown option $1" >&2; exit 2;;
  esac
done
for tool in Xvfb openbox xdotool import xprop; do
  command -v "$tool" >/dev/null || { echo "xwindow_rounds: $tool is missing (apt-get install xvfb openbox xdotool imagemagick x11-utils)" >&2; exit 2; }
done
mkdir -p "$out"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
# One sample project for every round, pre-labelled and with a frame folder (a pan over a sample
# photo), so no round starts with the first-open pre-label dialog over the canvas.
export SEGSTUDIO_DATA_DIR="$out/data"
sample=$("$PY" - <<'EOF'
import cv2
from segstudio.store.sample import ensure_sample_project, SAMPLES
root = ensure_sample_project()
frames = root / "pan_frames"
if not frames.exists():
    frames.mkdir()
    img = cv2.imread(str(SAMPLES / "coffee.jpg"))
    for i in range(24):
        cv2.imwrite(str(frames / f"{i:05d}.jpg"), img[:, 4 * i:4 * i + img.shape[1] - 96])
print(root)
EOF
) || { echo "xwindow_rounds: cannot prepare the sample project" >&2; exit 2; }
if [ ! -f "$out/data/.prepared" ]; then
  "$PY" -m segstudio add-video "$sample" "$sample/pan_frames" >/dev/null && \
  "$PY" -m segstudio prelabel "$sample" --model u2netp-salient --only-unlabelled >/dev/null 2>&1 && touch "$out/data/.prepared"
fi

keys_for() {  # keys pressed in each mode, after the mouse rests
  case "$1" in
    annotate) echo "F1 Escape b i";;
    review) echo "alt+1 alt+2";;
    cutout) echo "ctrl+shift+s";;
    video) echo "Right Right period";;
    train) echo "ctrl+shift+b";;
  esac
}

status=0; summary=""
for size in $sizes; do
  for mode in $modes; do
    dir="$out/$size-$mode"; mkdir -p "$dir"; rm -f "$dir"/*.png "$dir"/app.log
    disp=:$(( 100 + RANDOM % 400 ))
    Xvfb "$disp" -screen 0 "${size}x24" -nolisten tcp >/dev/null 2>&1 & xpid=$!
    sleep 1
    DISPLAY=$disp openbox >/dev/null 2>&1 & wmpid=$!
    sleep 1
    DISPLAY=$disp QT_QPA_PLATFORM=xcb SEGSTUDIO_SETTINGS="$dir/settings.ini" \
      "$PY" -m segstudio open --sample --mode "$mode" >"$dir/app.log" 2>&1 & apid=$!
    export DISPLAY=$disp
    win=""
    for _ in $(seq 1 120); do
      win=$(xdotool search --onlyvisible --pid "$apid" --name "SegStudio" 2>/dev/null | head -n 1)
      [ -n "$win" ] && break
      kill -0 "$apid" 2>/dev/null || break
      sleep 0.5
    done
    n=0; shot() { n=$((n+1)); import -window root "$dir/$(printf %02d $n)-$1.png" 2>/dev/null; }
    if [ -z "$win" ]; then
      summary+="$size $mode: NO WINDOW (log $dir/app.log)"$'\n'; status=1
    else
      sleep "$wait_s"; shot start
      eval "$(xdotool getwindowgeometry --shell "$win")"  # X Y WIDTH HEIGHT
      # rest on the canvas (a little left of the centre: the right-hand panels are on the right)
      xdotool mousemove $((X + WIDTH * 45 / 100)) $((Y + HEIGHT / 2)); sleep 2.5; shot hover-canvas
      xdotool mousemove $((X + WIDTH - 120)) $((Y + HEIGHT / 3)); sleep 2.5; shot hover-panel
      xdotool mousemove $((X + WIDTH * 45 / 100)) $((Y + HEIGHT / 2))
      for k in $(keys_for "$mode"); do
        xdotool key --window "$win" "$k" 2>/dev/null; sleep "$wait_s"; shot "key-${k//[^A-Za-z0-9]/_}"
      done
      g=$(xdotool getwindowgeometry "$win" 2>/dev/null | awk '/Geometry/{print $2}')
      min=$(xprop -id "$win" WM_NORMAL_HINTS 2>/dev/null | awk -F': ' '/minimum size/{print $2}' | tr -d ' ')
      sw=${size%x*}; sh=${size#*x}; mw=${min%by*}; mh=${min#*by}; fits=yes
      if [ -z "$min" ] || [ "${mw:-0}" -gt "$sw" ] || [ "${mh:-0}" -gt "$sh" ]; then fits=NO; status=1; fi
      errs=$(grep -cE 'Traceback|Error calling Python override|unexpected error|Exception|QObject::|QWidget::|Segmentation fault' "$dir/app.log")
      [ "$errs" -gt 0 ] && status=1
      summary+="$size $mode: window $g, minimum ${min:-unknown}, fits: $fits, errors in the app's output: $errs"$'\n'
    fi
    kill "$apid" 2>/dev/null; sleep 1; kill -9 "$apid" 2>/dev/null; kill "$wmpid" "$xpid" 2>/dev/null
    wait "$apid" "$wmpid" "$xpid" 2>/dev/null
  done
done
printf '%s' "$summary"
echo "screenshots (open and look at each): $out/*/*.png"
exit $status
