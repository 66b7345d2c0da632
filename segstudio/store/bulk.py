"""The store's side of dataset import and export: rows in bulk, as the database holds them.

Importers build instance rows already encoded (COCO RLE counts of the box, as `instances`
stores them) and hand them over in large batches; exporters read stored rows without decoding
a mask.  The row layouts are fixed here:

* `INSTANCE_ROW`: (image_id, frame, label_set, id, category_id, rle, y0, x0, h, w, bbox_x,
  bbox_y, bbox_w, bbox_h, area, z, source, score, attributes, track_id, crowd, shape)
* `COLUMN_ROW`, an imported still-image instance: (image_id, label_set, id, category_id, rle,
  y0, x0, h, w, area, z, score, attributes, crowd) -- frame 0, source 'import', no track, the
  bbox the box itself (fewer bound values than INSTANCE_ROW: ~20 % faster inserts)
* `SHAPED_COLUMN_ROW`: `COLUMN_ROW` + (shape,), an imported instance that keeps the shape it
  was drawn as (`core.drawn` JSON, or None)
* `STORED_ROW`, what exporters read: (image_id, id, category_id, rle, y0, x0, h, w, area, crowd,
  attributes, shape), plus (frame, track_id) for videos
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from segstudio.store.project import Project
from segstudio.store.rows import inserted_id
from segstudio.store.status import mark_edited

_INSERT = (
    "INSERT INTO instances(image_id, frame, label_set, id, category_id, rle, y0, x0, h, w,"
    " bbox_x, bbox_y, bbox_w, bbox_h, area, z, source, score, attributes, track_id, crowd, shape)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_INSERT_COLUMNS = (
    "INSERT INTO instances(image_id, label_set, id, category_id, rle, y0, x0, h, w, bbox_x, bbox_y,"
    " bbox_w, bbox_h, area, z, score, attributes, crowd, frame, source, track_id)"
    " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?7,?6,?9,?8,?10,?11,?12,?13,?14,0,'import',NULL)"
)
_INSERT_SHAPED_COLUMNS = (
    "INSERT INTO instances(image_id, label_set, id, category_id, rle, y0, x0, h, w, bbox_x, bbox_y,"
    " bbox_w, bbox_h, area, z, score, attributes, crowd, shape, frame, source, track_id)"
    " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?7,?6,?9,?8,?10,?11,?12,?13,?14,?15,0,'import',NULL)"
)
_STORED = "image_id, id, category_id, rle, y0, x0, h, w, area, crowd, attributes, shape"


class ImportWriter:
    """Every statement an import needs; use it inside one `project.transaction()`."""

    def __init__(self, project: Project) -> None:
        self.project = project

    def add_category(self, name: str, color: str, supercategory: str | None, position: int,
                     ignore: bool) -> int:
        cur = self.project.conn.execute(
            "INSERT INTO categories(name, color, supercategory, position, ignore_region) VALUES (?,?,?,?,?)",
            (name, color, supercategory, position, int(ignore)),
        )
        return inserted_id(cur)

    def next_image_id(self) -> int:
        """The id the next image gets (we hold the write lock, so the caller numbers new images
        itself and inserts them in one `add_images`)."""
        return int(self.project.conn.execute("SELECT IFNULL(MAX(id), 0) FROM images").fetchone()[0]) + 1

    def add_images(self, rows: Iterable[tuple]) -> None:
        """Rows (id, path, width, height, kind, frame_count, fps, split, added_at, updated_at)."""
        self.project.conn.executemany(
            "INSERT INTO images(id, path, width, height, kind, frame_count, fps, split,"
            " added_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)

    def set_splits(self, rows: Iterable[tuple[str, int]]) -> None:
        """Rows (split, image id)."""
        self.project.conn.executemany("UPDATE images SET split=? WHERE id=?", rows)

    def clear(self, image_ids: Iterable[int], label_set: str) -> None:
        """Drop the instances of `label_set` on these images (replace mode)."""
        self.project.conn.executemany(
            "DELETE FROM instances WHERE image_id=? AND label_set=?", [(i, label_set) for i in image_ids]
        )

    def next_ids(self, label_set: str) -> dict[int, tuple[int, int]]:
        """image id -> (next free instance id, next z) for the images with instances in `label_set`."""
        rows = self.project.conn.execute(
            "SELECT image_id, MAX(id), MAX(z) FROM instances WHERE label_set=? GROUP BY image_id",
            (label_set,),
        )
        return {int(i): (int(mid) + 1, int(mz) + 1) for i, mid, mz in rows}

    def ensure_label_set(self, label_set: str, now: float) -> None:
        self.project.conn.execute(
            "INSERT OR IGNORE INTO label_sets(name, kind, source, created_at) VALUES (?,?,?,?)",
            (label_set, "ground_truth" if label_set == "gt" else "prediction", "import", now),
        )

    def insert_rows(self, rows: Iterable[tuple]) -> None:
        """Rows in the `INSTANCE_ROW` layout."""
        self.project.conn.executemany(_INSERT, rows)

    def insert_column_rows(self, rows: Iterable[tuple]) -> None:
        """Rows in the `COLUMN_ROW` layout (an iterator is consumed as it is inserted)."""
        self.project.conn.executemany(_INSERT_COLUMNS, rows)

    def insert_shaped_column_rows(self, rows: Iterable[tuple]) -> None:
        """Rows in the `SHAPED_COLUMN_ROW` layout (an iterator is consumed as it is inserted)."""
        self.project.conn.executemany(_INSERT_SHAPED_COLUMNS, rows)

    def mark_edited(self, image_ids: Iterable[int], now: float) -> None:
        """Imported labels are work on the image (the status rule of `store.status`)."""
        mark_edited(self.project, image_ids, now)


def image_sizes(project: Project) -> dict[str, tuple[int, int, int]]:
    """relative path -> (id, width, height) of every project item."""
    rows = project.conn.execute("SELECT path, id, width, height FROM images")
    return {p: (int(i), int(w), int(h)) for p, i, w, h in rows}


def instance_count_bound(project: Project) -> int:
    """Every stored instance, of every label set (the smallest index answers it): an upper
    bound for an export's work."""
    return int(project.conn.execute("SELECT COUNT(*) FROM instances").fetchone()[0])


