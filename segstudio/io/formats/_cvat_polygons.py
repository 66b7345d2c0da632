"""CVAT images whose shapes are all polygons: read as plan columns, drawn block by block.

The common CVAT file (polygons only) would cost a `PlanInstance`, a pycocotools call on the
whole image and a full-image-to-box RLE conversion per polygon.  Here the reader keeps only
columns (image, category, attributes, the `points` text) and the polygons are drawn in blocks
by `polygon_blocks.cvat_block` -- exactly as pycocotools draws them on the whole image, straight
into the store's box RLE, with the drawn shape's JSON -- inline for small files, in worker
processes for large ones while `apply_plan` already inserts the first blocks (the COCO RLE
reader's design, `docs/decisions/formats-batch-rle.md`).

Polygons a block cannot take as they are (malformed `points`, NaN, vertices more than a pixel
outside the image) come back by index; they are refused or clipped here, with the file and
line, exactly as `cvat.ShapeReader` does for the other images.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from segstudio.core.drawn import DrawnShape
from segstudio.io import parallel
from segstudio.io.coords import REACHES_OUTSIDE, tame_polygon
from segstudio.io.errors import FormatError
from segstudio.io.formats import _cvat_xml as cx
from segstudio.io.plan import ImportPlan, PlanImage
from segstudio.io.plan_columns import ColumnBlock, InstanceColumns
from segstudio.io.polygon_blocks import cvat_block, draw_full

BLOCK = 2048  # polygons per conversion task
SUB_BLOCK = 512  # polygons per kernel call inside a task (arrays stay cache-sized)
# a pool starts only for this many polygons (~0.03-0.25 s to start; a polygon costs ~15 us)
POOL_THRESHOLD = 20000
IMPORT_WORKERS = 2  # the parent parses and inserts; see coco.IMPORT_WORKERS
AHEAD = 24  # blocks converted ahead of the inserts (see coco.AHEAD): ~50,000 polygons
WARM_UP_BYTES = 5_000_000  # ~POOL_THRESHOLD polygons of ~15 vertices


def warm_up(xml: Path) -> None:
    """Start the fork server now (it takes ~0.25 s) when the file is large enough to want a
    pool: it then starts while the XML is parsed, not after."""
    try:
        big = xml.stat().st_size >= WARM_UP_BYTES
    except OSError:
        return
    if big and parallel.workers_for(POOL_THRESHOLD, POOL_THRESHOLD, IMPORT_WORKERS):
        parallel.warm_up()
PLAIN_ATTRS = (None, "", "0")


class PolygonColumns:
    """Collects the polygons of polygon-only images, in each image's z order."""

    def __init__(self, path: Path, plan: ImportPlan, attributes: Callable) -> None:
        self.path = path
        self.plan = plan
        self.attributes = attributes  # (shape, label) -> (attributes dict, crowd): ShapeReader's
        self.image: list[int] = []
        self.category: list[str] = []
        self.crowd: list[int] = []
        self.attrs: list[str] = []
        self.texts: list[str] = []
        self.shapes: list[cx.Shape] = []  # for the lines of polygons refused or clipped later
        self.hw: list[tuple[int, int]] = []  # per plan image
        self.declared: set[str] = set()

    def add(self, index: int, pim: PlanImage, shapes: list[cx.Shape]) -> None:
        """The polygons of plan image `index` (all of its shapes)."""
        while len(self.hw) <= index:
            self.hw.append((0, 0))
        self.hw[index] = (pim.height, pim.width)
        path = self.path
        for s in shapes:  # in the file's order: labels met first get the first category ids
            label = s.attrs.get("label", "")
            if label not in self.declared:
                if not label:
                    raise FormatError(path, f"<{s.tag}> without a label", f"line {s.line}")
                self.plan.category(label)
                self.declared.add(label)
        z = [s.attrs.get("z_order") for s in shapes]
        if any(v not in (None, "0") for v in z):  # stable: equal z keep the file's order
            keys = [cx.integer(s.attrs, "z_order", path, s.line, default=0) for s in shapes]
            shapes = [shapes[k] for k in sorted(range(len(shapes)), key=keys.__getitem__)]
        for s in shapes:
            a = s.attrs
            label = a["label"]
            if s.attributes or a.get("occluded") == "1" or a.get("group_id") not in PLAIN_ATTRS \
                    or a.get("source") not in (None, "", "manual"):
                attrs, crowd = self.attributes(s, label)
                self.attrs.append(json.dumps(attrs) if attrs else "{}")
                self.crowd.append(int(crowd))
            else:
                self.attrs.append("{}")
                self.crowd.append(0)
            self.image.append(index)
            self.category.append(label)
            self.texts.append(a.get("points") or "")
            self.shapes.append(s)

    def columns(self) -> InstanceColumns | None:
        """The plan's columns; the conversion starts now (in workers for large files)."""
        n = len(self.image)
        if not n:
            return None
        hw = np.array(self.hw, np.int64).reshape(-1, 2)[np.asarray(self.image, np.int64)]
        workers = parallel.workers_for(n, POOL_THRESHOLD, IMPORT_WORKERS)
        blocks, close = self._blocks(hw[:, 0], hw[:, 1], workers)
        images, image, category = self.plan.images, self.image, self.category
        cols = InstanceColumns(
            image=self.image, category=self.category, crowd=self.crowd, score=[None] * n,
            attributes=self.attrs, blocks=blocks, close=close, shaped=True,
            empty_reason="shape covers no pixel",
            where=lambda k: f"{images[image[k]].ref} ({category[k]})",
        )
        if not workers:
            cols.resolve(self.plan.report)  # small: done now, errors raised by the reader as usual
        return cols

    def _blocks(self, H: np.ndarray, W: np.ndarray, workers: int
                ) -> tuple[Iterator[ColumnBlock], Callable[[], None]]:
        texts = self.texts
        tasks = ((a, (texts[a:a + BLOCK], H[a:a + BLOCK], W[a:a + BLOCK], SUB_BLOCK))
                 for a in range(0, len(texts), BLOCK))

        def take(a: int, result: tuple[ColumnBlock, list[int]]) -> ColumnBlock:
            block, odd = result
            for j in odd:
                self._odd(a + j, block, j)
            return block

        return parallel.pooled_blocks(cvat_block, tasks, workers, AHEAD, take)

    def _odd(self, k: int, block: ColumnBlock, j: int) -> None:
        """Polygon k (entry j of its block), which the block could not take as it is: refused
        (FormatError with its line) or clipped far out and drawn by pycocotools, as
        `cvat.ShapeReader` does."""
        s = self.shapes[k]
        h, w = self.hw[self.image[k]]
        pts = cx.points(s, self.path)
        if len(pts) < 3:
            raise FormatError(self.path, f"a polygon needs at least 3 points, found {len(pts)}", f"line {s.line}")
        self.plan.report.lose(REACHES_OUTSIDE, f"{self.plan.images[self.image[k]].ref} line {s.line}")
        pts = tame_polygon(pts, (h, w))  # far vertices clipped: pycocotools takes C ints
        if len(pts) < 3:
            return  # nothing near the image: an empty mask, skipped as such
        flat = tuple(pts.ravel().tolist())
        y0, x0, bh, bw, area, enc = draw_full(flat, h, w)
        for c, v in enumerate((y0, x0, bh, bw, area, enc)):
            block[c][j] = v
        if area:
            block[6][j] = DrawnShape("polygon", (flat,), "coco", 0.0, area).to_json()

