"""Instances as columns: the import fast path for files with 100,000s of masks (COCO RLE).

A `PlanInstance` object per instance and `apply_plan`'s per-object work cost more than
converting the mask itself.  A plan may instead carry an `InstanceColumns`: parallel lists
(image, category, crowd, score, attributes), and the masks in the store's form arriving in
blocks from an iterator -- which may still be computing later blocks in worker processes while
`apply_plan` inserts the earlier ones (SQLite inserts overlap the conversion).

Until the blocks are consumed, empty masks and malformed RLEs are unknown.  `resolve()`
consumes everything at once (dry runs, validation, `replace` imports: exact reports before
anything is written); `rows()` streams them into the insert, skipping and reporting empty
masks, and raising the reader's error (the transaction rolls back) on a malformed one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import repeat
from typing import cast

import numpy as np

from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.io.reports import ImportReport
from segstudio.store.bulk import ImportWriter

# a block of consecutive instances: y0, x0, h, w, area, box-local RLE counts (`coco_blocks.
# PatchBlock`), and for `shaped` columns a 7th list, the shape each was drawn as (JSON or None)
ColumnBlock = tuple[list, ...]

@dataclass
class InstanceColumns:
    image: list[int]  # index in ImportPlan.images
    category: list[str]
    crowd: list[int]
    score: list[float | None]
    attributes: list[str]  # JSON text ("{}" when none)
    blocks: Iterator[ColumnBlock]  # the masks, in instance order
    where: Callable[[int], str]  # names instance k in messages
    close: Callable[[], None] = field(default=lambda: None)  # stops the producer early
    resolved: bool = False
    shaped: bool = False  # blocks carry drawn shapes (a 7th list)
    empty_reason: str = "empty mask"  # how a skipped empty mask is reported

    def insert(self, db: ImportWriter, rows: Iterable[tuple]) -> None:
        """Insert one iterable of `row_blocks` (the row layout depends on `shaped`)."""
        if self.shaped:
            db.insert_shaped_column_rows(rows)
        else:
            db.insert_column_rows(rows)

    def __len__(self) -> int:
        return len(self.image)

    def resolve(self, rep: ImportReport) -> None:
        """Compute every mask now; drop (and report) the empty ones."""
        if self.resolved:
            return
        cols: list[list] = [[] for _ in range(7 if self.shaped else 6)]
        for block in self.blocks:
            for c, part in zip(cols, block):
                c.extend(part)
        self.close()
        keep = [k for k, a in enumerate(cols[4]) if a]
        if len(keep) < len(cols[4]):
            for k, a in enumerate(cols[4]):
                if not a:
                    rep.skip(self.where(k), self.empty_reason)
            for name in ("image", "category", "crowd", "score", "attributes"):
                v = getattr(self, name)
                setattr(self, name, [v[k] for k in keep])
            cols = [[c[k] for k in keep] for c in cols]
        self.blocks = iter([tuple(cols)])
        self.resolved = True

    def row_blocks(
        self,
        image_ids: list[int | None],
        cat_ids: dict[str, int],
        label_set: str,
        next_id: dict[int, int],
        next_z: dict[int, int],
        rep: ImportReport,
        touched: set[int],
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[Iterable[tuple]]:
        """Rows in the store's `COLUMN_ROW` layout (`store.bulk`), one iterable per block (for
        one `ImportWriter.insert_column_rows` each);
        instances of images not imported (`image_ids[i] is None`) are left out, empty masks
        skipped and reported, the others counted in `rep` (unless resolved) and their image ids
        added to `touched`.

        Rows are zipped from columns (C speed, no Python frame per row) and ids and z numbered
        per block with numpy; only blocks with something to leave out take the per-instance
        loop."""
        counts: Counter[str] = Counter()
        k0 = 0
        total = len(self.image)
        for block in self.blocks:
            y0, x0, h, w, area, enc = block[:6]
            extra = block[6:7]  # the drawn shapes, if any
            k1 = k0 + len(enc)
            iids = [image_ids[i] for i in self.image[k0:k1]]
            cats = self.category[k0:k1]
            if None in iids or 0 in area:
                yield list(self._rows_one_by_one(k0, iids, cat_ids, label_set, next_id, next_z,
                                                 rep, touched, counts, block))
            else:
                known = cast(list[int], iids)  # no None in this branch
                nids, nzs = _number(known, next_id, next_z)
                touched.update(known)
                counts.update(cats)
                yield zip(iids, repeat(label_set), nids, [cat_ids[c] for c in cats], enc,
                          y0, x0, h, w, area, nzs, self.score[k0:k1],
                          self.attributes[k0:k1], self.crowd[k0:k1], *extra)
            k0 = k1
            report(progress, k0, total, "writing")
            if cancel is not None:
                cancel.check()
        if not self.resolved:  # resolved columns were counted up front (`count`)
            for cat, n in counts.items():
                rep.count(cat, n)

    def _rows_one_by_one(self, k0, iids, cat_ids, label_set, next_id, next_z, rep, touched,
                         counts, block) -> Iterator[tuple]:
        y0, x0, h, w, area, enc = block[:6]
        shapes = block[6] if len(block) > 6 else None
        for j, iid in enumerate(iids):
            k = k0 + j
            if iid is None:
                continue
            if not area[j]:
                rep.skip(self.where(k), self.empty_reason)
                continue
            cat = self.category[k]
            counts[cat] += 1
            nid = next_id.get(iid, 1)
            nz = next_z.get(iid, 0)
            next_id[iid] = nid + 1
            next_z[iid] = nz + 1
            touched.add(iid)
            row = (iid, label_set, nid, cat_ids[cat], enc[j], y0[j], x0[j], h[j], w[j], area[j],
                   nz, self.score[k], self.attributes[k], self.crowd[k])
            yield row if shapes is None else (*row, shapes[j])

    def categories(self, selected: list[bool]) -> set[str]:
        """Names used by instances of selected plan images."""
        if all(selected):
            return set(self.category)
        return {c for i, c in zip(self.image, self.category) if selected[i]}

    def count(self, selected: list[bool], rep: ImportReport) -> None:
        """Count instances of selected images per category (after `resolve`)."""
        counts: dict[str, int] = {}
        for i, c in zip(self.image, self.category):
            if selected[i]:
                counts[c] = counts.get(c, 0) + 1
        for c, n in counts.items():
            rep.count(c, n)


def _number(iids: list[int], next_id: dict[int, int], next_z: dict[int, int]) -> tuple[list[int], list[int]]:
    """Ids and z of a block's instances: each image's next free id / z, counting up in block
    order, as one loop over the instances would (`next_id` / `next_z` are advanced)."""
    a = np.asarray(iids, dtype=np.int64)
    order = np.argsort(a, kind="stable")
    s = a[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    sizes = np.diff(np.r_[starts, len(s)])
    images = s[starts].tolist()
    base_id = np.array([next_id.get(i, 1) for i in images], np.int64)
    base_z = np.array([next_z.get(i, 0) for i in images], np.int64)
    rank = np.arange(len(s)) - np.repeat(starts, sizes)
    nids, nzs = np.empty_like(a), np.empty_like(a)
    nids[order] = np.repeat(base_id, sizes) + rank
    nzs[order] = np.repeat(base_z, sizes) + rank
    for i, b_id, b_z, n in zip(images, base_id.tolist(), base_z.tolist(), sizes.tolist()):
        next_id[i], next_z[i] = b_id + n, b_z + n
    return nids.tolist(), nzs.tolist()
