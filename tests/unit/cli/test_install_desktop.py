"""`segstudio install-desktop`: the desktop files of a wheel install, registered for the user."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from segstudio.cli.commands import install_desktop
from segstudio.cli.main import main

ROOT = Path(__file__).resolve().parents[3]
APP_ID = install_desktop.APP_ID


def _entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux desktop files")
def test_install_and_uninstall_for_a_prefix(tmp_path, capsys):
    exe = tmp_path / "my venv" / "bin" / "segstudio"
    assert main(["install-desktop", "--prefix", str(tmp_path), "--exec", f"'{exe}'"]) == 0
    share = tmp_path / "share"
    paths = install_desktop.installed_paths(share)
    assert all(p.is_file() for p in paths)
    entry = _entry(share / "applications" / f"{APP_ID}.desktop")
    assert entry["Exec"] == f'"{exe}" open %f' and entry["TryExec"] == str(exe)
    assert (share / "icons" / "hicolor" / "48x48" / "apps" / f"{APP_ID}.png").read_bytes() == (
        ROOT / "segstudio" / "resources" / "icons" / "app" / "segstudio-48.png").read_bytes()
    if shutil.which("desktop-file-validate"):
        proc = subprocess.run(["desktop-file-validate", str(share / "applications" / f"{APP_ID}.desktop")],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout
    assert "added to the desktop menu" in capsys.readouterr().out

    assert main(["install-desktop", "--prefix", str(tmp_path), "--uninstall"]) == 0
    assert not any(p.exists() for p in paths)


def test_exec_quoting_follows_the_desktop_entry_spec():
    template = "[Desktop Entry]\nExec=segstudio open %f\nTryExec=segstudio\n"
    text = install_desktop.desktop_entry(template, ["/opt/a b/segstudio"])
    assert 'Exec="/opt/a b/segstudio" open %f' in text and "TryExec=/opt/a b/segstudio" in text
    text = install_desktop.desktop_entry(template, ["/usr/bin/python3", "-m", "segstudio"])
    assert "Exec=/usr/bin/python3 -m segstudio open %f" in text
    text = install_desktop.desktop_entry(template, ['/x/$HOME"q'])
    assert 'Exec="/x/\\\\$HOME\\\\"q" open %f' in text  # \$ and \" in the arg, each \ doubled in the file


def test_refuses_elsewhere_than_linux(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(sys, "platform", "win32")
    assert main(["install-desktop", "--prefix", str(tmp_path)]) == 2
    assert "for Linux desktops" in capsys.readouterr().err
    assert not (tmp_path / "share").exists()


def test_resource_copies_match_packaging_linux():
    """segstudio/resources/desktop is a copy made by packaging/make_icons.py: keep it current."""
    for name in (f"{APP_ID}.desktop", f"{APP_ID}.metainfo.xml", f"{APP_ID}.mime.xml"):
        src = ROOT / "packaging" / "linux" / name
        copy = ROOT / "segstudio" / "resources" / "desktop" / name
        assert copy.read_bytes() == src.read_bytes(), f"run packaging/make_icons.py ({name} differs)"
