"""The project store: one SQLite database per project folder (see docs/decisions)."""

from segstudio.store.errors import DatabaseError
from segstudio.store.locking import ProjectLocked
from segstudio.store.project import ImageRecord, Project, ProjectError

__all__ = ["DatabaseError", "ImageRecord", "Project", "ProjectError", "ProjectLocked"]