def stored_rows(project: Project, label_set: str) -> Iterator[tuple]:
    """`STORED_ROW`s of the non-empty frame-0 instances of `label_set`, by image and z."""
    yield from project.conn.execute(
        f"SELECT {_STORED} FROM instances WHERE label_set=? AND frame=0 AND area>0 ORDER BY image_id, z",
        (label_set,),
    )


def stored_video_rows(project: Project, image_id: int, label_set: str) -> Iterator[tuple]:
    """`STORED_ROW` + (frame, track_id) of a video's non-empty instances, by frame and z."""
    yield from project.conn.execute(
        f"SELECT {_STORED}, frame, track_id FROM instances WHERE image_id=? AND label_set=?"
        " AND area>0 ORDER BY frame, z",
        (image_id, label_set),
    )


# {crowd}: ignore regions are written as COCO writes them, iscrowd annotations (COCOeval
# ignores those): "i.crowd", or 1 also for the ignore categories' instances
_COCO_ROWS = (
    "SELECT i.image_id, i.category_id, i.rle, i.y0, i.x0, i.h, i.w, i.area, {crowd},"
    " i.score, i.attributes, m.height, m.width, i.shape FROM instances i JOIN images m ON m.id = i.image_id"
    " WHERE i.label_set = ? AND i.frame = 0 AND m.kind = 'image' AND i.area > 0{split}"
    " ORDER BY i.image_id, i.z"
)


def coco_row_blocks(project: Project, label_set: str, block: int, *, by_split: bool = False,
                    split: str | None = None) -> Iterator[list[tuple]]:
    """Lists of up to `block` rows for a COCO export: (image_id, category_id, rle, y0, x0, h, w,
    area, crowd or ignore region, score, attributes, image height, image width, shape) of the
    still images' non-empty instances, by image and z; with `by_split`, only images of `split`
    (None: without one).  Read lazily: a pool pulls the next block while workers convert."""
    where, args = "", [label_set]
    if by_split:
        where = " AND m.split IS NULL" if split is None else " AND m.split = ?"
        args += [] if split is None else [split]
    ignore = [int(i) for (i,) in project.conn.execute("SELECT id FROM categories WHERE ignore_region <> 0")]
    crowd = (f"CASE WHEN i.crowd <> 0 OR i.category_id IN ({','.join(map(str, ignore))}) THEN 1 ELSE 0 END"
             if ignore else "i.crowd")  # plain SQL: PostgreSQL runs it too
    cur = project.conn.execute(_COCO_ROWS.format(split=where, crowd=crowd), args)
    while True:
        rows = cur.fetchmany(block)
        if not rows:
            return
        yield rows
