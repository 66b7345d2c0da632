"""Project: a folder holding `segstudio.db`; images stay where they are, by relative path.

SQLite in WAL mode: every accepted edit is one transaction, so a crash loses at
most the gesture in flight, and readers (the CLI while the GUI is open) see
consistent snapshots.  `synchronous=NORMAL` in WAL is durable against process
crashes (the data is in the OS cache when COMMIT returns); set `durable=True`
for FULL sync against power loss.

Beside it: opening the database (store.opening), rows as records (store.rows) and the write
path of an open document (store.persister).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segstudio.core.categories import Category, CategorySet, color_hex, default_color, parse_color
from segstudio.core.document import ImageDocument
from segstudio.core.instance import Instance
from segstudio.store import remote, revisions
from segstudio.store.errors import ProjectError
from segstudio.store.identity import user_name
from segstudio.store.location import DatabaseLocation, is_database_url
from segstudio.store.locking import WaitReporter, begin_immediate, default_reporter, default_wait
from segstudio.store.opening import DB_NAME, SHARED_ROOTS, connect_shared, connect_sqlite
from segstudio.store.persister import DocumentPersister, Write, WriteSink
from segstudio.store.rows import (
    IMAGE_COLS,
    INSTANCE_COLS,
    inserted_id,
    row_to_instance,
    status_counts,
)
from segstudio.store.scan import ScanReport, scan_folder
from segstudio.store.status import STATUSES, check_status

# the names other modules take from here (some defined in the modules beside this one)
__all__ = ["DB_NAME", "SPLITS", "STATUSES", "DocumentPersister", "ImageRecord", "Project", "ProjectError",
           "Write", "WriteSink", "inserted_id", "status_counts"]

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class ImageRecord:
    id: int
    path: str  # relative to the project folder (posix separators)
    width: int
    height: int
    status: str
    split: str | None
    kind: str = "image"
    frame_count: int = 1
    review_status: str | None = None
    worker: str | None = None  # who has it open now (a live lease), filled by the image list

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


class Project:
    read_only = False  # a database role that may read but not write (PostgreSQL)

    def __init__(self, root: Path, conn: Any, location: DatabaseLocation | None = None) -> None:
        self.root = root  # the folder image paths are relative to
        # sqlite3.Connection, or store.pg_conn.PgConnection (the same DB-API calls, the store's
        # SQLite dialect translated)
        self.conn: Any = conn
        self.location = location  # None: SQLite in `root`; else the shared database (PostgreSQL)
        self._loaded_revisions: dict[tuple[int, int, str], dict[int, int]] = {}
        self._tx_depth = 0
        self.lock_wait = default_wait()  # seconds a transaction waits for the write lock
        self.on_lock_wait: WaitReporter | None = None  # None: the process-wide default reporter
        self._busy_ms = int(default_wait() * 1000)  # SQLite's own wait (set_busy_timeout)

    # ----------------------------------------------------------------- lifecycle
    @staticmethod
    def is_project(path: str | Path) -> bool:
        return is_database_url(path) or (Path(path) / DB_NAME).is_file()

    @property
    def shared(self) -> bool:
        """A PostgreSQL project (many users); False for the SQLite project of a folder."""
        return self.location is not None

    @property
    def name(self) -> str:
        """The project's name (exports carry it): kept in `meta` by a copy, else the folder's
        or the shared project's own name."""
        return self.meta("name") or (self.location.schema if self.location else self.root.name)

    @property
    def address(self) -> str | Path:
        """What `Project.open` takes to open this project again (no password in it)."""
        return self.location.display if self.location is not None else self.root

    def reopen(self) -> Project:
        """Another connection to this project (for another thread)."""
        if self.location is not None:
            return Project._open_shared(self.location.conninfo, self.location, create=False,
                                        image_root=self.root)
        return Project.open(self.root)

    @classmethod
    def _open_shared(cls, url: str, location: DatabaseLocation | None, *, create: bool,
                     image_root: str | Path | None) -> Project:
        root, conn, location, read_only = connect_shared(url, location, create=create,
                                                         image_root=image_root)
        project = cls(root, conn, location)
        project.read_only = read_only
        if create:
            project.set_meta("created_at", str(time.time()))
        return project

    @classmethod
    def create(cls, root: str | Path, *, image_root: str | Path | None = None) -> Project:
        """A new project: in folder `root` (SQLite), or in the PostgreSQL database `root`
        names (a postgresql:// URL), with its images under `image_root`."""
        if is_database_url(root):
            return cls._open_shared(str(root), None, create=True, image_root=image_root)
        root = Path(root)
        if (root / DB_NAME).exists():
            raise ProjectError(f"{root}: already a SegStudio project")
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ProjectError(f"{root}: cannot create the project folder ({e.strerror})") from None
        project = cls.open(root, create=True)
        project.set_meta("created_at", str(time.time()))
        return project

    @classmethod
    def open(cls, root: str | Path, *, create: bool = False, durable: bool = False,
             image_root: str | Path | None = None) -> Project:
        if is_database_url(root):
            return cls._open_shared(str(root), None, create=create, image_root=image_root)
        shared = SHARED_ROOTS.get(Path(root).resolve()) if not create else None
        if shared is not None and not (Path(root) / DB_NAME).is_file():
            return cls._open_shared(shared.conninfo, shared, create=False, image_root=root)
        return cls(Path(root), connect_sqlite(Path(root), create=create, durable=durable))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def set_busy_timeout(self, seconds: float) -> None:
        """How long a statement outside `transaction()` waits for another process's write lock
        before failing with `sqlite3.OperationalError` ('database is locked')."""
        self._busy_ms = int(seconds * 1000)
        self.conn.execute(f"PRAGMA busy_timeout = {self._busy_ms}")

    @property
    def db_path(self) -> Path:
        return self.root / DB_NAME

    @contextmanager
    def transaction(self, wait: float | None = None, *, image: int | None = None
                    ) -> Iterator[sqlite3.Connection]:
        """One atomic unit; nested uses join the outer transaction.

        Waits up to `wait` seconds (default `lock_wait`) for another process's write to end,
        telling `on_lock_wait` how long it has waited, then raises `ProjectLocked` (one line,
        nothing written; see `store.locking`).  `image`: the transaction writes that image's
        instances and status only (PostgreSQL lets such writes to different images run at
        once; SQLite has one writer at a time either way)."""
        if self._tx_depth:
            self._tx_depth += 1
            try:
                yield self.conn
            finally:
                self._tx_depth -= 1
            return
        if self.location is not None:
            from segstudio.store.pg_project import begin

            begin(self.conn, self.location.schema, self.lock_wait if wait is None else wait, image,
                  self.location.display)
        else:
            begin_immediate(self.conn, self.db_path, self.lock_wait if wait is None else wait,
                            self.on_lock_wait or default_reporter(), self._busy_ms)
        self._tx_depth = 1
        try:
            yield self.conn
            self._tx_depth = 0
            self.conn.execute("COMMIT")  # a failed COMMIT (full disk) is rolled back too
        except BaseException:
            self._tx_depth = 0
            # SQLite may have rolled back already (SQLITE_FULL, I/O errors): then ROLLBACK says
            # "no transaction is active", which must not hide the error that matters
            with contextlib.suppress(Exception):
                self.conn.execute("ROLLBACK")
            raise

    def write_later(self, sql: str, params: tuple = ()) -> None:
        """A write inside a transaction whose result nobody reads: PostgreSQL sends it with the
        next statement or the COMMIT (no round trip of its own); SQLite runs it now."""
        later = getattr(self.conn, "execute_later", None)
        (later or self.conn.execute)(sql, params)

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # ----------------------------------------------------------------- images
    def relative_path(self, path: str | Path) -> str:
        p = Path(path).resolve()
        try:
            return Path(os.path.relpath(p, self.root.resolve())).as_posix()
        except ValueError:  # another drive on Windows
            return p.as_posix()

    def image_path(self, image: ImageRecord | int) -> Path:
        """The image's file; for an http(s)/s3 URL its local copy, fetched once (store.remote)."""
        rec = self.image(image) if isinstance(image, int) else image
        if remote.is_remote(rec.path):
            return remote.local_copy(rec.path)
        return (self.root / rec.path).resolve()

    def add_folder(self, folder: str | Path) -> ScanReport:
        """Add every image found under `folder` (already present ones are not duplicated)."""
        report = scan_folder(folder)
        self.add_images((f.path, f.width, f.height) for f in report.found)
        return report

    def add_images(self, items: Iterable[tuple[Path, int, int]], kind: str = "image") -> list[int]:
        now = time.time()
        ids = []
        with self.transaction() as c:
            for path, width, height in items:
                rel = path if remote.is_remote(path) else self.relative_path(path)  # a URL stays one
                row = c.execute("SELECT id FROM images WHERE path=?", (rel,)).fetchone()
                if row:
                    ids.append(row[0])
                    continue
                cur = c.execute(
                    "INSERT INTO images(path, width, height, kind, added_at, updated_at)"
                    " VALUES (?,?,?,?,?,?)",
                    (rel, int(width), int(height), kind, now, now),
                )
                ids.append(inserted_id(cur))
        return ids

    def add_video(self, path: str | Path, width: int, height: int, frame_count: int, fps: float | None, kind: str = "video") -> int:
        rel = self.relative_path(path)
        now = time.time()
        with self.transaction() as c:
            row = c.execute("SELECT id FROM images WHERE path=?", (rel,)).fetchone()
            if row:
                return int(row[0])
            cur = c.execute(
                "INSERT INTO images(path, width, height, kind, frame_count, fps, added_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (rel, width, height, kind, frame_count, fps, now, now),
            )
            return inserted_id(cur)

    def images(self, status: str | None = None, split: str | None = None) -> list[ImageRecord]:
        sql = f"SELECT {IMAGE_COLS} FROM images"
        where, args = [], []
        if status:
            where.append("status=?")
            args.append(status)
        if split:
            where.append("split=?")
            args.append(split)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id"
        return [ImageRecord(*row) for row in self.conn.execute(sql, args)]

    def image_ids(self, *, kind: str | None = None, statuses: Iterable[str] | None = None,
                  without_labels: str | None = None) -> list[int]:
        """Ids in order of the images of `kind`, with one of `statuses`, and with no instance in
        label set `without_labels` (each filter only when given)."""
        where, args = [], []
        if kind is not None:
            where.append("kind=?")
            args.append(kind)
        if statuses is not None:
            wanted = [check_status(s) for s in statuses]
            if not wanted:
                return []
            where.append(f"status IN ({','.join('?' * len(wanted))})")
            args += wanted
        if without_labels is not None:
            where.append("id NOT IN (SELECT image_id FROM instances WHERE label_set=?)")
            args.append(without_labels)
        sql = "SELECT id FROM images" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        return [int(r[0]) for r in self.conn.execute(sql, args)]

    def image(self, image_id: int) -> ImageRecord:
        row = self.conn.execute(f"SELECT {IMAGE_COLS} FROM images WHERE id=?", (image_id,)).fetchone()
        if row is None:
            raise KeyError(f"no image with id {image_id}")
        return ImageRecord(*row)

    def find_image(self, path: str | Path) -> ImageRecord | None:
        rel = self.relative_path(path) if Path(path).is_absolute() else Path(path).as_posix()
        row = self.conn.execute(f"SELECT {IMAGE_COLS} FROM images WHERE path=?", (rel,)).fetchone()
        return ImageRecord(*row) if row else None

    def image_paths_under(self, folder: str) -> set[str]:
        """Relative paths of the images inside `folder` (relative to the project, posix)."""
        prefix = folder.rstrip("/") + "/"
        rows = self.conn.execute("SELECT path FROM images WHERE substr(path, 1, ?) = ?",
                                 (len(prefix), prefix))
        return {p for (p,) in rows}

    def image_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM images").fetchone()[0])

    def set_status(self, image_id: int, status: str) -> None:
        check_status(status)
        now = time.time()
        self.conn.execute(
            "UPDATE images SET status=?, updated_at=?, status_by=?, status_at=? WHERE id=?",
            (status, now, user_name(), now, image_id),
        )

    def set_split(self, image_id: int, split: str | None) -> None:
        self.conn.execute("UPDATE images SET split=? WHERE id=?", (split, image_id))

    def set_review_status(self, image_id: int, status: str | None) -> None:
        now = time.time()
        self.conn.execute("UPDATE images SET review_status=?, status_by=?, status_at=? WHERE id=?",
                          (status, user_name(), now, image_id))

    def counts_by_status(self) -> dict[str, int]:
        return status_counts(self.conn)

    def first_image_id(self) -> int | None:
        row = self.conn.execute("SELECT MIN(id) FROM images").fetchone()
        return None if row[0] is None else int(row[0])

    def next_image_id(self, image_id: int) -> int | None:
        """The image after `image_id` in id order (an index look-up, whatever the project size)."""
        row = self.conn.execute("SELECT MIN(id) FROM images WHERE id > ?", (image_id,)).fetchone()
        return None if row[0] is None else int(row[0])

    def has_image(self, image_id: int) -> bool:
        return self.conn.execute("SELECT 1 FROM images WHERE id=?", (image_id,)).fetchone() is not None

    # ----------------------------------------------------------------- categories
    def categories(self) -> CategorySet:
        rows = self.conn.execute(
            "SELECT id, name, color, supercategory, ignore_region FROM categories ORDER BY position, id"
        )
        return CategorySet([Category(i, n, parse_color(c), s, bool(ig)) for i, n, c, s, ig in rows])

    def add_category(
        self, name: str, color: tuple[int, int, int] | None = None, supercategory: str | None = None,
        ignore: bool = False,
    ) -> Category:
        name = name.strip()
        if not name:
            raise ValueError("a category needs a name")
        existing = self.categories().by_name(name)
        if existing:
            return existing
        n = int(self.conn.execute("SELECT COUNT(*) FROM categories").fetchone()[0])
        color = color or default_color(n)
        cur = self.conn.execute(
            "INSERT INTO categories(name, color, supercategory, position, ignore_region)"
            " VALUES (?,?,?,?,?)",
            (name, color_hex(color), supercategory, n, int(ignore)),
        )
        return Category(inserted_id(cur), name, color, supercategory, bool(ignore))

    def update_category(self, category: Category) -> None:
        self.conn.execute(
            "UPDATE categories SET name=?, color=?, supercategory=?, ignore_region=? WHERE id=?",
            (category.name, color_hex(category.color), category.supercategory, int(category.ignore),
             category.id),
        )

    def delete_category(self, category_id: int) -> int:
        """Delete a category and its instances; returns how many instances went with it."""
        with self.transaction() as c:
            n = c.execute("DELETE FROM instances WHERE category_id=?", (category_id,)).rowcount
            c.execute("DELETE FROM categories WHERE id=?", (category_id,))
        return n

    def merge_categories(self, source_id: int, target_id: int) -> int:
        """Move every instance of `source` into `target`, then drop `source`."""
        with self.transaction() as c:
            n = c.execute(
                "UPDATE instances SET category_id=? WHERE category_id=?", (target_id, source_id)
            ).rowcount
            c.execute("DELETE FROM categories WHERE id=?", (source_id,))
        return n

    def instance_counts_by_category(self, label_set: str = "gt") -> dict[int, int]:
        rows = self.conn.execute(
            "SELECT category_id, COUNT(*) FROM instances WHERE label_set=? GROUP BY category_id",
            (label_set,),
        )
        return dict(rows.fetchall())

    # ----------------------------------------------------------------- label sets
    def label_sets(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM label_sets ORDER BY created_at, name")]

    def add_label_set(self, name: str, kind: str = "prediction", source: str = "", meta: dict | None = None) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO label_sets(name, kind, source, created_at, meta) VALUES (?,?,?,?,?)",
            (name, kind, source, time.time(), json.dumps(meta or {})),
        )

    # ----------------------------------------------------------------- instances
    def load_instances(self, image_id: int, frame: int = 0, label_set: str = "gt") -> list[Instance]:
        rec_shape = self.conn.execute(
            "SELECT height, width FROM images WHERE id=?", (image_id,)
        ).fetchone()
        if rec_shape is None:
            raise KeyError(f"no image with id {image_id}")
        shape = (int(rec_shape[0]), int(rec_shape[1]))
        rows = self.conn.execute(
            f"SELECT {INSTANCE_COLS}, rev FROM instances WHERE image_id=? AND frame=? AND label_set=?"
            " ORDER BY z",
            (image_id, frame, label_set),
        ).fetchall()
        # the revisions of exactly these rows (one statement: one snapshot), for `attach`
        self._loaded_revisions[(image_id, frame, label_set)] = {r[0]: r[-1] for r in rows}
        return [row_to_instance(row[:-1], shape) for row in rows]

    def loaded_revisions(self, image_id: int, frame: int, label_set: str) -> dict[int, int]:
        """The revisions of the instances `load_instances` last read for this document (read
        again when it has not)."""
        revs = self._loaded_revisions.pop((image_id, frame, label_set), None)
        return revs if revs is not None else revisions.revisions(self.conn, image_id, frame, label_set)

    def load_document(self, image_id: int, frame: int = 0, label_set: str = "gt") -> ImageDocument:
        rec = self.image(image_id)
        return ImageDocument(
            rec.shape,
            self.load_instances(image_id, frame, label_set),
            image_id=image_id,
            frame=frame,
            label_set=label_set,
        )

    def save_instances(
        self,
        image_id: int,
        upserts: Iterable[Instance],
        deletes: Iterable[int] = (),
        order: tuple[int, ...] | None = None,
        *,
        frame: int = 0,
        label_set: str = "gt",
        expected: dict[int, int] | None = None,
    ) -> dict[int, int]:
        """Write changed instances in one transaction; `order` (bottom->top ids) sets every z.
        `expected`: the revisions the edit is based on (ids not in it are new); a change to an
        instance someone else changed since raises `StaleWrite` and writes nothing
        (store.revisions).  Returns the new revisions of the upserts written that way."""
        upserts = list(upserts)
        z_of = {iid: z for z, iid in enumerate(order)} if order is not None else {}
        with self.transaction(image=image_id) as c:
            revs = revisions.write(c, image_id, upserts, deletes, z_of,
                                   lambda: self._next_z(image_id, frame, label_set),
                                   frame=frame, label_set=label_set, expected=expected)
            self.write_later("UPDATE images SET updated_at=? WHERE id=?", (time.time(), image_id))
        return revs

    def replace_instances(
        self, image_id: int, instances: list[Instance], *, frame: int = 0, label_set: str = "gt"
    ) -> None:
        # rows that stay are updated, not deleted and made again: their revisions go on, so a
        # document open elsewhere cannot overwrite them unnoticed (store.revisions)
        with self.transaction(image=image_id) as c:
            gone = set(revisions.revisions(c, image_id, frame, label_set)) - {i.id for i in instances}
            c.executemany(
                "DELETE FROM instances WHERE image_id=? AND frame=? AND label_set=? AND id=?",
                [(image_id, frame, label_set, iid) for iid in sorted(gone)],
            )
            self.save_instances(
                image_id, instances, order=tuple(i.id for i in instances), frame=frame, label_set=label_set
            )

    def _next_z(self, image_id: int, frame: int, label_set: str) -> int:
        row = self.conn.execute(
            "SELECT MAX(z) FROM instances WHERE image_id=? AND frame=? AND label_set=?",
            (image_id, frame, label_set),
        ).fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

    def annotated_frames(self, image_id: int, label_set: str = "gt") -> list[int]:
        rows = self.conn.execute(
            "SELECT DISTINCT frame FROM instances WHERE image_id=? AND label_set=? ORDER BY frame",
            (image_id, label_set),
        )
        return [r[0] for r in rows]

    def attach(self, document: ImageDocument, mark_in_progress: bool = True,
               sink: WriteSink | None = None) -> DocumentPersister:
        """Persist every change of `document` as it happens (one transaction per change);
        `sink` decides when and where each write runs (default: now, here; see store.writer)."""
        return DocumentPersister(self, document, mark_in_progress, sink)

    def video_fps(self, image_id: int) -> float | None:
        row = self.conn.execute("SELECT fps FROM images WHERE id=?", (image_id,)).fetchone()
        return float(row[0]) if row and row[0] else None

    def count_instances(self, label_set: str = "gt") -> int:
        row = self.conn.execute("SELECT COUNT(*) FROM instances WHERE label_set=?", (label_set,))
        return int(row.fetchone()[0])

    def clear_label_set(self, label_set: str) -> int:
        """Delete every instance of `label_set` (the set itself stays); returns how many."""
        with self.transaction() as c:
            return c.execute("DELETE FROM instances WHERE label_set=?", (label_set,)).rowcount

    def labels_fingerprint(self, image_ids: Iterable[int], label_set: str = "gt") -> str:
        """A hash of the labels of `image_ids` (mask, category, z, crowd; frame 0): equal
        fingerprints mean the same labels."""
        h = hashlib.sha256()
        for iid in sorted(image_ids):
            rows = self.conn.execute(
                "SELECT id, category_id, rle, y0, x0, z, crowd FROM instances"
                " WHERE image_id=? AND frame=0 AND label_set=? ORDER BY id",
                (iid, label_set),
            )
            h.update(str(iid).encode())
            for row in rows:
                h.update(repr(row).encode())
        return h.hexdigest()[:16]
