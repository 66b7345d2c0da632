"""Leases: who has an image open for editing.  Opening an image takes its lease; the app
renews it while the image stays open (every `RENEW_S`); a lease not renewed for `LEASE_S`
(the app died, the machine slept, the network went) lapses and anyone may take it.  Others see
the image as taken by that user and may open it read-only.

Times are the database's clock (PostgreSQL's for a shared project, so clients' clocks never
disagree about expiry; the local clock for SQLite, one machine).  A lease is advice for
people; the guarantee against overwriting someone's work is the instance revision check
(`Project.save_instances(expected=...)`).
"""

from __future__ import annotations

from dataclasses import dataclass

from segstudio.store.identity import SESSION, user_name

LEASE_S = 30.0
RENEW_S = 10.0


@dataclass(frozen=True)
class Holder:
    image_id: int
    user_name: str
    session: str
    expires_in: float  # seconds


def now_sql(project_or_conn) -> str:
    """The database clock in seconds since the epoch, as SQL."""
    conn = getattr(project_or_conn, "conn", project_or_conn)
    if getattr(conn, "dialect", "sqlite") == "postgresql":
        return "EXTRACT(EPOCH FROM clock_timestamp())::float8"
    return "((julianday('now') - 2440587.5) * 86400.0)"


def take(project, image_id: int, *, seconds: float = LEASE_S, session: str = SESSION) -> Holder | None:
    """Take (or renew) the lease on `image_id`: None when this session now holds it, else who
    does."""
    now = now_sql(project)
    with project.transaction(image=image_id):
        cur = project.conn.execute(
            "INSERT INTO leases(image_id, user_name, session, taken_at, expires_at)"
            f" VALUES (?, ?, ?, {now}, {now} + ?)"
            " ON CONFLICT(image_id) DO UPDATE SET user_name=excluded.user_name,"
            " session=excluded.session, taken_at=excluded.taken_at, expires_at=excluded.expires_at"
            f" WHERE leases.session = excluded.session OR leases.expires_at < {now}",
            (image_id, user_name(), session, float(seconds)))
        if cur.rowcount == 1:
            return None
        return holder(project, image_id)


def holder(project, image_id: int) -> Holder | None:
    """Who holds a live lease on `image_id` (None: nobody)."""
    now = now_sql(project)
    row = project.conn.execute(
        f"SELECT user_name, session, expires_at - {now} FROM leases WHERE image_id=?"
        f" AND expires_at >= {now}", (image_id,)).fetchone()
    return Holder(image_id, row[0], row[1], float(row[2])) if row else None


def renew(project, image_ids, *, seconds: float = LEASE_S, session: str = SESSION) -> list[int]:
    """Extend this session's leases; returns the ids it no longer holds (lapsed and taken)."""
    lost = []
    for image_id in image_ids:
        if take(project, image_id, seconds=seconds, session=session) is not None:
            lost.append(image_id)
    return lost


def release(project, image_id: int, *, session: str = SESSION) -> None:
    with project.transaction(image=image_id):
        project.conn.execute("DELETE FROM leases WHERE image_id=? AND session=?", (image_id, session))


def holders(project_or_conn, image_ids, *, others_than: str | None = None) -> dict[int, str]:
    """{image id: user} for the live leases among `image_ids` (the image list's 'who'),
    leaving out the session `others_than` (this window's own images need no label)."""
    ids = [int(i) for i in image_ids]
    if not ids:
        return {}
    conn = getattr(project_or_conn, "conn", project_or_conn)
    now = now_sql(conn)
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT image_id, user_name, session FROM leases WHERE expires_at >= {now}"
        f" AND image_id IN ({marks})", ids)
    return {int(i): u for i, u, s in rows if s != others_than}
