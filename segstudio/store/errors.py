"""Errors of the project store (a module of its own so the locking code can share them)."""

from __future__ import annotations

import sqlite3

# Any failure of the database itself (locked, read-only, disk full, corrupt, interrupted):
# what callers outside the store catch, so none of them names the database engine.
DatabaseError = sqlite3.Error


class ProjectError(Exception):
    """A project cannot be created or opened; the message names the path and the problem."""
