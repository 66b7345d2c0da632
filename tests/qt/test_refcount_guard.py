"""The guard against the PySide6 6.12.0 None/True/False reference leak: armed only for that
release, never as a side effect of importing the GUI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import PySide6
from PySide6.QtWidgets import QLabel

from segstudio.qt import _refcount_guard

ROOT = Path(__file__).resolve().parents[2]


def test_many_void_calls_do_not_exhaust_none(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    armed = _refcount_guard.install()
    assert armed == (PySide6.__version__ == _refcount_guard.BAD_RELEASE and _refcount_guard._leaks())
    for _ in range(20_000):  # without the guard, PySide6 6.12.0 on 3.11 would abort here
        label.setText("x")
        label.isVisible()
    _refcount_guard.top_up()
    if armed:
        assert sys.getrefcount(None) > 1 << 35
    assert label.text() == "x"


def test_other_releases_are_not_probed(monkeypatch):
    probes = []
    monkeypatch.setattr(_refcount_guard, "_leaks", lambda: probes.append(1) or True)
    monkeypatch.setattr(PySide6, "__version__", "6.11.3")
    assert _refcount_guard.install() is False and probes == []


def test_importing_the_gui_arms_nothing():
    code = ("import sys; import segstudio.qt.main_window, segstudio.qt.canvas; "
            "from segstudio.qt import _refcount_guard as g; print(g._active, sys.getrefcount(None) < 1 << 35)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]
