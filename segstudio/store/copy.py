"""`copy_project`: every row of one project into a new one, SQLite and PostgreSQL both ways.

Rows are copied as stored (ids, revisions, who and when, RLE text, JSON text) so what the copy
exports is what the source exports.  Tables are found in the source (a table added by a later
migration is copied without this module knowing it); leases are not copied (they belong to the
sessions of the source).  Image paths are relative to each project's image folder: when the
two folders differ they are rewritten so each still names the same file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from segstudio.store.errors import ProjectError
from segstudio.store.project import Project

# parents before children (foreign keys); other tables follow in name order
_ORDER = ["meta", "categories", "label_sets", "images", "tracks", "instances"]
_SKIP = {"leases", "schema_version", "sqlite_sequence"}
_BATCH = 2000


def tables(project: Project) -> list[str]:
    if project.location is not None:
        rows = project.conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema=?"
            " AND table_type='BASE TABLE'", (project.location.schema,)).fetchall()
    else:
        rows = project.conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    names = {r[0] for r in rows} - _SKIP
    return [t for t in _ORDER if t in names] + sorted(names - set(_ORDER))


def columns(project: Project, table: str) -> list[str]:
    cur = project.conn.execute(f"SELECT * FROM {table} LIMIT 0")
    return [d[0] for d in cur.description]


def _rebase(src_root: Path, dst_root: Path) -> Callable[[str], str]:
    if src_root.resolve() == dst_root.resolve():
        return lambda p: p

    def rebase(rel: str) -> str:
        if PurePosixPath(rel).is_absolute():
            return rel
        return Path(os.path.relpath((src_root / rel).resolve(), dst_root.resolve())).as_posix()

    return rebase


def copy_project(src: Project, dst: Project,
                 progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Copy every table of `src` into the empty project `dst`; returns rows per table."""
    if dst.image_count() or len(dst.categories()):
        raise ProjectError(f"{dst.address}: the destination of a copy must be a new, empty project")
    rebase = _rebase(src.root, dst.root)
    counts: dict[str, int] = {}
    dst_tables = set(tables(dst))
    with dst.transaction():
        for table in tables(src):
            if table not in dst_tables:
                raise ProjectError(f"{dst.address}: has no table {table!r} (older SegStudio?)")
            cols = [c for c in columns(src, table) if c in set(columns(dst, table))]
            names = ", ".join(cols)
            marks = ", ".join("?" * len(cols))
            if table in ("meta", "label_sets"):  # rows every new project has: the source's win
                dst.conn.execute(f"DELETE FROM {table}")
            insert = f"INSERT INTO {table}({names}) VALUES ({marks})"
            path_at = cols.index("path") if table == "images" else -1
            cur = src.conn.execute(f"SELECT {names} FROM {table}")
            n = 0
            while True:
                rows = cur.fetchmany(_BATCH)
                if not rows:
                    break
                if path_at >= 0:
                    rows = [r[:path_at] + (rebase(r[path_at]),) + r[path_at + 1:] for r in rows]
                dst.conn.executemany(insert, rows)
                n += len(rows)
                if progress is not None:
                    progress(table, n)
            counts[table] = n
        if src.meta("name") is None:
            dst.set_meta("name", src.name)  # the copy exports under the source's name
    return counts
