"""Close the loop: pre-label the images nobody has worked on with a trained model, and order
the review queue by the model's uncertainty, least certain first.

The pre-label itself is the one implementation (`segstudio.inference.prelabel`): a trained
model reports its uncertainty (mean normalised entropy and mean top-2 margin) per image, which
that code stores in the run's metrics (`store.model_runs`) and on each instance (`uncertainty`,
the key the review queue of `segstudio.eval` sorts by).  Every pass is kept; `review_order`
reads the newest value of each image over all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from segstudio.core.tasks import CancelToken, ProgressFn
from segstudio.inference.prelabel import (
    CategoryOf,
    PrelabelReport,
    categories_on_demand,
    prelabel_project,
)
from segstudio.store import Project
from segstudio.store.model_runs import UNCERTAINTY_KEYS, latest_uncertainty
from segstudio.store.status import is_unworked

MIN_AREA = 16  # parts smaller than this (pixels) are noise of a coarse network


def prelabel_with_trained(
    project: Project,
    model: Any,
    *,
    image_ids: Sequence[int] | None = None,
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
) -> PrelabelReport:
    """Pre-label the images nobody has worked on (status new or prelabelled; of `image_ids`
    when given) with a trained model: a card path, a TrainedCard or a TrainedSegmenter.
    Semantic models give one instance per class present, foreground models one per connected
    part.  `report.order` is the review order, least certain first."""
    from segstudio.training.predict import TrainedSegmenter

    seg = model if hasattr(model, "segment_with_uncertainty") else TrainedSegmenter(model)
    card = seg.card
    if image_ids is None:
        scope, selected = "unworked", []
    else:  # human work is never overwritten
        scope, selected = "selected", [i for i in image_ids if is_unworked(project.image(i).status)]
    return prelabel_project(
        project, seg, scope, selected, resume=False, background=("background",),
        cancel=cancel, progress=progress, min_area=MIN_AREA, split_parts=card.kind == "foreground",
        category_of=_categories(project, card),
        params={"card": str(card.path), "min_area": MIN_AREA, "training_run": card.training.get("run_id")},
    )


def _categories(project: Project, card) -> CategoryOf:
    """A foreground model's one class is the category it was trained on."""
    by_name = categories_on_demand(project)
    wanted = card.training.get("foreground_category")

    def category_of(name: str) -> int | None:
        if name == "foreground" and wanted:
            return by_name(wanted)
        return by_name(name)

    return category_of


def review_order(project: Project, metric: str = "entropy") -> list[tuple[int, float]]:
    """(image id, uncertainty) from the newest pre-label pass that measured each image, least
    certain first.  entropy: higher = less certain; margin: lower = less certain."""
    if metric not in UNCERTAINTY_KEYS:
        raise ValueError(f"unknown uncertainty metric {metric!r}; use one of {UNCERTAINTY_KEYS}")
    existing = set(project.image_ids())
    items = [(i, s[metric]) for i, s in latest_uncertainty(project).items() if metric in s and i in existing]
    return sorted(items, key=lambda t: -t[1] if metric == "entropy" else t[1])

