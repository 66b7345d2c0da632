"""Who is working: the user name every change is recorded under, and this session's id.

The name comes from `SEGSTUDIO_USER`, else the operating system's login name; the app and the
CLI may change it for the process (`set_user_name`, `segstudio --user NAME ...`).  It is a
label for people, not a credential: what a user may do is the database role's business
(docs/scale.md).
"""

from __future__ import annotations

import getpass
import os
import re
import socket
import uuid

_NAME = re.compile(r"^[^\x00-\x1f]{1,64}$")
_user: str | None = None
SESSION = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def default_user_name() -> str:
    name = os.environ.get("SEGSTUDIO_USER", "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers)
        return f"uid{os.getuid()}" if hasattr(os, "getuid") else "user"


def user_name() -> str:
    return _user or default_user_name()


def set_user_name(name: str | None) -> None:
    """Record this process's changes under `name` (None: the default again)."""
    global _user
    if name is not None:
        name = name.strip()
        if not _NAME.match(name):
            raise ValueError(f"{name!r}: a user name is 1-64 printable characters")
    _user = name or None
