"""Windowed queries over a project's images, for lists of 10^5..10^6 images.

The image list shows rows in id order.  It never holds every record: it holds the *ids* of
the rows (`IdList`: a dense range when the ids have no gaps, else one int64 array, 8 MB per
million) and fetches the records of the rows on screen a page at a time (`fetch_records`).

`query_ids` runs the whole filter inside SQLite and hands the ids back as one
comma-separated string built by `group_concat`: SQLite releases the GIL while it steps, and
the string is parsed by numpy in slices, so a GUI thread sharing the process keeps getting
the GIL while a million-row query runs (one Python tuple per row would hold it for ~0.3 s).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from segstudio.store.identity import SESSION
from segstudio.store.leases import holders
from segstudio.store.location import DatabaseLocation
from segstudio.store.project import DB_NAME, ImageRecord
from segstudio.store.rows import IMAGE_COLS, status_counts

# a connection that only reads (open_reader, or a project's own): sqlite3.Connection, or
# store.pg_conn.PgConnection for a shared project (the same DB-API calls)
Reader = Any

# characters of ids parsed per numpy call (~0.3 ms), so a waiting GUI thread gets the GIL between them
_PARSE_SLICE_CHARS = 64 * 1024
_IN_CHUNK = 500  # ids per `id IN (...)` statement (well under SQLite's variable limit)


@dataclass(frozen=True)
class ImageFilter:
    """What the image list shows.  `text` matches anywhere in the relative path, ignoring
    ASCII case (SQLite's LIKE); `category_id` keeps images with an instance of that category
    in `label_set`."""

    text: str = ""
    status: str | None = None
    category_id: int | None = None
    label_set: str = "gt"

    @property
    def is_empty(self) -> bool:
        return not self.text and self.status is None and self.category_id is None


class IdList:
    """The ids of a list's rows, ascending: `start..start+count-1`, or a sorted array."""

    __slots__ = ("_array", "_count", "_start")

    def __init__(self, array: np.ndarray | None = None, *, start: int = 0, count: int = 0) -> None:
        self._array = None if array is None else np.ascontiguousarray(array, dtype=np.int64)
        self._start = int(start)
        self._count = len(self._array) if self._array is not None else int(count)

    @classmethod
    def dense(cls, start: int, count: int) -> IdList:
        return cls(start=start, count=count)

    @property
    def is_dense(self) -> bool:
        return self._array is None

    def __len__(self) -> int:
        return self._count

    def id_at(self, row: int) -> int:
        if not 0 <= row < self._count:
            raise IndexError(row)
        return self._start + row if self._array is None else int(self._array[row])

    def row_of(self, image_id: int) -> int | None:
        """The row showing `image_id`, or None (binary search: O(log n))."""
        if self._array is None:
            row = int(image_id) - self._start
            return row if 0 <= row < self._count else None
        row = int(np.searchsorted(self._array, image_id))
        return row if row < self._count and int(self._array[row]) == image_id else None

    def ids(self, first: int = 0, stop: int | None = None) -> np.ndarray:
        stop = self._count if stop is None else min(stop, self._count)
        first = max(0, first)
        if self._array is None:
            return np.arange(self._start + first, self._start + max(first, stop), dtype=np.int64)
        return self._array[first:stop]

    def tolist(self) -> list[int]:
        return self.ids().tolist()


def open_reader(root: str | Path | DatabaseLocation) -> Reader:
    """A read-only connection for queries on another thread (WAL: readers never block the
    writer, and see the last committed state).  A shared project's location (PostgreSQL)
    gives a connection of its own there, read-only too."""
    if isinstance(root, DatabaseLocation):
        from segstudio.store.pg_conn import PgConnection

        conn = PgConnection.connect(root.conninfo, root.schema, application_name="segstudio-list")
        conn.raw.execute("SET default_transaction_read_only = on")
        return conn
    uri = (Path(root) / DB_NAME).resolve().as_uri() + "?mode=ro"
    lite = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30.0)
    lite.execute("PRAGMA query_only=ON")
    return lite


