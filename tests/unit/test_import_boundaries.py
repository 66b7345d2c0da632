"""Layering is checked by tools: import-linter contracts, and start-up never imports torch."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_linter_contracts_are_kept():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert exe, "import-linter is part of the dev extras"
    r = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


PROBE = """
import sys, importlib, pkgutil
import segstudio.io, segstudio.qt.main_window, segstudio.store, segstudio.cli.main
for info in pkgutil.walk_packages(segstudio.io.__path__, 'segstudio.io.'):
    importlib.import_module(info.name)
segstudio.cli.main.build_parser()
heavy = sorted(m for m in ('torch', 'onnxruntime') if m in sys.modules)
print(','.join(heavy))
"""


def test_gui_formats_and_cli_do_not_import_torch():
    r = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "", f"imported at start-up: {r.stdout.strip()}"
