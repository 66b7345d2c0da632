"""ImageDocument: the instances of one image (or video frame) in z-order, the one copy of the state.

Views subscribe to `changed` and re-render only the dirty box; the project store
subscribes to persist each change in one transaction.  Mutation goes through
`apply()`, which only commands call, so every change is undoable.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from segstudio.core.events import Signal
from segstudio.core.instance import Instance
from segstudio.core.masks import Shape
from segstudio.core.proposal import Proposal

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)


def union_box(a: Box | None, b: Box | None) -> Box | None:
    if a is None:
        return b
    if b is None:
        return a
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def instance_box(inst: Instance | None) -> Box | None:
    if inst is None or inst.mask.data.size == 0:
        return None
    m = inst.mask
    return (m.x0, m.y0, m.x1, m.y1)


class ChangeRefused(Exception):
    """A subscriber that must keep every change (the project store) could not keep this one;
    the command that made it puts the document back (see `commands.EditCommand`)."""


@dataclass(frozen=True)
class DocumentChange:
    revision: int
    added: frozenset[int] = field(default_factory=frozenset)
    removed: frozenset[int] = field(default_factory=frozenset)
    modified: frozenset[int] = field(default_factory=frozenset)
    order_changed: bool = False
    dirty_box: Box | None = None
    label: str = ""
    kind: str = "edit"  # "edit": a person's work; "prelabel": a model's proposal of labels
    persist: bool = True  # False: the document goes back to what the store holds (a refused change)

    @property
    def touched(self) -> frozenset[int]:
        return self.added | self.removed | self.modified


class ImageDocument:
    def __init__(
        self,
        image_shape: Shape,
        instances: list[Instance] | None = None,
        *,
        image_id: int = 0,
        frame: int = 0,
        label_set: str = "gt",
    ) -> None:
        self.image_shape: Shape = (int(image_shape[0]), int(image_shape[1]))
        self.image_id = image_id
        self.frame = frame
        self.label_set = label_set
        self._instances: dict[int, Instance] = {}
        self._order: list[int] = []
        for inst in instances or []:
            self._instances[inst.id] = inst
            self._order.append(inst.id)
        self._next_id = max(self._order, default=0) + 1
        self.revision = 0
        self.proposal: Proposal | None = None
        self.changed = Signal()  # (DocumentChange)
        self.proposal_changed = Signal()  # (Proposal | None)

    # ----------------------------------------------------------------- reading
    def __len__(self) -> int:
        return len(self._order)

    def __iter__(self) -> Iterator[Instance]:
        return (self._instances[i] for i in self._order)

    def __contains__(self, iid: object) -> bool:
        return iid in self._instances

    @property
    def instances(self) -> tuple[Instance, ...]:
        """Bottom to top."""
        return tuple(self)

    @property
    def order(self) -> tuple[int, ...]:
        return tuple(self._order)

    def get(self, iid: int) -> Instance:
        return self._instances[iid]

    def find(self, iid: int) -> Instance | None:
        return self._instances.get(iid)

    def z_index(self, iid: int) -> int:
        return self._order.index(iid)

    def allocate_id(self) -> int:
        iid = self._next_id
        self._next_id += 1
        return iid

    def instance_at(self, x: int, y: int, visible: set[int] | None = None) -> Instance | None:
        """Topmost instance covering pixel (x, y)."""
        for iid in reversed(self._order):
            if visible is not None and iid not in visible:
                continue
            m = self._instances[iid].mask
            if m.y0 <= y < m.y1 and m.x0 <= x < m.x1 and m.data[y - m.y0, x - m.x0]:
                return self._instances[iid]
        return None

    def label_map(self, category_ids: bool = False) -> np.ndarray:
        """Per-pixel id of the topmost instance (0 = none), or its category id."""
        out = np.zeros(self.image_shape, np.int32)
        for inst in self:
            m = inst.mask
            if m.data.size:
                region = out[m.y0 : m.y1, m.x0 : m.x1]
                region[m.data] = inst.category_id if category_ids else inst.id
        return out

    # ----------------------------------------------------------------- mutation (commands only)
    def apply(
        self,
        changes: Mapping[int, Instance | None],
        order: tuple[int, ...] | None = None,
        label: str = "",
        kind: str = "edit",
        persist: bool = True,
    ) -> DocumentChange:
        """Put (instance) or delete (None) by id, then set the z-order; emits one change event."""
        added, removed, modified = set(), set(), set()
        dirty: Box | None = None
        for iid, new in changes.items():
            old = self._instances.get(iid)
            dirty = union_box(dirty, instance_box(old))
            dirty = union_box(dirty, instance_box(new))
            if new is None:
                if old is not None:
                    del self._instances[iid]
                    self._order.remove(iid)
                    removed.add(iid)
                continue
            if new.id != iid:
                raise ValueError(f"instance id {new.id} filed under {iid}")
            self._instances[iid] = new
            if old is None:
                self._order.append(iid)
                added.add(iid)
                self._next_id = max(self._next_id, iid + 1)
            else:
                modified.add(iid)
        order_changed = False
        if order is not None and tuple(order) != tuple(self._order):
            if sorted(order) != sorted(self._order):
                raise ValueError("new z-order must be a permutation of the instance ids")
            self._order = list(order)
            order_changed = True
            for iid in order:
                dirty = union_box(dirty, instance_box(self._instances[iid]))
        self.revision += 1
        change = DocumentChange(
            self.revision,
            frozenset(added),
            frozenset(removed),
            frozenset(modified),
            order_changed,
            dirty,
            label,
            kind,
            persist,
        )
        self.changed.emit(change)
        return change

    # ----------------------------------------------------------------- proposals (no history)
    def set_proposal(self, proposal: Proposal | None) -> None:
        self.proposal = proposal
        self.proposal_changed.emit(proposal)

    def clear_proposal(self) -> None:
        if self.proposal is not None:
            self.set_proposal(None)
