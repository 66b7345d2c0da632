"""The project store: one SQLite database per project folder (see docs/decisions)."""

from segstudio.store.locking import ProjectLocked
from segstudio.store.project import ImageRecord, Project, ProjectError

__all__ = ["ImageRecord", "Project", "ProjectError", "ProjectLocked"]
