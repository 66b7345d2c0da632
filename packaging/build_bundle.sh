#!/usr/bin/env bash
# Build the one-folder desktop bundle with PyInstaller and smoke-test it.
#
#   packaging/build_bundle.sh [--venv DIR] [--out DIR] [--skip-build] [--archive]
#
#   --venv DIR     build environment (default /tmp/bundle-venv; created if missing, never the
#                  project's .venv: the bundle must not pick up dev tools or an editable install)
#   --out DIR      where the bundle goes (default build/bundle; the bundle is OUT/dist/SegStudio)
#   --skip-build   only smoke-test an existing bundle
#   --archive      also write OUT/SegStudio-<version>-<platform>.tar.gz
#
# The smoke test runs the bundle offscreen with a private data folder and a minimal environment:
# --version, --help, `models` (when the command exists), `open --sample --quit-after 1`, and
# --bundle-smoke-test (the main window opens the sample project and the built-in model segments
# one sample image, in the bundle's own process). Exit 0 only when everything passed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV=/tmp/bundle-venv
OUT="$ROOT/build/bundle"
BUILD=1
ARCHIVE=0
while [ $# -gt 0 ]; do
    case "$1" in
        --venv) VENV="$2"; shift 2 ;;
        --out) OUT="$2"; shift 2 ;;
        --skip-build) BUILD=0; shift ;;
        --archive) ARCHIVE=1; shift ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build_bundle.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
done
OUT="$(mkdir -p "$OUT" && cd "$OUT" && pwd)"
DIST="$OUT/dist"
BUNDLE="$DIST/SegStudio"
PY="$VENV/bin/python"
VERSION=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$ROOT/segstudio/__init__.py")
log() { printf '\n== %s\n' "$*"; }

if [ "$BUILD" = 1 ]; then
    if [ ! -x "$PY" ]; then
        log "creating the build environment $VENV"
        python3 -m venv "$VENV"
    fi
    PIP=("$PY" -m pip --disable-pip-version-check -q)
    if ! "$PY" -c "import torch" 2>/dev/null; then
        # The CPU build keeps the bundle free of CUDA libraries (gigabytes). Where a local wheel
        # exists pip takes it; otherwise ask the PyTorch CPU index.
        "${PIP[@]}" install "torch==2.13.0" 2>/dev/null \
            || "${PIP[@]}" install torch --index-url https://download.pytorch.org/whl/cpu
    fi
    "$PY" -c "import PyInstaller" 2>/dev/null || "${PIP[@]}" install pyinstaller
    # The built-in U²-Netp runs on onnxruntime from an ONNX export made by torch.onnx on first
    # use, and torch.onnx needs the onnx package; without it the model falls back to torch.
    "$PY" -c "import onnx" 2>/dev/null || "${PIP[@]}" install onnx

    log "installing segstudio $VERSION (not editable) into $VENV"
    SRC="$OUT/src"
    rm -rf "$SRC" && mkdir -p "$SRC"
    cp -r "$ROOT/segstudio" "$ROOT/pyproject.toml" "$ROOT/README.md" "$ROOT/MANIFEST.in" "$ROOT/CHANGELOG.md" "$SRC/"
    find "$SRC" -name __pycache__ -prune -exec rm -rf {} +
    "${PIP[@]}" install --force-reinstall --no-deps "$SRC"
    "${PIP[@]}" install "$SRC"  # the dependencies, once (already satisfied afterwards)

    log "PyInstaller"
    rm -rf "$BUNDLE"
    t0=$(date +%s)
    (cd "$OUT" && "$PY" -m PyInstaller --noconfirm --log-level WARN \
        --distpath "$DIST" --workpath "$OUT/work" "$ROOT/packaging/segstudio.spec")
    echo "built in $(( $(date +%s) - t0 )) s"
fi

[ -d "$BUNDLE" ] || { echo "no bundle at $BUNDLE" >&2; exit 1; }
EXE="$BUNDLE/segstudio"
[ -x "$EXE" ] || EXE="$BUNDLE/segstudio.exe"

log "smoke test of $BUNDLE"
HOME_TMP="$(mktemp -d)"
trap 'rm -rf "$HOME_TMP"' EXIT
# A minimal environment: nothing from the build venv or this shell can leak into the bundle.
RUN=(env -i "PATH=/usr/bin:/bin" "HOME=$HOME_TMP" "QT_QPA_PLATFORM=offscreen" "LANG=C.UTF-8"
     "SEGSTUDIO_DATA_DIR=$HOME_TMP/data" "SEGSTUDIO_LOG_DIR=$HOME_TMP/logs")
cd "$HOME_TMP"
fail=0
check() {  # check NAME COMMAND...: run, show the tail, remember failures
    local name="$1"; shift
    local t0 rc
    t0=$(date +%s%N)
    if "$@" >"$HOME_TMP/out.txt" 2>&1; then rc=0; else rc=$?; fi
    printf '%-34s rc=%d  %d ms\n' "$name" "$rc" "$(( ($(date +%s%N) - t0) / 1000000 ))"
    if [ "$rc" != 0 ]; then tail -n 30 "$HOME_TMP/out.txt" | sed 's/^/    /'; fail=1; fi
}
check "--version" "${RUN[@]}" "$EXE" --version
grep -q "segstudio $VERSION" "$HOME_TMP/out.txt" || { echo "    wrong version: $(cat "$HOME_TMP/out.txt")"; fail=1; }
check "--help" "${RUN[@]}" "$EXE" --help
if grep -qE '^\s+models\b' "$HOME_TMP/out.txt"; then
    check "models" "${RUN[@]}" "$EXE" models
fi
check "open --sample --quit-after 1" "${RUN[@]}" "$EXE" open --sample --quit-after 1
check "--bundle-smoke-test" "${RUN[@]}" "$EXE" --bundle-smoke-test
grep '^smoke:' "$HOME_TMP/out.txt" | sed 's/^/    /' || true
if ls "$HOME_TMP"/.cache/segstudio/onnx/*.onnx >/dev/null 2>&1; then
    echo "    built-in model ran on onnxruntime (ONNX export cached in the user cache)"
else
    echo "    built-in model ran on torch (no ONNX export was made)"
fi
check "install-desktop (command)" "${RUN[@]}" "$EXE" install-desktop --prefix "$HOME_TMP/prefix-cmd"
grep -q "^Exec=$EXE open %f" "$HOME_TMP/prefix-cmd/share/applications/io.github.segstudio.SegStudio.desktop" \
    || { echo "    the menu entry does not run the bundle"; fail=1; }
if [ -f "$BUNDLE/install-desktop.sh" ]; then
    check "install-desktop.sh" "${RUN[@]}" bash "$BUNDLE/install-desktop.sh" --prefix "$HOME_TMP/prefix"
    [ -f "$HOME_TMP/prefix/share/applications/io.github.segstudio.SegStudio.desktop" ] || fail=1
fi

log "size"
du -sh "$BUNDLE" | sed 's/^/bundle: /'
du -sh "$BUNDLE"/_internal/* 2>/dev/null | sort -rh | sed -n 1,8p | sed 's/^/    /'
if [ "$ARCHIVE" = 1 ]; then
    ARCH="$OUT/SegStudio-$VERSION-$(uname -s | tr A-Z a-z)-$(uname -m).tar.gz"
    tar -C "$DIST" -czf "$ARCH" SegStudio
    du -sh "$ARCH" | sed 's/^/archive: /'
fi
if [ "$fail" != 0 ]; then echo "SMOKE TEST FAILED"; exit 1; fi
echo "SMOKE TEST PASSED"
