"""Compare two label sets of a project: load both per image (and per annotated video frame)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.eval.compare import EvalImage, EvalOptions, EvalResult, evaluate
from segstudio.store import Project
from segstudio.store.model_runs import latest_uncertainty


class LabelSetError(ValueError):
    """A label set named for comparison does not exist in the project."""


def check_label_set(project: Project, name: str) -> None:
    if name not in project.label_sets():
        known = ", ".join(project.label_sets()) or "none"
        raise LabelSetError(f"{project.root}: no label set {name!r} (label sets: {known})")


def iter_eval_images(
    project: Project,
    gt: str,
    pred: str,
    image_ids: Sequence[int] | None = None,
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
) -> Iterator[EvalImage]:
    """Every image (frame 0) and every video frame annotated in either set."""
    records = project.images() if image_ids is None else [project.image(i) for i in image_ids]
    for k, rec in enumerate(records):
        if cancel is not None:
            cancel.check()
        if k % 64 == 0:
            report(progress, k, len(records), "loading label sets")
        frames = [0]
        if rec.frame_count > 1:
            frames = sorted(set(project.annotated_frames(rec.id, gt)) | set(project.annotated_frames(rec.id, pred))) or [0]
        for frame in frames:
            name = rec.path if len(frames) == 1 and frame == 0 else f"{rec.path}#{frame}"
            yield EvalImage(
                rec.id, name, rec.shape,
                project.load_instances(rec.id, frame, gt),
                project.load_instances(rec.id, frame, pred),
                frame=frame,
            )


def compare_label_sets(
    project: Project,
    gt: str = "gt",
    pred: str = "",
    options: EvalOptions | None = None,
    *,
    image_ids: Sequence[int] | None = None,
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
) -> EvalResult:
    """All metrics of label set `pred` against `gt` over the project (or the given images)."""
    check_label_set(project, gt)
    check_label_set(project, pred)
    images = list(iter_eval_images(project, gt, pred, image_ids, cancel, progress))
    all_cats = list(project.categories())
    cats = [(c.id, c.name) for c in all_cats]
    ignore = {c.id for c in all_cats if c.ignore}
    result = evaluate(images, cats, options, ignore=ignore, cancel=cancel, progress=progress)
    result.gt_name, result.pred_name = gt, pred
    stored = stored_uncertainty(project)
    for im in result.images:
        if im.uncertainty is None and im.image_id in stored:
            im.uncertainty = stored[im.image_id]
    return result


def stored_uncertainty(project: Project) -> dict[int, float]:
    """Per-image uncertainty (entropy) that pre-label runs stored, the newest of each image
    (`store.model_runs.latest_uncertainty`)."""
    return {i: s["entropy"] for i, s in latest_uncertainty(project).items() if "entropy" in s}
