"""Schema and migrations of `segstudio.db`.  `PRAGMA user_version` is the schema version;
each migration (an SQL script, or a function of the connection where data must be computed)
runs in one transaction, so an interrupted upgrade leaves the previous version intact."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

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
]

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to SCHEMA_VERSION; returns the version found before."""
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise RuntimeError(
            f"database schema {found} is newer than this SegStudio understands ({SCHEMA_VERSION}); "
            "upgrade SegStudio"
        )
    for version in range(found, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            step = MIGRATIONS[version]
            if callable(step):
                step(conn)
            else:
                for statement in _split(step):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
    return found


def _split(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
