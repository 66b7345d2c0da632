"""The guard against the PySide6 None/True/False reference leak keeps long sessions alive."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel

from segstudio.qt import _refcount_guard


def test_many_void_calls_do_not_exhaust_none(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    armed = _refcount_guard.install()
    for _ in range(20_000):  # without the guard, PySide6 6.12 on 3.11 would abort here
        label.setText("x")
        label.isVisible()
    _refcount_guard.top_up()
    if armed:
        assert sys.getrefcount(None) > 1 << 35
    assert label.text() == "x"
