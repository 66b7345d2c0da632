"""The `tracks` table: one object through the frames of a video (id, category, name).

Instances belong to a track through `Instance.track_id`; this module holds every query on
tracks and on the track ids of instances.  Edits that change tracks are built in
`segstudio.video.tracks` and written with `write_tracks` inside their transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from segstudio.store.project import Project


@dataclass(frozen=True)
class Track:
    id: int
    image_id: int
    category_id: int | None
    name: str | None

    @property
    def label(self) -> str:
        return self.name or f"track {self.id}"


_COLS = "id, image_id, category_id, name"


def list_tracks(project: Project, image_id: int) -> list[Track]:
    rows = project.conn.execute(f"SELECT {_COLS} FROM tracks WHERE image_id=? ORDER BY id", (image_id,))
    return [Track(*r) for r in rows]


def get_track(project: Project, track_id: int) -> Track | None:
    row = project.conn.execute(f"SELECT {_COLS} FROM tracks WHERE id=?", (track_id,)).fetchone()
    return Track(*row) if row else None


def track_presence(project: Project, image_id: int, label_set: str = "gt") -> dict[int, list[int]]:
    """track id -> sorted frames where the track has an instance."""
    rows = project.conn.execute(
        "SELECT track_id, frame FROM instances WHERE image_id=? AND label_set=? AND track_id IS NOT NULL"
        " ORDER BY track_id, frame",
        (image_id, label_set),
    )
    out: dict[int, list[int]] = defaultdict(list)
    for tid, frame in rows:
        out[int(tid)].append(int(frame))
    return dict(out)


def track_frames(project: Project, image_id: int, label_set: str = "gt") -> dict[int, dict[int, bool]]:
    """track id -> {frame: is it a keyframe (made by the user, not propagated/interpolated)}."""
    rows = project.conn.execute(
        "SELECT track_id, frame, attributes FROM instances WHERE image_id=? AND label_set=?"
        " AND track_id IS NOT NULL ORDER BY track_id, frame",
        (image_id, label_set),
    )
    out: dict[int, dict[int, bool]] = defaultdict(dict)
    for tid, frame, attrs in rows:
        derived = bool(attrs) and ('"propagated_from"' in attrs or '"interpolated"' in attrs)
        out[int(tid)][int(frame)] = out[int(tid)].get(int(frame), False) or not derived
    return dict(out)


def frames_of_track(project: Project, image_id: int, track_id: int, label_set: str = "gt") -> list[int]:
    """The frames holding an instance of `track_id`, ascending."""
    rows = project.conn.execute(
        "SELECT DISTINCT frame FROM instances WHERE image_id=? AND label_set=? AND track_id=?"
        " ORDER BY frame",
        (image_id, label_set, track_id),
    )
    return [int(f) for (f,) in rows]


def next_track_id(project: Project) -> int:
    """An id no track and no instance's track id uses yet."""
    row = project.conn.execute("SELECT MAX(id) FROM tracks").fetchone()
    used = project.conn.execute("SELECT MAX(track_id) FROM instances").fetchone()
    return max(int(row[0] or 0), int(used[0] or 0)) + 1


def track_categories(project: Project, image_id: int) -> dict[int, int]:
    """track id -> category id, for the tracks of `image_id` that have a category."""
    rows = project.conn.execute("SELECT id, category_id FROM tracks WHERE image_id=?", (image_id,))
    return {int(t): int(c) for t, c in rows if c is not None}


def track_names(project: Project, image_id: int) -> dict[int, str]:
    """track id -> name, for the named tracks of `image_id`."""
    rows = project.conn.execute("SELECT id, name FROM tracks WHERE image_id=?", (image_id,))
    return {int(t): n for t, n in rows if n}


def write_tracks(project: Project, tracks: Mapping[int, Track | None]) -> None:
    """Insert or replace each track; None deletes the id.  One transaction (or the caller's)."""
    with project.transaction() as c:
        for tid, track in tracks.items():
            if track is None:
                c.execute("DELETE FROM tracks WHERE id=?", (tid,))
            else:
                c.execute(
                    f"INSERT OR REPLACE INTO tracks({_COLS}) VALUES (?,?,?,?)",
                    (track.id, track.image_id, track.category_id, track.name),
                )


def delete_image_tracks(project: Project, image_id: int) -> None:
    """Drop every track of `image_id` (the instances keep their track ids until rewritten)."""
    with project.transaction() as c:
        c.execute("DELETE FROM tracks WHERE image_id=?", (image_id,))
