"""A PostgreSQL connection that the store drives as it drives sqlite3's (psycopg 3 underneath).

`PgConnection.execute/executemany` take the store's SQLite SQL (rewritten once per statement
by `pg_sql.translate`, cached), run it on a psycopg connection in autocommit mode (the store
says BEGIN/COMMIT itself, as with `isolation_level=None`) and hand back psycopg cursors, which
fetch and iterate as sqlite3's do.  An INSERT that made an id returns a small result whose
`lastrowid` is that id.  Errors come out as sqlite3's classes (`IntegrityError`,
`OperationalError`, ...) with PostgreSQL's message, so every `except sqlite3.Error` in the
app handles both back ends; a write refused for lack of privilege is `ProjectReadOnly`.

Each project is a PostgreSQL schema (`search_path` set at connect), so the statements need no
qualification.  Credentials are libpq's business: the URL carries none (see `location`).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from segstudio.store.errors import ProjectError
from segstudio.store.pg_sql import IDENTITY_TABLES, translate

_EXPLICIT_ID = re.compile(r"^\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+(\w+)\s*\(([^)]*)\)", re.I)
_PRAGMA = re.compile(r"^\s*PRAGMA\s+(\w+)\s*(?:=\s*(\S+))?\s*;?\s*$", re.I)


class ProjectReadOnly(ProjectError):
    """The database role may read this project but not write it."""


def _driver():
    try:
        import psycopg
    except ImportError:
        raise ProjectError(
            "PostgreSQL projects need the psycopg driver: pip install 'segstudio[postgres]'"
        ) from None
    return psycopg


class _Inserted:
    """What an INSERT ... RETURNING id gives back when the caller wanted sqlite3's cursor."""

    __slots__ = ("lastrowid", "rowcount")

    def __init__(self, lastrowid: int | None, rowcount: int) -> None:
        self.lastrowid, self.rowcount = lastrowid, rowcount

    def fetchone(self):
        return None

    def fetchall(self):
        return []

    def __iter__(self):
        return iter(())


class _Rows:
    """A fixed result (PRAGMA answers)."""

    def __init__(self, rows: list[tuple]) -> None:
        self._rows, self.rowcount, self.lastrowid = rows, len(rows), None

    def fetchone(self):
        return self._rows[0] if self._rows else None

    def fetchall(self):
        return list(self._rows)

    def __iter__(self):
        return iter(self._rows)


def _numeric_loader(psycopg):
    """SUM/AVG of integers are NUMERIC in PostgreSQL: give ints where SQLite gives ints."""
    from psycopg.types.numeric import NumericLoader

    class IntWhereIntegral(NumericLoader):
        def load(self, data):
            value: Decimal = super().load(data)
            return int(value) if value == value.to_integral_value() else float(value)

    return IntWhereIntegral


