"""Schema and migrations of a project, one history for both back ends.

SQLite (`segstudio.db`): `PRAGMA user_version` is the schema version; each migration (an SQL
script, or a function of the connection where data must be computed) runs in one transaction,
so an interrupted upgrade leaves the previous version intact.  PostgreSQL (a shared project):
the same scripts, rewritten by `store.pg_sql` (identity ids, 8-byte floats), all pending steps
in one transaction under the project's advisory lock (two clients opening a project at once
migrate it once); the version is the one row of `schema_version`."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from segstudio.store.orientation_fix import migrate_displayed_sizes

MIGRATIONS: list[str | Callable[[sqlite3.Connection], None]] = [
    # 1: the initial schema
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE images (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'new',
        split TEXT,
        kind TEXT NOT NULL DEFAULT 'image',
        frame_count INTEGER NOT NULL DEFAULT 1,
        fps REAL,
        review_status TEXT,
        added_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX images_status ON images(status);
    CREATE TABLE categories (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        color TEXT NOT NULL,
        supercategory TEXT,
        position INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE label_sets (
        name TEXT PRIMARY KEY,
        kind TEXT NOT NULL DEFAULT 'prediction',
        source TEXT,
        created_at REAL NOT NULL,
        meta TEXT NOT NULL DEFAULT '{}'
    );
    INSERT INTO label_sets(name, kind, source, created_at) VALUES ('gt', 'ground_truth', 'manual', 0);
    CREATE TABLE tracks (
        id INTEGER PRIMARY KEY,
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        category_id INTEGER,
        name TEXT
    );
    CREATE TABLE instances (
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        frame INTEGER NOT NULL DEFAULT 0,
        label_set TEXT NOT NULL DEFAULT 'gt',
        id INTEGER NOT NULL,
        category_id INTEGER NOT NULL,
        rle TEXT NOT NULL,
        y0 INTEGER NOT NULL, x0 INTEGER NOT NULL, h INTEGER NOT NULL, w INTEGER NOT NULL,
        bbox_x INTEGER NOT NULL, bbox_y INTEGER NOT NULL,
        bbox_w INTEGER NOT NULL, bbox_h INTEGER NOT NULL,
        area INTEGER NOT NULL,
        z INTEGER NOT NULL,
        source TEXT NOT NULL,
        score REAL,
        attributes TEXT NOT NULL DEFAULT '{}',
        track_id INTEGER,
        crowd INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (image_id, frame, label_set, id)
    );
    CREATE INDEX instances_category ON instances(category_id);
    CREATE TABLE model_runs (
        id INTEGER PRIMARY KEY,
        model_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        params TEXT NOT NULL DEFAULT '{}',
        status TEXT NOT NULL DEFAULT 'running',
        created_at REAL NOT NULL,
        finished_at REAL,
        metrics TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE training_runs (
        id INTEGER PRIMARY KEY,
        template TEXT NOT NULL,
        hyperparams TEXT NOT NULL DEFAULT '{}',
        data_snapshot TEXT NOT NULL DEFAULT '{}',
        status TEXT NOT NULL DEFAULT 'running',
        created_at REAL NOT NULL,
        finished_at REAL,
        metrics TEXT NOT NULL DEFAULT '[]',
        artefacts TEXT NOT NULL DEFAULT '{}'
    );
    """,
    # 2: ignore-region categories; the shape an instance was drawn as (JSON, see core.drawn)
    """
    ALTER TABLE categories ADD COLUMN ignore_region INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE instances ADD COLUMN shape TEXT;
    """,
    # 3: EXIF-rotated JPEG/TIFF images get their displayed size (masks cut to it)
    migrate_displayed_sizes,
    # 4: teams (docs/scale.md): who changed an instance or a status and when; each instance's
    # revision (a write based on an older one is refused); leases on open images
    lambda conn: _team_columns(conn),  # defined below
    # 5: roles (store/team.py): members and their roles, who an image is assigned to, reviews
    lambda conn: _team_roles(conn),
]

