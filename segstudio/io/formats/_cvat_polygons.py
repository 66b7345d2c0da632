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
from segstudio.io import parallel, polygon_jit
from segstudio.io.coords import REACHES_OUTSIDE, tame_polygon
from segstudio.io.errors import FormatError
from segstudio.io.formats import _cvat_xml as cx
from segstudio.io.formats._cvat_scan import Scanned
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


def big_file(xml: Path) -> bool:
    """Large enough to want worker processes (by its size: ~POOL_THRESHOLD polygons)."""
    try:
        big = xml.stat().st_size >= WARM_UP_BYTES
    except OSError:
        return False
    return big and parallel.workers_for(POOL_THRESHOLD, POOL_THRESHOLD, IMPORT_WORKERS) > 0


def warm_up(xml: Path) -> None:
    """Start the fork server now (it takes ~0.25 s) when the file is large enough to want a
    pool: it then starts while the XML is parsed, not after."""
    if big_file(xml):
        parallel.warm_up(jit=polygon_jit.enabled())
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
        # for the lines of polygons refused or clipped later: a record, or its index in `scanned`
        self.shapes: list[cx.Shape | int] = []
        self.scanned: Scanned | None = None
        self.hw: list[tuple[int, int]] = []  # per plan image
        self.declared: set[str] = set()
        self._stream: tuple[Iterator[ColumnBlock], Callable[[], None]] | None = None
        self._failure: BaseException | None = None

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

    def add_scanned(self, index: int, pim: PlanImage, sc: Scanned, a: int, b: int) -> None:
        """`add` for polygons a:b of a fast-read file (`_cvat_scan`): the same columns, with
        no record per polygon (one is made only for a message or a non-plain attribute)."""
        while len(self.hw) <= index:
            self.hw.append((0, 0))
        self.hw[index] = (pim.height, pim.width)
        labels = sc.label[a:b]
        if not self.declared.issuperset(labels):  # labels met first get the first category ids
            for j, label in enumerate(labels):
                if label not in self.declared:
                    if not label:
                        raise FormatError(self.path, "<polygon> without a label", f"line {sc.shape(a + j).line}")
                    self.plan.category(label)
                    self.declared.add(label)
        order: range | list[int] = range(a, b)
        z = sc.z[a:b]
        if any(p > q for p, q in zip(z, z[1:])):  # stable: equal z keep the file's order
            order = [a + j for j in sorted(range(b - a), key=z.__getitem__)]
        source, occluded, group = sc.source, sc.occluded, sc.group
        for k in order:
            if occluded[k] == "1" or group[k] not in PLAIN_ATTRS or source[k] not in ("", "manual"):
                try:  # a record without its line (finding the line costs a search)
                    attrs, crowd = self.attributes(cx.Shape("polygon", sc.attrs(k), 0), sc.label[k])
                except FormatError:
                    attrs, crowd = self.attributes(sc.shape(k), sc.label[k])  # raised with its line
                self.attrs.append(json.dumps(attrs) if attrs else "{}")
                self.crowd.append(int(crowd))
            else:
                self.attrs.append("{}")
                self.crowd.append(0)
        self.image.extend([index] * (b - a))
        if isinstance(order, range):
            self.category.extend(labels)
            self.texts.extend(sc.points[a:b])
        else:
            self.category.extend([sc.label[k] for k in order])
            self.texts.extend([sc.points[k] for k in order])
        self.shapes.extend(order)
        self.scanned = sc

    def stream(self, advance: Callable[[], bool]) -> None:
        """Draw while the file is still being read: `advance()` reads one more image into
        these columns (False at the end).  The pool pulls it forward until a block of polygons
        is ready and submits it, up to AHEAD blocks, so the workers start on the first blocks
        while the parent reads the next ones; the caller then reads the rest.  An error raised
        by `advance` in that pull is raised here, once the pool is stopped."""
        workers = parallel.workers_for(POOL_THRESHOLD, POOL_THRESHOLD, IMPORT_WORKERS)
        if not workers:
            return
        texts = self.texts
        jit = polygon_jit.enabled()

        def tasks() -> Iterator[tuple[int, tuple]]:
            a, done = 0, False
            while True:
                while not done and len(texts) - a < BLOCK:
                    try:
                        done = not advance()
                    except BaseException as e:  # noqa: BLE001 - raised again by `stream`
                        self._failure = e
                        return
                if a >= len(texts):
                    return
                b = min(a + BLOCK, len(texts))
                hw = np.array([self.hw[i] for i in self.image[a:b]], np.int64).reshape(-1, 2)
                yield a, (texts[a:b], hw[:, 0], hw[:, 1], SUB_BLOCK, jit)
                a = b

        self._stream = parallel.pooled_blocks(cvat_block, tasks(), workers, AHEAD, self._take)
        if self._failure is not None:
            self.stop()
            raise self._failure

    def stop(self) -> None:
        """Stop a `stream` (the read failed)."""
        if self._stream is not None:
            self._stream[1]()
            self._stream = None

    def columns(self) -> InstanceColumns | None:
        """The plan's columns; the conversion starts now (in workers for large files) unless
        it was started while reading (`stream`)."""
        n = len(self.image)
        if not n:
            self.stop()
            return None
        if self._stream is not None:
            blocks, close = self._stream
            workers = 1
        else:
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
        # workers fork with the compiled kernels loaded; inline, they are used only when this
        # process has them already (loading numba costs more than a small file's drawing)
        jit = polygon_jit.enabled() and (workers > 0 or polygon_jit.kernels() is not None)
        tasks = ((a, (texts[a:a + BLOCK], H[a:a + BLOCK], W[a:a + BLOCK], SUB_BLOCK, jit))
                 for a in range(0, len(texts), BLOCK))

        return parallel.pooled_blocks(cvat_block, tasks, workers, AHEAD, self._take)

    def _take(self, a: int, result: tuple[ColumnBlock, list[int]]) -> ColumnBlock:
        block, odd = result
        for j in odd:
            self._odd(a + j, block, j)
        return block

    def _odd(self, k: int, block: ColumnBlock, j: int) -> None:
        """Polygon k (entry j of its block), which the block could not take as it is: refused
        (FormatError with its line) or clipped far out and drawn by pycocotools, as
        `cvat.ShapeReader` does."""
        s = self.shapes[k]
        if isinstance(s, int):
            assert self.scanned is not None
            s = self.scanned.shape(s)
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

