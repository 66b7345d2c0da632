"""Instance writes with revisions: no silent overwrite, never last-writer-wins.

Every instance row carries `rev` (1 when made, +1 on each change) and who changed it when
(`updated_by`, `updated_at`).  A writer that knows which revisions its edit is based on (the
GUI's document persister: the revisions it loaded, then the ones it wrote) passes them as
`expected`; each change is then conditional:

- a changed instance: `UPDATE ... WHERE rev = expected` - no row means someone changed or
  deleted it since: `StaleWrite`;
- a new instance: `INSERT ... ON CONFLICT DO NOTHING` - no row means someone made that id;
- a deleted instance: `DELETE ... WHERE rev = expected`.

A StaleWrite rolls the whole transaction back (nothing of the gesture is written) and names
who changed what; the window then shows the image as the database holds it (`qt/save_state`).
Writers without `expected` (imports, pre-labels, tools working on the whole project) write
as before, bumping the revision so a document open elsewhere learns it is stale.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable

from segstudio.core import rle
from segstudio.core.instance import Instance
from segstudio.store.errors import ProjectError
from segstudio.store.identity import user_name

_DATA_COLS = ("category_id", "rle", "y0", "x0", "h", "w", "bbox_x", "bbox_y", "bbox_w", "bbox_h",
              "area", "source", "score", "attributes", "track_id", "crowd", "shape")
_KEY = "image_id=? AND frame=? AND label_set=? AND id=?"
_INSERT_COLS = ("image_id, frame, label_set, id, " + ", ".join(_DATA_COLS)
                + ", z, rev, updated_by, updated_at")
_INSERT = (f"INSERT INTO instances({_INSERT_COLS}) VALUES ("
           + ",".join("?" * (4 + len(_DATA_COLS) + 4)) + ")")
_SET = ", ".join(f"{c}=excluded.{c}" for c in _DATA_COLS)
UPSERT_SQL = (_INSERT + " ON CONFLICT(image_id, frame, label_set, id) DO UPDATE SET " + _SET
              + ", rev=instances.rev+1, updated_by=excluded.updated_by, updated_at=excluded.updated_at")
INSERT_NEW_SQL = _INSERT + " ON CONFLICT(image_id, frame, label_set, id) DO NOTHING"
UPDATE_SQL = ("UPDATE instances SET " + ", ".join(f"{c}=?" for c in _DATA_COLS)
              + f", rev=rev+1, updated_by=?, updated_at=? WHERE {_KEY} AND rev=?")


class StaleWrite(ProjectError):
    """An edit was based on an instance that someone else changed since; nothing was written."""


def data_values(inst: Instance) -> tuple:
    """The stored columns of `inst`, in `_DATA_COLS` order."""
    m = inst.mask.tight()
    if m.data.size == 0:
        enc, y0, x0, h, w = "", 0, 0, 0, 0
    else:
        enc, y0, x0, h, w = rle.encode_patch(m)["counts"], m.y0, m.x0, m.height, m.width
    return (inst.category_id, enc, y0, x0, h, w, x0, y0, w, h, m.area, inst.source, inst.score,
            json.dumps(inst.attributes), inst.track_id, int(inst.crowd),
            inst.shape.to_json() if inst.shape is not None else None)


def revisions(conn, image_id: int, frame: int, label_set: str) -> dict[int, int]:
    rows = conn.execute("SELECT id, rev FROM instances WHERE image_id=? AND frame=? AND label_set=?",
                        (image_id, frame, label_set))
    return {int(i): int(r) for i, r in rows}


def write(conn, image_id: int, upserts: list[Instance], deletes: Iterable[int],
          z_of: dict[int, int], next_z, *, frame: int, label_set: str,
          expected: dict[int, int] | None, image_name: str = "") -> dict[int, int]:
    """Write inside the caller's transaction; returns the new revision of each upsert
    (unconditional writes: not known without a read, so not returned)."""
    who, now = user_name(), time.time()
    key = (image_id, frame, label_set)
    new_revs: dict[int, int] = {}
    for iid in deletes:
        base = None if expected is None else expected.get(iid)
        if base is None:
            conn.execute(f"DELETE FROM instances WHERE {_KEY}", (*key, iid))
        elif conn.execute(f"DELETE FROM instances WHERE {_KEY} AND rev=?",
                          (*key, iid, base)).rowcount != 1:
            raise _stale(conn, key, iid, "delete", image_name)
    fresh_z = None
    for inst in upserts:
        values = data_values(inst)
        base = None if expected is None else expected.get(inst.id)
        if base is not None:
            cur = conn.execute(UPDATE_SQL, (*values, who, now, *key, inst.id, base))
            if cur.rowcount != 1:
                raise _stale(conn, key, inst.id, "change", image_name)
            new_revs[inst.id] = base + 1
            continue
        z = z_of.get(inst.id)
        if z is None:
            fresh_z = next_z() if fresh_z is None else fresh_z + 1
            z = fresh_z
        row = (*key, inst.id, *values, z, 1, who, now)
        if expected is None:
            conn.execute(UPSERT_SQL, row)
        elif conn.execute(INSERT_NEW_SQL, row).rowcount != 1:
            raise _stale(conn, key, inst.id, "add", image_name)
        else:
            new_revs[inst.id] = 1
    if z_of:
        conn.executemany(f"UPDATE instances SET z=? WHERE {_KEY}",
                         [(z, *key, iid) for iid, z in z_of.items()])
    return new_revs


def _stale(conn, key: tuple, iid: int, what: str, image_name: str) -> StaleWrite:
    row = conn.execute(f"SELECT updated_by, updated_at FROM instances WHERE {_KEY}", (*key, iid)).fetchone()
    where = image_name or f"image {key[0]}"
    if row is None:
        done = "deleted by someone else"
    else:
        by = row[0] or "another writer"
        at = time.strftime("%H:%M:%S", time.localtime(row[1])) if row[1] else "an unknown time"
        done = f"{'made' if what == 'add' else 'changed'} by {by} at {at}"
    return StaleWrite(f"{where}: instance {iid} was {done} after you opened the image; your "
                      f"{what} was not saved (the image now shows the current state)")