SCHEMA_VERSION = len(MIGRATIONS)


def _add_columns(conn, table: str, columns: dict[str, str]) -> None:
    """ALTER TABLE ADD COLUMN for the columns `table` lacks (a step that ran before is a no-op:
    tests and tools that rewind the version re-run later steps)."""
    have = {d[0] for d in conn.execute(f"SELECT * FROM {table} LIMIT 0").description}
    for name, decl in columns.items():
        if name not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")


def _team_roles(conn) -> None:
    _add_columns(conn, "images", {"assignee": "TEXT"})
    conn.execute("CREATE INDEX IF NOT EXISTS images_assignee ON images(assignee)")
    conn.execute("""
        CREATE TABLE IF NOT EXISTS members (
            user_name TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            added_at REAL NOT NULL
        )""")
    conn.execute("""
        CREATE TABLE IF NOT EXISTS reviews (
            id INTEGER PRIMARY KEY,
            image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
            reviewer TEXT NOT NULL,
            decision TEXT NOT NULL,
            comment TEXT NOT NULL DEFAULT '',
            annotator TEXT,
            created_at REAL NOT NULL
        )""")
    conn.execute("CREATE INDEX IF NOT EXISTS reviews_image ON reviews(image_id)")
    if getattr(conn, "dialect", "sqlite") == "postgresql":  # other users' changes, pushed
        from segstudio.store.changes import TRIGGERS_SQL

        conn.raw.execute(TRIGGERS_SQL)


def _team_columns(conn) -> None:
    _add_columns(conn, "instances", {"rev": "INTEGER NOT NULL DEFAULT 1", "updated_by": "TEXT",
                                     "updated_at": "REAL"})
    _add_columns(conn, "images", {"status_by": "TEXT", "status_at": "REAL"})
    conn.execute("""
        CREATE TABLE IF NOT EXISTS leases (
            image_id INTEGER NOT NULL PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
            user_name TEXT NOT NULL,
            session TEXT NOT NULL,
            taken_at REAL NOT NULL,
            expires_at REAL NOT NULL
        )""")
    # (PostgreSQL's change triggers come with step 5, which adds a column they watch)


def _check(found: int) -> None:
    if found > SCHEMA_VERSION:
        raise RuntimeError(
            f"database schema {found} is newer than this SegStudio understands ({SCHEMA_VERSION}); "
            "upgrade SegStudio"
        )


def _run_step(conn, version: int) -> None:
    step = MIGRATIONS[version]
    if callable(step):
        step(conn)
    else:
        for statement in _split(step):
            conn.execute(statement)


def migrate_shared(conn) -> int:
    """PostgreSQL: every pending step in one transaction under the project's lock (nothing
    at all when the project is current: a read-only role opens it too)."""
    from segstudio.store.pg_project import lock_space, schema_version

    found = schema_version(conn)
    _check(found)
    if found == SCHEMA_VERSION:
        return found
    conn.execute("BEGIN")
    try:
        conn.execute(f"SELECT pg_advisory_xact_lock({lock_space(conn.schema)}, -1)")
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        found = schema_version(conn)  # another client may have migrated meanwhile
        if not conn.execute("SELECT 1 FROM schema_version").fetchone():
            conn.execute("INSERT INTO schema_version VALUES (0)")
        _check(found)
        for version in range(found, SCHEMA_VERSION):
            _run_step(conn, version)
        conn.execute("UPDATE schema_version SET version=?", (SCHEMA_VERSION,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return found


def migrate(conn: Any) -> int:  # an sqlite3 connection or store.pg_conn.PgConnection
    """Bring the database to SCHEMA_VERSION; returns the version found before."""
    if getattr(conn, "dialect", "sqlite") == "postgresql":
        return migrate_shared(conn)
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    _check(found)
    for version in range(found, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            _run_step(conn, version)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
    return found


def _split(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