class PgConnection:
    dialect = "postgresql"

    def __init__(self, conn, schema: str) -> None:
        self.raw = conn
        self.schema = schema
        self._cache: dict[str, tuple[str, bool, str | None]] = {}  # SQLite text -> (ours, id returned, table whose ids it names)
        self._many: dict[str, tuple[str, str | None]] = {}  # executemany's: never RETURNING
        self._sequences_behind: set[str] = set()
        self._pending: list[tuple[str, Any]] = []  # statements waiting to go with the next one
        self._lock_wait, self._display = 0.0, schema
        psycopg = _driver()
        conn.adapters.register_loader("numeric", _numeric_loader(psycopg))
        self._errors = psycopg.errors
        self._psycopg = psycopg

    @classmethod
    def connect(cls, conninfo: str, schema: str, *, application_name: str = "segstudio",
                connect_timeout: int = 10) -> PgConnection:
        psycopg = _driver()
        try:
            conn = psycopg.connect(conninfo, autocommit=True, application_name=application_name,
                                   connect_timeout=connect_timeout)
        except psycopg.OperationalError as e:
            raise ProjectError(f"cannot connect to PostgreSQL: {_first_line(e)}") from None
        conn.execute("SELECT set_config('search_path', %s, false)", (f'"{schema}"',))
        return cls(conn, schema)

    # -------------------------------------------------------------- sqlite3-like API
    @staticmethod
    def _explicit_id_table(sql: str) -> str | None:
        """An INSERT that names the ids of an identity table leaves its sequence behind: it is
        moved past the largest id before the transaction commits (SQLite needs nothing)."""
        m = _EXPLICIT_ID.match(sql)
        if m and m.group(1).lower() in IDENTITY_TABLES and "id" in (
                c.strip().lower() for c in m.group(2).split(",")):
            return m.group(1).lower()
        return None

    def _advance_sequences(self) -> None:
        for table in sorted(self._sequences_behind):
            self.raw.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" GREATEST((SELECT MAX(id) FROM {table}), 1))")
        self._sequences_behind.clear()

    def _sql(self, sql: str) -> tuple[str, bool, str | None]:
        hit = self._cache.get(sql)
        if hit is None:
            text = translate(sql, returning_id=True)
            added = text.endswith(" RETURNING id") and not sql.rstrip().lower().endswith("returning id")
            hit = self._cache[sql] = (text, added, self._explicit_id_table(sql))
        return hit

    def execute(self, sql: str, params: Sequence[Any] | dict = ()) -> Any:
        pragma = _PRAGMA.match(sql)
        if pragma:
            return self._pragma(pragma.group(1).lower(), pragma.group(2))
        text, returns_id, explicit = self._sql(sql)
        if text == "ROLLBACK":
            self._sequences_behind.clear()
            began = self.in_transaction
            self._pending.clear()
            if not began:  # BEGIN was never sent: nothing to roll back
                return _Rows([])
        elif text == "COMMIT" and self._sequences_behind:
            self._flush()
            self._advance_sequences()
        elif explicit:
            self._sequences_behind.add(explicit)
        try:
            if self._pending:
                cur = self._pipelined(text, params)
            else:
                cur = self.raw.execute(text, params or ())
            if self._sequences_behind and not self.in_transaction:
                self._advance_sequences()
        except self._psycopg.Error as e:
            if text == "COMMIT" and self.in_transaction:  # the commit failed: end the transaction
                with contextlib.suppress(self._psycopg.Error):
                    self.raw.execute("ROLLBACK")
            raise self._map_error(e) from None
        if returns_id:
            row = cur.fetchone()
            return _Inserted(row[0] if row else None, cur.rowcount)
        return cur

    # ---------------------------------------------------------- fewer round trips
    def begin_deferred(self, statements: list[str], wait: float, display: str) -> None:
        """Start a transaction with `statements` (BEGIN, its locks) sent together with the first
        statement that follows (one round trip for both; libpq's pipeline mode)."""
        self._pending = [(s, ()) for s in statements]
        self._lock_wait, self._display = wait, display

    def execute_later(self, sql: str, params: Sequence[Any] = ()) -> None:
        """A write whose result nobody reads: inside a transaction it goes with the next
        statement or the COMMIT (no round trip of its own); outside, at once."""
        if not self._pending and not self.in_transaction:
            self.execute(sql, params)
            return
        self._pending.append((self._sql(sql)[0], params))

    def _pipelined(self, text: str | None, params: Sequence[Any] | dict = ()):
        pending, self._pending = self._pending, []
        cur = None
        with self.raw.pipeline():
            for t, p in pending:
                self.raw.execute(t, p or ())
            if text is not None:
                cur = self.raw.execute(text, params or ())
        return cur

    def _flush(self) -> None:
        if self._pending:
            try:
                self._pipelined(None)
            except self._psycopg.Error as e:
                raise self._map_error(e) from None

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> Any:
        self._flush()
        hit = self._many.get(sql)
        if hit is None:
            hit = self._many[sql] = (translate(sql), self._explicit_id_table(sql))
        text, explicit = hit
        if explicit:
            self._sequences_behind.add(explicit)
        try:
            with self.raw.cursor() as cur:
                cur.executemany(text, seq if isinstance(seq, list) else list(seq))
                if self._sequences_behind and not self.in_transaction:
                    self._advance_sequences()
                return _Inserted(None, cur.rowcount)
        except self._psycopg.Error as e:
            raise self._map_error(e) from None

    def close(self) -> None:
        self.raw.close()

    def commit(self) -> None:  # autocommit, as sqlite3 with isolation_level=None
        pass

    def interrupt(self) -> None:
        """Stop the statement running on another thread (sqlite3's `interrupt`)."""
        with contextlib.suppress(Exception):  # nothing running, or the connection is gone
            self.raw.cancel_safe()

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != self._psycopg.pq.TransactionStatus.IDLE

    # -------------------------------------------------------------- helpers
    def _pragma(self, name: str, value: str | None):
        # SQLite's settings that mean nothing here; the schema version has its own table
        if name in {"journal_mode", "synchronous", "foreign_keys", "busy_timeout", "query_only"}:
            return _Rows([])
        if name == "database_list":
            return _Rows([])  # no project folder holds this database
        raise sqlite3.OperationalError(f"PRAGMA {name} has no PostgreSQL counterpart in SegStudio")

    def _map_error(self, e: Exception) -> Exception:
        errors = self._errors
        message = _first_line(e)
        if isinstance(e, errors.LockNotAvailable):
            from segstudio.store.locking import ProjectLocked

            if self.in_transaction:
                with contextlib.suppress(Exception):
                    self.raw.execute("ROLLBACK")
            return ProjectLocked(
                f"{self._display}: another SegStudio session has held the project's write lock for "
                f"{self._lock_wait:.0f} s; nothing was written (try again when it has finished)")
        if isinstance(e, errors.InsufficientPrivilege):
            return ProjectReadOnly(
                f"{self.schema}: this database role may not change the project ({message}); "
                "browsing and export work, edits are refused")
        if isinstance(e, errors.IntegrityError):
            return sqlite3.IntegrityError(message)
        if isinstance(e, (errors.ProgrammingError, errors.DataError)):
            return sqlite3.ProgrammingError(message)
        if isinstance(e, errors.QueryCanceled):
            return sqlite3.OperationalError(f"interrupted ({message})")
        return sqlite3.OperationalError(message)


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
