"""Opening, creating and locking a project that lives in PostgreSQL (a schema of a database).

Write transactions are serialised the way SQLite serialises them, but per image where that is
enough: `transaction()` takes the project's exclusive advisory lock (as `BEGIN IMMEDIATE`
does: id allocation by MAX+1, imports and category edits stay correct unchanged), and
`transaction(image=ID)` - the annotators' per-gesture commits - takes the project's lock
*shared* plus the image's lock exclusive, so annotators on different images commit in
parallel.  Both wait at most `wait` seconds (`lock_timeout`), then `ProjectLocked`.  Readers
never wait.  Locks are transaction-scoped: a client that dies releases them with its
connection.
"""

from __future__ import annotations

import zlib

from segstudio.store.errors import ProjectError
from segstudio.store.location import DatabaseLocation
from segstudio.store.pg_conn import PgConnection
from segstudio.store.schema import migrate


def lock_space(schema: str) -> int:
    """The first key of the project's advisory locks (an int4 from its schema name)."""
    return zlib.crc32(schema.encode()) & 0x7FFFFFFF


def schema_exists(conn: PgConnection, schema: str) -> bool:
    row = conn.raw.execute("SELECT to_regclass(%s) IS NOT NULL",
                           (f'"{schema}".schema_version',)).fetchone()
    return bool(row[0])


def open_database(location: DatabaseLocation, *, create: bool) -> PgConnection:
    conn = PgConnection.connect(location.conninfo, location.schema)
    try:
        exists = schema_exists(conn, location.schema)
        if create and exists:
            raise ProjectError(f"{location.display}: already a SegStudio project")
        if not create and not exists:
            raise ProjectError(
                f"{location.display}: no SegStudio project '{location.schema}' in this database "
                "(use 'segstudio init FOLDER --db URL')")
        if create:
            try:
                conn.raw.execute(f'CREATE SCHEMA IF NOT EXISTS "{location.schema}"')
            except Exception as e:  # noqa: BLE001 - psycopg's error: say it in one line
                raise ProjectError(f"{location.display}: cannot create the project ({str(e).strip().splitlines()[0]})") from None
        try:
            migrate(conn)
        except RuntimeError as e:
            raise ProjectError(f"{location.display}: {e}") from None
    except BaseException:
        conn.close()
        raise
    return conn


def schema_version(conn: PgConnection) -> int:
    """The project's schema version (0: none yet)."""
    row = conn.raw.execute("SELECT to_regclass(%s) IS NOT NULL",
                           (f'"{conn.schema}".schema_version',)).fetchone()
    if not row[0]:
        return 0
    row = conn.raw.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def may_write(conn: PgConnection) -> bool:
    """Whether this role may change the project's instances (a read-only role may not)."""
    row = conn.raw.execute("SELECT has_table_privilege(current_user, %s, 'INSERT')",
                           (f'"{conn.schema}".instances',)).fetchone()
    return bool(row[0])


def begin(conn: PgConnection, schema: str, wait: float, image: int | None, display: str) -> None:
    """BEGIN and take the transaction's advisory locks - sent with the transaction's first
    statement, in the same round trip (a gesture's commit costs two: its conditional writes,
    then the rest with COMMIT)."""
    space = lock_space(schema)
    ms = max(1, int(wait * 1000))
    if image is None:
        locks = f"pg_advisory_xact_lock({space}, -1)"
    else:
        locks = f"pg_advisory_xact_lock_shared({space}, -1), pg_advisory_xact_lock({space}, {int(image)})"
    conn.begin_deferred(["BEGIN", f"SELECT set_config('lock_timeout', '{ms}ms', true), {locks}"],
                        wait, display)


def drop_project(location: DatabaseLocation) -> None:
    """Remove a shared project (its schema and everything in it)."""
    conn = PgConnection.connect(location.conninfo, location.schema)
    try:
        conn.raw.execute(f'DROP SCHEMA IF EXISTS "{location.schema}" CASCADE')
    finally:
        conn.close()
