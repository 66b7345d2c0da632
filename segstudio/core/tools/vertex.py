"""Vertex editing of the selected instance's outline: drag, insert, delete vertices.

The outline is derived from the mask (`mask_to_polygons`, corner points only);
on release the edited rings are rasterised back with `polygons_to_mask`, so
untouched parts and holes come back exactly.  Drag a vertex to move it;
Shift+click on an edge inserts a vertex; Alt+click (or Delete over a vertex)
removes it.  Each gesture is one command.
"""

from __future__ import annotations

import numpy as np

from segstudio.core import commands
from segstudio.core.geometry import PolygonPart, mask_to_polygons, polygons_to_mask
from segstudio.core.masks import MaskPatch
from segstudio.core.tools.base import (
    KEY_BACKSPACE,
    KEY_DELETE,
    BaseTool,
    Buttons,
    Mods,
    PreviewShape,
)

Ref = tuple[int, int, int]  # part, ring, vertex


def _seg_dist(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    ab = b - a
    t = 0.0 if not ab.any() else float(np.clip(np.dot(p - a, ab) / np.dot(ab, ab), 0, 1))
    return float(np.hypot(*(a + t * ab - p)))


def _thin(ring: np.ndarray, spacing: float) -> np.ndarray:
    """Vertices at least `spacing` apart, for display only (every vertex stays pickable):
    traced outlines have a vertex at nearly every pixel of a curve."""
    keep, last = [], None
    for p in ring:
        if last is None or abs(p[0] - last[0]) + abs(p[1] - last[1]) >= spacing:
            keep.append(p)
            last = p
    return np.array(keep) if keep else ring[:0]


class VertexTool(BaseTool):
    name, label = "vertex", "Edit vertices"
    pick_radius = 5.0  # image pixels; the host scales it with the zoom

    def __init__(self) -> None:
        super().__init__()
        self._iid: int | None = None
        self._rev = -1
        self._parts: list[list[np.ndarray]] = []  # rings in image coords (pixel centres + 0.5)
        self._drag: Ref | None = None
        self._hover: Ref | None = None
        self._dirty = False

    # ------------------------------------------------------------ outline cache
    def _sync(self) -> None:
        doc = self._document()
        sel = self.ctx.selected_ids() if self.ctx else []
        iid = sel[0] if len(sel) == 1 else None
        if doc is None or iid is None:
            self._iid, self._parts = None, []
            return
        if iid == self._iid and doc.revision == self._rev:
            return
        self._iid, self._rev = iid, doc.revision
        parts = mask_to_polygons(doc.get(iid).mask)
        self._parts = [[r.astype(np.float64) + 0.5 for r in p.rings] for p in parts]

    def _nearest_vertex(self, x: float, y: float) -> Ref | None:
        best, ref = self.pick_radius, None
        for pi, rings in enumerate(self._parts):
            for ri, ring in enumerate(rings):
                d = np.hypot(ring[:, 0] - x, ring[:, 1] - y)
                k = int(np.argmin(d))
                if d[k] <= best:
                    best, ref = float(d[k]), (pi, ri, k)
        return ref

    def _nearest_edge(self, x: float, y: float) -> Ref | None:
        p = np.array([x, y])
        best, ref = self.pick_radius, None
        for pi, rings in enumerate(self._parts):
            for ri, ring in enumerate(rings):
                for k in range(len(ring)):
                    d = _seg_dist(p, ring[k], ring[(k + 1) % len(ring)])
                    if d <= best:
                        best, ref = d, (pi, ri, k + 1)
        return ref

    # ------------------------------------------------------------ events
    def press(self, x, y, buttons, modifiers) -> bool:
        if not buttons & Buttons.LEFT:
            return False
        self._sync()
        if self._iid is None:
            if self.ctx is not None:
                self.ctx.message("Edit vertices: select one instance first")
            return False
        v = self._nearest_vertex(x, y)
        if modifiers & Mods.ALT and v is not None:
            self._delete(v)
            return True
        if modifiers & Mods.SHIFT or v is None:
            e = self._nearest_edge(x, y)
            if e is None:
                return False
            pi, ri, k = e
            ring = self._parts[pi][ri]
            self._parts[pi][ri] = np.insert(ring, k, [x, y], axis=0)
            v = (pi, ri, k)
            self._dirty = True
        self._drag = v
        self._notify()
        return True

    def move(self, x, y, buttons, modifiers) -> bool:
        if self._drag is None:
            self._sync()
            hov = self._nearest_vertex(x, y) if self._parts else None
            if hov != self._hover:
                self._hover = hov
                self._notify()
            return False
        pi, ri, k = self._drag
        self._parts[pi][ri][k] = (x, y)
        self._dirty = True
        self._notify()
        return True

    def release(self, x, y, buttons, modifiers) -> bool:
        if self._drag is None:
            return False
        self.move(x, y, buttons, modifiers)
        self._drag = None
        if self._dirty:
            self._commit("Move vertex")
        return True

    def key(self, key: str, modifiers: Mods) -> bool:
        if key in (KEY_DELETE, KEY_BACKSPACE) and self._hover is not None:
            self._delete(self._hover)
            return True
        return False

    def cancel(self) -> None:
        self._drag = None
        self._rev = -1  # re-derive from the document
        self._dirty = False
        self._notify()

    def preview(self) -> list[PreviewShape]:
        self._sync()
        out = []
        for rings in self._parts:
            for ring in rings:
                out.append(PreviewShape("polygon", ring, "handle"))
                out.append(PreviewShape("handles", _thin(ring, self.pick_radius), "handle"))
        ref = self._drag or self._hover
        if ref is not None and ref[0] < len(self._parts):
            pi, ri, k = ref
            ring = self._parts[pi][ri]
            if k < len(ring):
                out.append(PreviewShape("point", ring[k : k + 1], "active"))
        return out

    # ------------------------------------------------------------ commit
    def _delete(self, ref: Ref) -> None:
        pi, ri, k = ref
        ring = self._parts[pi][ri]
        if len(ring) <= 3:
            del self._parts[pi][ri]  # a ring below 3 vertices goes (a hole closes, a part vanishes)
            if ri == 0:
                del self._parts[pi]
        else:
            self._parts[pi][ri] = np.delete(ring, k, axis=0)
        self._hover = None
        self._commit("Delete vertex")

    def _commit(self, label: str) -> None:
        doc = self._document()
        self._dirty = False
        if doc is None or self.ctx is None or self._iid is None or self._iid not in doc:
            return
        inst = doc.get(self._iid)
        shape = doc.image_shape
        rings_all = [r for rings in self._parts for r in rings]
        if rings_all:
            # Rasterise in the outline's box only (cheap on huge images).
            pts = np.concatenate(rings_all) - 0.5
            x0, y0 = (max(0, int(v)) for v in np.floor(pts.min(axis=0)) - 1)
            x1, y1 = (int(v) + 2 for v in np.ceil(pts.max(axis=0)))
            x1, y1 = min(x1, shape[1]), min(y1, shape[0])
            off = np.array([x0, y0], np.float64)
            parts = [
                PolygonPart(rings[0] - 0.5 - off, tuple(r - 0.5 - off for r in rings[1:]))
                for rings in self._parts
                if rings
            ]
            win = polygons_to_mask(parts, (max(0, y1 - y0), max(0, x1 - x0)))
            new = MaskPatch.from_window(win, y0, x0, shape)
        else:
            new = MaskPatch.empty(shape)
        self._rev = -1
        if new.is_empty:
            self.ctx.commit(commands.remove_instances(doc, [inst.id], label))
        else:
            self.ctx.commit(commands.replace_mask(doc, inst.id, new, label))
        self._notify()
