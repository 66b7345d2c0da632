"""Schema migration 3: EXIF-rotated JPEG/TIFF images get their *displayed* size.

Before it, a portrait phone photo (stored landscape with EXIF orientation 6 or 8) was recorded
with its stored size while the loader turned the pixels upright, so the document, the overlay
and every export used a frame the user never saw.  Annotations were always drawn on the visible
(turned) image, so their coordinates are already right: only the size changes, and the parts of
masks that lay outside the visible image (strokes the old frame let through) are cut off.  A
mask left with nothing is removed, a cut mask loses its drawn shape (it no longer makes the
mask); the counts go to the `meta` table.

Images whose file cannot be read now keep their size (nothing to learn it from)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from segstudio.core import rle
from segstudio.core.image_header import HeaderError, read_header
from segstudio.core.masks import MaskPatch

ROTATABLE = (".jpg", ".jpeg", ".tif", ".tiff")
_HEAD = 4096  # EXIF IFD0 sits in the first bytes; read_header reads on where it must


def project_root(conn: sqlite3.Connection) -> Path | None:
    """The folder of the main database file (None for an in-memory database)."""
    for _seq, name, file in conn.execute("PRAGMA database_list"):
        if name == "main" and file:
            return Path(file).parent
    return None


def displayed_size(path: Path) -> tuple[int, int] | None:
    """(width, height) as displayed, or None when the file cannot be read."""
    try:
        with open(path, "rb") as f:
            head = f.read(_HEAD)
        hdr = read_header(path, head)
    except (OSError, HeaderError):
        return None
    return hdr.width, hdr.height


def migrate_displayed_sizes(conn: sqlite3.Connection) -> None:
    root = project_root(conn)
    if root is None:
        return
    rows = conn.execute(
        "SELECT id, path, width, height FROM images WHERE kind='image' AND ("
        + " OR ".join("lower(path) LIKE ?" for _ in ROTATABLE) + ")",
        [f"%{ext}" for ext in ROTATABLE],
    ).fetchall()
    images = cropped = removed = 0
    for image_id, rel, width, height in rows:
        size = displayed_size(root / rel)
        if size is None or size == (width, height) or size != (height, width):
            continue  # unreadable, already right, or changed otherwise (not ours to guess)
        new_w, new_h = size
        conn.execute("UPDATE images SET width=?, height=? WHERE id=?", (new_w, new_h, image_id))
        images += 1
        c, r = _crop_instances(conn, image_id, (new_h, new_w))
        cropped += c
        removed += r
    if images:
        conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('displayed_sizes_migration', ?)",
            (json.dumps({"images": images, "masks_cropped": cropped, "masks_removed": removed}),),
        )


def _crop_instances(conn: sqlite3.Connection, image_id: int, shape: tuple[int, int]) -> tuple[int, int]:
    """Cut every mask of `image_id` (all frames and label sets) to `shape`."""
    h_img, w_img = shape
    outside = conn.execute(
        "SELECT frame, label_set, id, rle, y0, x0, h, w FROM instances WHERE image_id=? AND h>0"
        " AND w>0 AND (y0+h>? OR x0+w>?)",
        (image_id, h_img, w_img),
    ).fetchall()
    cropped = removed = 0
    for frame, label_set, iid, enc, y0, x0, h, w in outside:
        key = (image_id, frame, label_set, iid)
        data = rle.decode({"size": [h, w], "counts": enc})
        patch = MaskPatch.from_window(data, y0, x0, shape)
        if patch.area == 0:
            conn.execute(
                "DELETE FROM instances WHERE image_id=? AND frame=? AND label_set=? AND id=?", key
            )
            removed += 1
            continue
        conn.execute(
            "UPDATE instances SET rle=?, y0=?, x0=?, h=?, w=?, bbox_x=?, bbox_y=?, bbox_w=?,"
            " bbox_h=?, area=?, shape=NULL WHERE image_id=? AND frame=? AND label_set=? AND id=?",
            (rle.encode_patch(patch)["counts"], patch.y0, patch.x0, patch.height, patch.width,
             patch.x0, patch.y0, patch.width, patch.height, patch.area, *key),
        )
        cropped += 1
    return cropped, removed
