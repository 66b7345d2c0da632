"""Other users' changes, pushed: PostgreSQL's LISTEN/NOTIFY on a shared project.

Triggers (made by migration 4 on PostgreSQL) announce each image added or removed, each change
of an image's status, review, split or who, and each lease taken or released (not renewals, not
the `updated_at` every gesture touches) on the channel `segstudio_<project>`, with the image id
and the table.  `ChangeListener` holds one connection of its own in LISTEN, on a thread, and
calls `on_change(table, image_id)` for each notification, typically well under a second after
the other user's commit (no polling of any table).  A SQLite project has one writer machine and
no channel: the listener is not started (`ChangeListener.start` returns None).
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


def channel(schema: str) -> str:
    return f"segstudio_{schema}"


TRIGGERS_SQL = """
CREATE OR REPLACE FUNCTION segstudio_notify() RETURNS trigger AS $$
DECLARE
    row jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
BEGIN
    PERFORM pg_notify('segstudio_' || TG_TABLE_SCHEMA,
                      json_build_object('table', TG_TABLE_NAME, 'image', row ->> TG_ARGV[0],
                                        'op', TG_OP)::text);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS images_notify ON images;
DROP TRIGGER IF EXISTS images_notify_new ON images;
CREATE TRIGGER images_notify_new AFTER INSERT OR DELETE ON images
    FOR EACH ROW EXECUTE FUNCTION segstudio_notify('id');
CREATE TRIGGER images_notify AFTER UPDATE ON images FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.review_status IS DISTINCT FROM NEW.review_status
          OR OLD.status_by IS DISTINCT FROM NEW.status_by OR OLD.split IS DISTINCT FROM NEW.split
          OR OLD.path IS DISTINCT FROM NEW.path OR OLD.assignee IS DISTINCT FROM NEW.assignee)
    EXECUTE FUNCTION segstudio_notify('id');
DROP TRIGGER IF EXISTS leases_notify ON leases;
DROP TRIGGER IF EXISTS leases_notify_new ON leases;
CREATE TRIGGER leases_notify_new AFTER INSERT OR DELETE ON leases
    FOR EACH ROW EXECUTE FUNCTION segstudio_notify('image_id');
CREATE TRIGGER leases_notify AFTER UPDATE ON leases FOR EACH ROW
    WHEN (OLD.session IS DISTINCT FROM NEW.session) EXECUTE FUNCTION segstudio_notify('image_id');
"""

Callback = Callable[[str, int], None]


class ChangeListener:
    def __init__(self, conn, schema: str, on_change: Callback) -> None:
        self._conn = conn
        self._schema = schema
        self._on_change = on_change
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="segstudio-changes", daemon=True)

    @classmethod
    def start(cls, project, on_change: Callback) -> ChangeListener | None:
        if not project.shared:
            return None
        import psycopg

        conn = psycopg.connect(project.location.conninfo, autocommit=True,
                               application_name="segstudio-listen")
        conn.execute(f'LISTEN "{channel(project.location.schema)}"')
        listener = cls(conn, project.location.schema, on_change)
        listener._thread.start()
        return listener

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for note in self._conn.notifies(timeout=0.25):
                    self._deliver(note.payload)
            except Exception as e:  # noqa: BLE001 - connection closed by stop() or lost
                if not self._stop.is_set():
                    log.warning("change notifications stopped: %s", e)
                return

    def _deliver(self, payload: str) -> None:
        try:
            data = json.loads(payload)
            self._on_change(str(data["table"]), int(data["image"]))
        except Exception:  # noqa: BLE001 - a bad payload or a failing callback: keep listening
            log.exception("change notification %r not handled", payload)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        with contextlib.suppress(Exception):
            self._conn.close()
