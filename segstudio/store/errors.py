"""Errors of the project store (a module of its own so the locking code can share them)."""

from __future__ import annotations


class ProjectError(Exception):
    """A project cannot be created or opened; the message names the path and the problem."""
