"""The lower layers type-check: mypy over core, store, io and eval (`[tool.mypy]` in
pyproject.toml says which packages and how strictly)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_core_store_io_and_eval_type_check():
    r = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary"], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert "No module named mypy" not in r.stderr, "mypy is part of the dev extras (scripts/setup.sh)"
    assert r.returncode == 0, r.stdout + r.stderr
