"""Preferences and window layout in QSettings; SEGSTUDIO_SETTINGS=<file.ini> redirects them (tests)."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 10


def app_settings() -> QSettings:
    path = os.environ.get("SEGSTUDIO_SETTINGS")
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings("SegStudio", "SegStudio")


def recent_projects(settings: QSettings) -> list[str]:
    value = settings.value("recent_projects", [])
    if isinstance(value, str):
        value = [value]
    return [p for p in (value or []) if isinstance(p, str)]


def add_recent_project(settings: QSettings, root: Path | str) -> list[str]:
    """`root`: a project folder, or a shared project's URL (never holding a password)."""
    root_s = root if isinstance(root, str) else str(Path(root).resolve())
    items = [root_s] + [p for p in recent_projects(settings) if p != root_s]
    items = items[:MAX_RECENT]
    settings.setValue("recent_projects", items)
    return items


def value(settings: QSettings, key: str, default, kind=None):
    """Typed read that survives INI round trips (which turn numbers and bools into strings)."""
    v = settings.value(key, default)
    if kind is bool:
        return v if isinstance(v, bool) else str(v).lower() in ("1", "true", "yes")
    if kind is not None:
        try:
            return kind(v)
        except (TypeError, ValueError):
            return default
    return v
