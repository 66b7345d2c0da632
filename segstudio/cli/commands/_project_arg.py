"""How a CLI command opens the project it was given: a project that cannot be opened is a
one-line usage error (exit 2) naming the path and the problem."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from segstudio.cli.main import CliError

if TYPE_CHECKING:
    from segstudio.store import Project


def open_project(path: Path | str, create: bool = False) -> Project:
    """The project at `path` (a folder or a postgresql:// URL); `create`: a new one where none is."""
    from segstudio.store import Project, ProjectError

    try:
        if create and not Project.is_project(path):
            return Project.create(path)
        return Project.open(path)
    except ProjectError as e:
        raise CliError(str(e)) from None
