"""The bundled sample project: a few freely licensed images, created on first use."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from segstudio.store.project import Project

SAMPLES = Path(__file__).resolve().parent.parent / "resources" / "samples"
SAMPLE_CATEGORIES = [("cat", (230, 120, 40)), ("cup", (60, 160, 230)), ("person", (220, 60, 120)), ("coin", (240, 200, 40))]


def user_data_dir() -> Path:
    base = os.environ.get("SEGSTUDIO_DATA_DIR") or os.environ.get("XDG_DATA_HOME")
    root = Path(base) if base else Path.home() / ".local" / "share"
    return root if os.environ.get("SEGSTUDIO_DATA_DIR") else root / "segstudio"


def ensure_sample_project(dest: Path | None = None) -> Path:
    """Copy the sample images to a writable folder and make a project there (once)."""
    dest = dest or user_data_dir() / "sample-project"
    if Project.is_project(dest):
        return dest
    images = dest / "images"
    images.mkdir(parents=True, exist_ok=True)
    for src in sorted(SAMPLES.iterdir()):
        if src.suffix.lower() in {".jpg", ".png"}:
            shutil.copy2(src, images / src.name)
    with Project.create(dest) as project:
        project.add_folder(images)
        for name, color in SAMPLE_CATEGORIES:
            project.add_category(name, color)
    return dest
