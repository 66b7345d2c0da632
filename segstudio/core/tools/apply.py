"""Turn a finished gesture's shape into ONE command, following the tool options.

'new' target: the shape becomes a new instance of the current category.
'selected' target: the shape is added to / subtracted from / intersected with the
selected instance(s).  'exclusive' carves the painted pixels out of every other
unlocked instance in the same command (instances then never overlap).
"""

from __future__ import annotations

from segstudio.core import commands
from segstudio.core.document import ImageDocument
from segstudio.core.drawn import DrawnShape
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.core.tools.base import ToolContext

OPERATIONS = ("add", "subtract", "intersect")


def combine(mask: MaskPatch, shape: MaskPatch, operation: str) -> MaskPatch:
    if operation == "add":
        return mask.union(shape)
    if operation == "subtract":
        return mask.subtract(shape)
    if operation == "intersect":
        return mask.intersect(shape)
    raise ValueError(f"unknown operation {operation!r}; expected one of {OPERATIONS}")


def shape_command(
    ctx: ToolContext, shape: MaskPatch, label: str, operation: str | None = None,
    drawn: DrawnShape | None = None,
) -> commands.EditCommand | None:
    """The command for `shape` under the context's options, or None (with a message) if none
    applies.  `drawn`: the vector shape `shape` was rasterised from; a new instance keeps it."""
    doc = ctx.document()
    if doc is None or shape.is_empty:
        return None
    opts = ctx.options
    op = operation or opts.operation
    locked = set(opts.locked)
    selected = [i for i in ctx.selected_ids() if i in doc and i not in locked]
    changes: dict[int, Instance | None] = {}
    if opts.target == "new" and op == "add":
        cat = ctx.category_id()
        if cat is None:
            ctx.message("Pick a category first (keys 1-9 or the category palette)")
            return None
        inst = Instance(doc.allocate_id(), cat, shape.tight(), shape=drawn)
        changes[inst.id] = inst
        painted = [inst.id]
    else:
        if not selected:
            ctx.message(f"{label}: select an instance to {op} (or switch to 'New instance')")
            return None
        painted = []
        for iid in selected:
            old = doc.get(iid)
            new_mask = combine(old.mask, shape, op)
            changes[iid] = old.with_mask(new_mask) if not new_mask.is_empty else None
            if op == "add":
                painted.append(iid)
    if opts.exclusive and op == "add":
        _carve_others(doc, shape, set(painted) | locked, changes)
    if not changes:
        return None
    cmd = commands.edit_instances(doc, label, changes)
    return None if cmd.is_noop else cmd


def _carve_others(
    doc: ImageDocument, shape: MaskPatch, keep: set[int], changes: dict[int, Instance | None]
) -> None:
    for inst in doc:
        if inst.id in keep or inst.id in changes:
            continue
        if inst.mask.overlaps(shape):
            rest = inst.mask.subtract(shape)
            changes[inst.id] = inst.with_mask(rest) if not rest.is_empty else None


def commit_shape(ctx: ToolContext, shape: MaskPatch, label: str, operation: str | None = None,
                 drawn: DrawnShape | None = None) -> bool:
    cmd = shape_command(ctx, shape, label, operation, drawn)
    if cmd is None:
        return False
    ctx.commit(cmd)
    added = [i for i, v in cmd.after.items() if v is not None and cmd.before.get(i) is None]
    if added and ctx.options.target == "new":
        ctx.select(added[:1])
    return True
