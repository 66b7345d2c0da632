"""Every file and folder dialog of the app, and where it starts.

A dialog starts in the last folder used for its *kind* (remembered in the settings under
`dialog_folders/<kind>`), else in a folder its caller suggests (a project's `models/`), else in
the open project's folder, else in the home folder: never in the process's working directory,
which is wherever the app happened to be started from.  The main window tells this module which
project is open (`set_project_folder`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from segstudio.qt.settings import app_settings

_project_folder: Path | None = None


def set_project_folder(folder: str | Path | None) -> None:
    """The open project's folder (None: no project, or one without a local folder)."""
    global _project_folder
    _project_folder = Path(folder) if folder is not None else None


def start_folder(kind: str, suggested: str | Path | None = None) -> Path:
    remembered = app_settings().value(f"dialog_folders/{kind}", "")
    for candidate in (remembered, suggested, _project_folder):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return Path.home()


def remember(kind: str, chosen: str) -> None:
    """Keep the folder of `chosen` (a file or a folder) as the next start of `kind`."""
    if not chosen:
        return
    path = Path(chosen)
    folder = path if path.is_dir() else path.parent
    app_settings().setValue(f"dialog_folders/{kind}", str(folder))


def open_file(parent: QWidget | None, kind: str, title: str, filters: str = "",
              suggested: str | Path | None = None) -> str:
    """A file to read; "" when cancelled."""
    path, _ = QFileDialog.getOpenFileName(parent, title, str(start_folder(kind, suggested)), filters)
    remember(kind, path)
    return path


def save_file(parent: QWidget | None, kind: str, title: str, name: str = "", filters: str = "") -> str:
    """A file to write, proposed as `name` in the start folder; "" when cancelled."""
    start = start_folder(kind)
    path, _ = QFileDialog.getSaveFileName(parent, title, str(start / name) if name else str(start), filters)
    remember(kind, path)
    return path


def choose_folder(parent: QWidget | None, kind: str, title: str) -> str:
    """A folder; "" when cancelled."""
    path = QFileDialog.getExistingDirectory(parent, title, str(start_folder(kind)))
    remember(kind, path)
    return path
