"""Review items of one image and the undoable review commands (Qt-free).

An item is a disagreement the reviewer steps through: a false positive (a
prediction with no ground truth), a false negative (ground truth the model
missed), or a matched pair (worst IoU first).  Accepting copies a prediction into
the ground truth (replacing the matched ground-truth mask, if any) and marks the
prediction accepted; rejecting marks the prediction rejected.  Both are ONE
command on the ground-truth history, so Ctrl+Z undoes them like any edit, even
though a reject touches only the prediction document.
"""

from __future__ import annotations

from dataclasses import dataclass

from segstudio.core.commands import EditCommand, edit_instances
from segstudio.core.document import ImageDocument
from segstudio.core.history import CompoundCommand
from segstudio.core.instance import Instance
from segstudio.eval.compare import EvalImage, EvalOptions, ImageEval, evaluate

REVIEW_KEY = "review"  # prediction attribute: "accepted" | "rejected"


@dataclass(frozen=True)
class ReviewItem:
    kind: str  # "fp" | "fn" | "match"
    gt_id: int | None
    pred_id: int | None
    category_id: int
    iou: float = 0.0
    resolved: bool = False  # its prediction was accepted or rejected already

    @property
    def label(self) -> str:
        if self.kind == "fp":
            return "false positive"
        if self.kind == "fn":
            return "missed (false negative)"
        return f"match IoU {self.iou:.2f}"


def image_items(ev: ImageEval, pred: dict[int, Instance], gt: dict[int, Instance]) -> list[ReviewItem]:
    """False positives, then misses, then matches by increasing IoU."""
    def done(p: int) -> bool:
        return pred[p].attributes.get(REVIEW_KEY) in ("accepted", "rejected")

    items = [ReviewItem("fp", None, p, pred[p].category_id, 0.0, done(p)) for p in ev.false_positives if p in pred]
    items += [ReviewItem("fn", g, None, gt[g].category_id) for g in ev.false_negatives if g in gt]
    matches = sorted(ev.matches, key=lambda m: m[3])
    items += [ReviewItem("match", g, p, c, v, done(p)) for g, p, c, v in matches if p in pred]
    return items


def evaluate_document(
    gt_doc: ImageDocument | list[Instance],
    pred_doc: ImageDocument | list[Instance],
    categories: list[tuple[int, str]],
    options: EvalOptions,
    *,
    pixel: bool = True,
    shape: tuple[int, int] | None = None,
    image_id: int = 0,
    ignore: frozenset[int] = frozenset(),
) -> ImageEval:
    """Metrics of the image being reviewed (rejected predictions still count: they describe
    the model; they are only hidden from the canvas).  `pixel=False` does the instance
    matching only, which stays instant on any image size; documents or instance snapshots."""
    if isinstance(gt_doc, ImageDocument):
        shape, image_id = gt_doc.image_shape, gt_doc.image_id
    if shape is None:
        raise ValueError("instance snapshots need the image's shape")
    img = EvalImage(image_id, "", shape, list(gt_doc), list(pred_doc))
    opts = EvalOptions(options.iou_threshold, options.per_class, options.score_threshold,
                       options.boundary_tolerance, compute_ap=False, pixel_metrics=pixel)
    return evaluate([img], categories, opts, ignore=ignore).images[0]


def _mark(pred_doc: ImageDocument, pred_id: int, value: str | None, label: str) -> EditCommand:
    inst = pred_doc.get(pred_id)
    attrs = dict(inst.attributes)
    if value is None:
        attrs.pop(REVIEW_KEY, None)
    else:
        attrs[REVIEW_KEY] = value
    return edit_instances(pred_doc, label, {pred_id: inst.with_(attributes=attrs)})


def accept_command(
    gt_doc: ImageDocument, pred_doc: ImageDocument, pred_id: int, matched_gt_id: int | None, pred_set: str
) -> CompoundCommand:
    """Copy prediction `pred_id` into the ground truth: a new instance, or the new mask and
    category of its matched ground-truth instance."""
    p = pred_doc.get(pred_id)
    attrs = {"accepted_from": pred_set, "prediction_id": pred_id}
    if matched_gt_id is not None and matched_gt_id in gt_doc:
        g = gt_doc.get(matched_gt_id)
        new = g.with_(mask=p.mask, category_id=p.category_id, attributes={**g.attributes, **attrs})
    else:
        new = Instance(gt_doc.allocate_id(), p.category_id, p.mask, "model", p.score, attrs)
    label = "Accept prediction"
    return CompoundCommand(label, [edit_instances(gt_doc, label, {new.id: new}), _mark(pred_doc, pred_id, "accepted", label)])


def reject_command(pred_doc: ImageDocument, pred_id: int) -> CompoundCommand:
    label = "Reject prediction"
    return CompoundCommand(label, [_mark(pred_doc, pred_id, "rejected", label)])

