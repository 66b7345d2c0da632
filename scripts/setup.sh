#!/usr/bin/env bash
# Create ./.venv and install SegStudio with its test tools (and the PostgreSQL driver and Ray,
# which the tests use; the PostgreSQL *server* for the tests comes from .ci/run or your system).
# Where pip can find the CPU build torch==2.13.0 without an index (a local wheel via
# pip's find-links, as on our build machines), it is installed first so no CUDA build is
# pulled; everywhere else pip resolves the normal `torch` requirement (CUDA where available).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
    # --no-index: only pip's find-links are searched, so this finds a local wheel or nothing.
    wheeldir=$(mktemp -d)
    if "${PIP[@]}" download --no-index --no-deps "torch==2.13.0" -d "$wheeldir" >/dev/null 2>&1; then
        "${PIP[@]}" install "$wheeldir"/torch-*.whl
        echo "setup: installed the local CPU build of torch 2.13.0"
    else
        echo "setup: no local torch wheel; torch comes from the package index"
    fi
    rm -rf "$wheeldir"
fi
# postgres, cluster, remote: the tests run the store on PostgreSQL, batch jobs on a local Ray
# cluster and images by URL from a server on 127.0.0.1
"${PIP[@]}" install -e ".[dev,postgres,cluster,remote]"
# fast (optional): numba for the compiled polygon kernels (io/polygon_jit.py), compiled once here
# (~7 s) so the first large import does not wait for it; where numba has no build for this
# Python or platform, imports run the numpy code (same results, slower) and setup goes on
if "${PIP[@]}" install -e ".[fast]"; then
    .venv/bin/python -c "from segstudio.io import polygon_jit; polygon_jit.warm()"
else
    echo "setup: numba is not available here; polygon imports use numpy (same results, slower)"
fi
.venv/bin/python -c "import segstudio, torch; print('setup: segstudio', segstudio.__version__, '| torch', torch.__version__)"
# The window needs X11 libraries that a fresh Debian/Ubuntu may lack: name them (one apt-get line).
if [ "$(uname -s)" = Linux ]; then
    .venv/bin/python -m segstudio.qt.system_libs | grep -v "all present" || true
fi
