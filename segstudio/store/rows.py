"""Rows of the project database as records: the columns read, and row -> record."""

from __future__ import annotations

import json
import sqlite3

from segstudio.core import rle
from segstudio.core.drawn import DrawnShape
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.store.status import STATUSES

IMAGE_COLS = "id, path, width, height, status, split, kind, frame_count, review_status"
INSTANCE_COLS = (
    "id, category_id, rle, y0, x0, h, w, source, score, attributes, track_id, crowd, shape"
)


def inserted_id(cur: sqlite3.Cursor) -> int:
    """The row id an INSERT just made."""
    if cur.lastrowid is None:
        raise RuntimeError("the statement inserted no row")
    return int(cur.lastrowid)


def status_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Images per status (every status present, zeros included)."""
    counts = dict.fromkeys(STATUSES, 0)
    for status, n in conn.execute("SELECT status, COUNT(*) FROM images GROUP BY status"):
        counts[status] = n
    return counts


def row_to_instance(row: tuple, shape: tuple[int, int]) -> Instance:
    iid, cat, enc, y0, x0, h, w, source, score, attrs, track, crowd, drawn = row
    if h and w:
        data = rle.decode({"size": [h, w], "counts": enc})
        patch = MaskPatch(y0, x0, data, shape)
    else:
        patch = MaskPatch.empty(shape)
    return Instance(
        iid, cat, patch, source, score, json.loads(attrs) if attrs else {}, track, bool(crowd),
        DrawnShape.from_json(drawn),
    )