def dense_ids(conn: sqlite3.Connection, count: int | None = None) -> IdList | None:
    """Every image, when the ids have no gaps (the common case: images are rarely deleted);
    None otherwise.  MIN and MAX are B-tree look-ups; COUNT(*) scans an index in C (~10-20 ms
    per million rows), so a caller that knows the count passes it.  (One statement with all
    three would scan the whole table: SQLite's min/max shortcut needs the aggregate alone.)"""
    lo = conn.execute("SELECT MIN(id) FROM images").fetchone()[0]
    if lo is None:
        return IdList.dense(0, 0)
    hi = conn.execute("SELECT MAX(id) FROM images").fetchone()[0]
    n = count if count is not None else conn.execute("SELECT COUNT(*) FROM images").fetchone()[0]
    return IdList.dense(lo, n) if hi - lo + 1 == n else None


def _where(flt: ImageFilter) -> tuple[str, list]:
    where: list[str] = []
    args: list = []
    if flt.text:
        escaped = flt.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append("path LIKE ? ESCAPE '\\'")
        args.append(f"%{escaped}%")
    if flt.status is not None:
        where.append("status=?")
        args.append(flt.status)
    if flt.category_id is not None:
        where.append("id IN (SELECT image_id FROM instances WHERE category_id=? AND label_set=?)")
        args += [flt.category_id, flt.label_set]
    return (" WHERE " + " AND ".join(where)) if where else "", args


def query_ids(
    conn: sqlite3.Connection, flt: ImageFilter, check: Callable[[], None] | None = None
) -> IdList:
    """The ids of the images `flt` keeps, ascending.  `check` is called between parse slices
    (raise there to abandon the query); `conn.interrupt()` stops the SQL part."""
    where, args = _where(flt)
    row = conn.execute(
        f"SELECT group_concat(id) FROM (SELECT id FROM images{where} ORDER BY id) AS q", args
    ).fetchone()
    text = row[0] if row else None
    if not text:
        return IdList(np.empty(0, np.int64))
    parts: list[np.ndarray] = []
    pos = 0
    while pos < len(text):
        end = text.find(",", pos + _PARSE_SLICE_CHARS)
        end = len(text) if end < 0 else end
        parts.append(np.fromstring(text[pos:end], dtype=np.int64, sep=","))
        pos = end + 1
        if check is not None:
            check()
    ids = np.concatenate(parts) if len(parts) > 1 else parts[0]
    if len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1])):  # group_concat's order is not promised
        ids = np.unique(ids)
    return IdList(ids)


def fetch_records(conn: sqlite3.Connection, ids: Sequence[int] | np.ndarray) -> dict[int, ImageRecord]:
    """The records of `ids` (missing ids are left out): one range scan when they are
    consecutive, else primary-key look-ups in chunks."""
    ids = np.asarray(ids, dtype=np.int64)
    if len(ids) == 0:
        return {}
    lo, hi = int(ids[0]), int(ids[-1])
    if hi - lo + 1 == len(ids):
        rows = conn.execute(f"SELECT {IMAGE_COLS} FROM images WHERE id BETWEEN ? AND ?", (lo, hi)).fetchall()
    else:
        rows = []
        for k in range(0, len(ids), _IN_CHUNK):
            chunk = ids[k : k + _IN_CHUNK].tolist()
            marks = ",".join("?" * len(chunk))
            rows += conn.execute(f"SELECT {IMAGE_COLS} FROM images WHERE id IN ({marks})", chunk).fetchall()
    records = {row[0]: ImageRecord(*row) for row in rows}
    # who else has these images open now (live leases: one indexed look-up per page)
    for image_id, user in holders(conn, list(records), others_than=SESSION).items():
        records[image_id] = replace(records[image_id], worker=user)
    return records


__all__ = [
    "IdList",
    "ImageFilter",
    "dense_ids",
    "fetch_records",
    "open_reader",
    "query_ids",
    "status_counts",
]
