"""The GUI (PySide6).  Importing it arms a guard against a PySide6 reference-count bug."""

from segstudio.qt import _refcount_guard

_refcount_guard.install()
