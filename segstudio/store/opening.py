"""Opening a project's database: the SQLite file in a project folder, or a shared project in
PostgreSQL (store.pg_project) with its image folder on this machine (store.roots)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from segstudio.store.errors import ProjectError
from segstudio.store.location import DatabaseLocation, parse_database_url
from segstudio.store.locking import default_wait
from segstudio.store.schema import migrate

DB_NAME = "segstudio.db"

# image folder -> the shared project this process opened with it: `Project.open(project.root)`
# (how threads and features open their own connection) reopens that project
SHARED_ROOTS: dict[Path, DatabaseLocation] = {}


def connect_sqlite(root: Path, *, create: bool, durable: bool) -> sqlite3.Connection:
    """The connection to `root`'s project database (made when `create`), migrated to the
    current schema; a missing or unreadable one raises ProjectError naming it."""
    db = root / DB_NAME
    if not create and not db.is_file():
        if not root.exists():
            raise ProjectError(f"{root}: no such folder")
        raise ProjectError(f"{root}: not a SegStudio project (no {DB_NAME}; use 'segstudio init')")
    try:
        # A statement outside `transaction()` waits inside SQLite as long as a transaction
        # would wait for the lock, then fails with OperationalError ('database is locked').
        conn = sqlite3.connect(db, isolation_level=None, timeout=default_wait(),
                               check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        conn.execute("PRAGMA foreign_keys=ON")
        migrate(conn)
    except sqlite3.DatabaseError as e:
        raise ProjectError(f"{db}: not a readable SegStudio database ({e})") from None
    except RuntimeError as e:
        raise ProjectError(f"{db}: {e}") from None
    return conn


def connect_shared(url: str, location: DatabaseLocation | None, *, create: bool,
                   image_root: str | Path | None) -> tuple[Path, Any, DatabaseLocation, bool]:
    """(image folder, connection, location, read only) of the shared project `url` names; the
    image folder is `image_root`, else the one this machine has mapped for it (remembered when
    a project is created with one)."""
    from segstudio.store.pg_project import may_write, open_database
    from segstudio.store.roots import map_root, mapped_root

    location = location or parse_database_url(url)
    if image_root is None:
        image_root = mapped_root(location.display)
    elif create:
        map_root(location.display, image_root)
    if image_root is None:
        raise ProjectError(
            f"{location.display}: this machine does not know where the project's images are; "
            "say it once with --images FOLDER (remembered per project)")
    conn = open_database(location, create=create)
    read_only = not may_write(conn)
    SHARED_ROOTS[Path(image_root).resolve()] = location  # in memory only
    return Path(image_root), conn, location, read_only
