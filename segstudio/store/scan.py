"""Finding images in a folder for a new project: recursive, natural order, with reasons for skips."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from segstudio.core.image_header import IMAGE_EXTENSIONS, HeaderError, read_header

VIDEO_EXTENSIONS = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v"}
IGNORED_DIRS = {".git", "__pycache__", ".segstudio", ".venv", "node_modules"}


def natural_key(text: str) -> list:
    """'img2' < 'img10'; case-insensitive."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", text)]


@dataclass(frozen=True)
class FoundImage:
    path: Path
    width: int
    height: int


@dataclass
class ScanReport:
    found: list[FoundImage] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    videos: list[Path] = field(default_factory=list)


def scan_folder(folder: str | Path, *, probe: bool = True) -> ScanReport:
    root = Path(folder)
    if not root.exists():
        raise FileNotFoundError(f"{root}: folder not found")
    if not root.is_dir():
        raise NotADirectoryError(f"{root}: not a folder")
    report = ScanReport()
    paths: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in IGNORED_DIRS and not d.startswith(".")]
        for name in filenames:
            paths.append(Path(dirpath) / name)
    paths.sort(key=lambda p: natural_key(p.relative_to(root).as_posix()))
    for p in paths:
        ext = p.suffix.lower()
        if ext in VIDEO_EXTENSIONS:
            report.videos.append(p)
            continue
        if ext not in IMAGE_EXTENSIONS:
            if ext not in {".db", ".db-wal", ".db-shm", ".json", ".txt", ".yaml", ".yml", ".md"}:
                report.skipped.append((p, f"not an image type ({ext or 'no extension'})"))
            continue
        if not probe:
            report.found.append(FoundImage(p, 0, 0))
            continue
        try:
            header = read_header(p)
        except (HeaderError, OSError) as e:
            report.skipped.append((p, str(e)))
            continue
        report.found.append(FoundImage(p, header.width, header.height))
    return report
