"""The check that names the X11 libraries Qt's window plugin needs (Qt aborts without them)."""

from __future__ import annotations

import sys

import pytest

from segstudio.qt import system_libs


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb plugin is Linux-only")
def test_missing_libraries_are_named_with_their_package():
    missing = system_libs.missing_packages(loadable=lambda so: so not in ("libxcb-icccm.so.4", "libxcb-keysyms.so.1"))
    assert missing == ["libxcb-icccm4", "libxcb-keysyms1"]
    hint = system_libs.install_hint(missing)
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in hint
    assert system_libs.missing_packages(loadable=lambda so: True) == []


def test_only_an_x11_start_is_checked():
    assert system_libs.uses_xcb({"DISPLAY": ":0"})
    assert not system_libs.uses_xcb({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"})
    assert not system_libs.uses_xcb({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"})
    assert system_libs.uses_xcb({"QT_QPA_PLATFORM": "xcb"})
    assert not system_libs.uses_xcb({})


def test_the_app_warns_before_qt_aborts(monkeypatch, capsys):
    from segstudio.qt import app

    monkeypatch.setattr(app, "uses_xcb", lambda: True)
    monkeypatch.setattr(app, "missing_packages", lambda: ["libxcb-cursor0"])
    monkeypatch.setattr(app.QApplication, "instance", staticmethod(lambda: None))
    app.warn_missing_system_libs()
    assert "apt-get install libxcb-cursor0" in capsys.readouterr().err
