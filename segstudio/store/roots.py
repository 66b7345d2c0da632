"""Where this machine keeps a shared project's images: one folder per (project, root name).

A PostgreSQL project stores image paths relative to a named root ("images" unless said
otherwise); each user maps that root to a folder on their machine once (the shared folder's
mount point: `/mnt/team/cats` here, `Z:\\cats` there).  The map is a small JSON file in the
user's config folder, keyed by the project's URL without its password.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

DEFAULT_ROOT = "images"


def roots_file() -> Path:
    base = os.environ.get("SEGSTUDIO_CONFIG_DIR")
    if base:
        return Path(base) / "image_roots.json"
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(xdg) / "segstudio" / "image_roots.json"


def _load() -> dict[str, dict[str, str]]:
    try:
        data = json.loads(roots_file().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def mapped_root(project: str, name: str = DEFAULT_ROOT) -> Path | None:
    folder = _load().get(project, {}).get(name)
    return Path(folder) if folder else None


def map_root(project: str, folder: str | Path, name: str = DEFAULT_ROOT) -> None:
    """Remember that `name` of `project` is `folder` on this machine (written atomically)."""
    data = _load()
    data.setdefault(project, {})[name] = str(Path(folder).resolve())
    path = roots_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)
