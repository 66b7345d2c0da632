"""Start-up stays light: the whole app start (every feature installed, the sample project open,
the window shown) loads neither torch nor onnxruntime; models load on first use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from segstudio.qt.app import run_app
rc = run_app(sample=True, quit_after=0.2)
heavy = sorted(m for m in ("torch", "onnxruntime", "torchvision") if m in sys.modules)
print("HEAVY=" + ",".join(heavy))
sys.exit(rc)
"""


def test_app_start_does_not_import_torch(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(QT_QPA_PLATFORM="offscreen", SEGSTUDIO_DATA_DIR=str(tmp_path / "data"),
               SEGSTUDIO_LOG_DIR=str(tmp_path / "logs"), HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith("HEAVY=")]
    assert line == ["HEAVY="], f"loaded at start-up: {line}; stderr: {proc.stderr[-2000:]}"
    assert (tmp_path / "data" / "sample-project" / "segstudio.db").is_file()
    assert (tmp_path / "logs" / "segstudio.log").is_file()  # the crash handler's app log is on
