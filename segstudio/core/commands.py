"""Undoable commands over an ImageDocument.

Every edit is an EditCommand holding the touched instances before and after
(read-only patches, so cheap) and the z-order before and after.  The named
constructors below build the common ones; tools build their own with
`edit_instances`.  One mechanism keeps undo, redo, macros and persistence simple.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from segstudio.core.document import ChangeRefused, ImageDocument
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.core.proposal import Proposal


class EditCommand:
    def __init__(
        self,
        document: ImageDocument,
        label: str,
        before: Mapping[int, Instance | None],
        after: Mapping[int, Instance | None],
        order_before: tuple[int, ...] | None = None,
        order_after: tuple[int, ...] | None = None,
        kind: str = "edit",
    ) -> None:
        self.document = document
        self.label = label
        self.kind = kind  # "edit" | "prelabel": whether the image's status counts it as work
        self.before = dict(before)
        self.after = dict(after)
        self.order_before = order_before
        self.order_after = order_after

    def do(self) -> None:
        self._apply(self.after, self.order_after, self.label, self.before, self.order_before)

    def undo(self) -> None:
        self._apply(self.before, self.order_before, "Undo " + self.label, self.after, self.order_after)

    def _apply(self, changes, order, label, back, back_order) -> None:
        """All or nothing: if the store refuses the change, the document (and every view of it)
        goes back to what it was, unsaved, and the refusal reaches the caller (the history
        then records nothing)."""
        try:
            self.document.apply(changes, order, label, self.kind)
        except ChangeRefused:
            self.document.apply(back, back_order if order is not None else None, label, self.kind,
                                persist=False)
            raise

    @property
    def nbytes(self) -> int:
        insts = [*self.before.values(), *self.after.values()]
        return 256 + sum(i.nbytes for i in insts if i is not None)

    @property
    def is_noop(self) -> bool:
        if self.order_before != self.order_after:
            return False
        for iid, new in self.after.items():
            old = self.before.get(iid)
            if (old is None) != (new is None):
                return False
            if old is not None and new is not None and not _same(old, new):
                return False
        return True


def _same(a: Instance, b: Instance) -> bool:
    return (
        a.category_id == b.category_id
        and a.source == b.source
        and a.score == b.score
        and a.attributes == b.attributes
        and a.track_id == b.track_id
        and a.crowd == b.crowd
        and a.shape == b.shape
        and a.mask.equals(b.mask)
    )


def merge_edits(label: str, commands: list[EditCommand]) -> EditCommand:
    """Compose edits applied in sequence into one: the first 'before', the last 'after'."""
    doc = commands[0].document
    before: dict[int, Instance | None] = {}
    after: dict[int, Instance | None] = {}
    order_before = order_after = None
    for c in commands:
        for iid, inst in c.before.items():
            before.setdefault(iid, inst)
        after.update(c.after)
        if c.order_after is not None:
            if order_before is None:
                order_before = c.order_before
            order_after = c.order_after
    # Instances created and deleted within the macro vanish from it.
    for iid in [i for i in after if after[i] is None and before.get(i) is None]:
        after.pop(iid)
        before.pop(iid, None)
    if order_before is not None:
        # Any instance added during the macro must not appear in the restored order.
        order_before = tuple(i for i in order_before if before.get(i, doc.find(i)) is not None)
    return EditCommand(doc, label, before, after, order_before, order_after)


def edit_instances(
    document: ImageDocument,
    label: str,
    changes: Mapping[int, Instance | None],
    order: tuple[int, ...] | None = None,
    kind: str = "edit",
) -> EditCommand:
    """The general command: put/delete instances by id and optionally set the z-order.  A
    `kind="prelabel"` command is a model's labels: it does not count as work on the image."""
    before = {iid: document.find(iid) for iid in changes}
    order_before = document.order if order is not None else None
    if order is not None and order_before is not None:
        # Restore only ids that existed before.
        order_before = tuple(i for i in order_before if i in document)
    return EditCommand(document, label, before, changes, order_before, order, kind)


def add_instance(document: ImageDocument, instance: Instance, label: str = "Add instance") -> EditCommand:
    return edit_instances(document, label, {instance.id: instance})


def remove_instances(
    document: ImageDocument, ids: Iterable[int], label: str = "Delete instances"
) -> EditCommand:
    ids = [i for i in ids if i in document]
    cmd = edit_instances(document, label, {i: None for i in ids})
    # Undo puts them back at their old z positions.
    cmd.order_before = document.order
    return cmd


def replace_mask(
    document: ImageDocument, iid: int, mask: MaskPatch, label: str = "Edit mask"
) -> EditCommand:
    return edit_instances(document, label, {iid: document.get(iid).with_mask(mask)})


def set_category(
    document: ImageDocument, ids: Iterable[int], category_id: int, label: str = "Change category"
) -> EditCommand:
    return edit_instances(
        document, label, {i: document.get(i).with_category(category_id) for i in ids}
    )


def reorder(document: ImageDocument, order: tuple[int, ...], label: str = "Reorder") -> EditCommand:
    return edit_instances(document, label, {}, tuple(order))


def accept_proposal(
    document: ImageDocument,
    proposal: Proposal,
    category_id: int,
    label: str = "Accept proposal",
) -> EditCommand:
    """A new model-sourced instance, or a new mask for the proposal's target instance."""
    if proposal.target_instance_id is not None and proposal.target_instance_id in document:
        target = document.get(proposal.target_instance_id)
        new = target.with_(mask=proposal.mask, score=proposal.score)
        return edit_instances(document, label, {target.id: new})
    inst = Instance(
        id=document.allocate_id(),
        category_id=category_id,
        mask=proposal.mask,
        source="model",
        score=proposal.score,
        attributes={"model": proposal.model_id} if proposal.model_id else {},
    )
    return edit_instances(document, label, {inst.id: inst})


def paint_exclusive(
    document: ImageDocument,
    target: Instance,
    label: str,
    locked: Iterable[int] = (),
) -> EditCommand:
    """Put `target` and carve its pixels out of every other unlocked instance (one step)."""
    locked = set(locked)
    changes: dict[int, Instance | None] = {target.id: target}
    for inst in document:
        if inst.id == target.id or inst.id in locked:
            continue
        if inst.mask.overlaps(target.mask):
            changes[inst.id] = inst.with_mask(inst.mask.subtract(target.mask))
    return edit_instances(document, label, changes)
