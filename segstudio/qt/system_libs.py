"""System libraries Qt's X11 (xcb) window plugin needs on Linux, and the one line that installs them.

A fresh Debian or Ubuntu lacks some of them (libxcb-icccm4, libxcb-keysyms1, libxcb-cursor0 ...);
Qt then aborts with "could not load the Qt platform plugin xcb".  `scripts/setup.sh` and the app
check first and say what to install.  `python -m segstudio.qt.system_libs` prints the check.
"""

from __future__ import annotations

import ctypes
import os
import sys

# soname Qt's xcb plugin loads -> the Debian/Ubuntu package that ships it
XCB_LIBS = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}


def _loadable(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_packages(loadable=_loadable) -> list[str]:
    """Debian packages of the xcb libraries that cannot be loaded (empty off Linux)."""
    if not sys.platform.startswith("linux"):
        return []
    return [pkg for soname, pkg in XCB_LIBS.items() if not loadable(soname)]


def uses_xcb(environ=os.environ) -> bool:
    """Whether Qt will open its X11 plugin: a display, and no other platform chosen."""
    platform = environ.get("QT_QPA_PLATFORM", "")
    if platform:
        return platform.startswith("xcb")
    return bool(environ.get("DISPLAY")) and not environ.get("WAYLAND_DISPLAY")


def install_hint(packages: list[str]) -> str:
    return ("SegStudio's window needs system libraries that are missing: "
            f"sudo apt-get install {' '.join(packages)}   (Debian/Ubuntu; other systems: the same xcb libraries)")


def main() -> int:
    missing = missing_packages()
    print(install_hint(missing) if missing else "system libraries for the window: all present")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
