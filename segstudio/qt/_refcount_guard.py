"""Guard against a PySide6 6.12.0 + CPython 3.11 reference-count bug.

`pyproject.toml` excludes that release; the guard is for an environment that has it anyway
(a distribution's package).  It is armed only when PySide6 6.12.0 is the version loaded.

Measured with PySide6 6.12.0 on Python 3.11: every call of a
PySide6 method that returns None (QPainter.drawImage, QLabel.setText, ...)
returns it without a new reference, so each call costs None one reference, and
boolean results do the same to True/False.  After a few thousand calls CPython
aborts with "Fatal Python error: none_dealloc".  CPython 3.12+ makes these
objects immortal, which hides the bug there.

The guard detects the leak with a probe call and, only when present, raises the
reference counts of None/True/False far out of reach (they are never freed in a
correct program, so extra references are harmless); `top_up()` is cheap and the
main window calls it periodically.
"""

from __future__ import annotations

import ctypes
import sys

BAD_RELEASE = "6.12.0"
_HEADROOM = 1 << 40
_LOW_WATER = 1 << 36
_active = False


def _leaks() -> bool:
    from PySide6.QtCore import QObject

    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(64):
        obj.setObjectName("probe")
    return sys.getrefcount(None) < before - 32


def top_up() -> None:
    """Restore headroom if the counts have drifted low (no-op when the bug is absent)."""
    if not _active:
        return
    for obj in (None, True, False):
        cell = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the first field
        if cell.value < _LOW_WATER:
            cell.value += _HEADROOM


def install() -> bool:
    """Activate the guard if PySide6 6.12.0 is loaded and leaks; returns whether it is active."""
    global _active
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    import PySide6

    if PySide6.__version__ != BAD_RELEASE:
        return False
    if _active or _leaks():
        _active = True
        top_up()
    return _active
