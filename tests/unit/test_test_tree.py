"""The test tree mirrors the packages, and `tests/unit` runs without Qt (`tests/qt` has the GUI)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "tests" / "unit"
PACKAGES = {p.name for p in (ROOT / "segstudio").iterdir() if (p / "__init__.py").is_file()}
QT_USE = re.compile(r"^\s*(from|import)\s+(PySide6|pytestqt|segstudio\.qt)\b|\bqtbot\b", re.M)


def test_each_unit_test_folder_is_named_after_a_package():
    folders = {p.name for p in UNIT.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders <= PACKAGES, f"not a segstudio package: {sorted(folders - PACKAGES)}"


def test_unit_tests_never_use_qt():
    offenders = [str(p.relative_to(ROOT)) for p in UNIT.rglob("*.py") if QT_USE.search(p.read_text("utf-8"))]
    assert offenders == [], f"Qt in tests/unit (move them to tests/qt): {offenders}"
