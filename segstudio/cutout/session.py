"""The GUI's cutout computations, Qt-free: what the subject is, and the jobs run on the worker.

The subject of the current image is, in order: the pending proposal (e.g. from
"Select subject" or a click model), else the selected instances, else every
instance of the image.  The model's soft map of the image (kept from the last
"Select subject") is the soft prior wherever it agrees with that mask, so
corrections made with the usual tools win and untouched edges stay soft.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from segstudio.core.document import ImageDocument
from segstudio.core.masks import MaskPatch
from segstudio.core.proposal import Proposal
from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.cutout.composite import PreviewBackground, preview_layer
from segstudio.cutout.export import crop_to_subject, save_cutout, save_matte
from segstudio.cutout.pipeline import SaliencyFn, estimate_alpha, render_rgba
from segstudio.cutout.settings import CutoutSettings

MODEL_ID = "cutout-subject"


def subject_mask(document: ImageDocument, selected: list[int]) -> tuple[np.ndarray | None, str]:
    """(full-size bool mask, where it came from) for the document's subject, or (None, reason)."""
    h, w = document.image_shape
    prop = document.proposal
    if prop is not None and not prop.mask.is_empty:
        return prop.mask.to_full(), "proposal"
    ids = [i for i in selected if i in document]
    source = "selection"
    if not ids:
        ids = list(document.order)
        source = "all instances"
    if not ids:
        return None, "no subject: use Select Subject or draw a mask"
    full = np.zeros((h, w), bool)
    for iid in ids:
        m = document.get(iid).mask
        if not m.is_empty:
            full |= m.to_full()
    return full, source


def proposal_from_saliency(soft: np.ndarray, threshold: float = 0.5, category_id: int | None = None) -> Proposal | None:
    """A proposal carrying the binary mask and the soft alpha over its box (None if empty)."""
    mask = MaskPatch.from_full(soft >= threshold)
    if mask.is_empty:
        return None
    alpha = np.ascontiguousarray(soft[mask.y0 : mask.y1, mask.x0 : mask.x1], np.float32)
    score = float(soft[soft >= threshold].mean())
    return Proposal(mask=mask, score=score, category_id=category_id, model_id=MODEL_ID, alpha=alpha,
                    prompt={"kind": "subject"})


def select_subject_job(rgb8: np.ndarray, saliency: SaliencyFn):
    """A worker job: the soft saliency map of the image."""

    def job(cancel: CancelToken, progress: ProgressFn) -> np.ndarray:
        report(progress, 0, 1, "selecting subject")
        cancel.check()
        soft = np.clip(np.asarray(saliency(rgb8), np.float32), 0.0, 1.0)
        cancel.check()
        report(progress, 1, 1, "subject selected")
        return soft

    return job


@dataclass(frozen=True)
class PreviewResult:
    alpha: np.ndarray
    rgba: np.ndarray  # full-size straight-alpha cutout
    layer: np.ndarray | None  # opaque RGBA for the canvas, None = show the original


def preview_job(
    rgb8: np.ndarray,
    mask: np.ndarray,
    soft: np.ndarray | None,
    region: np.ndarray | None,
    settings: CutoutSettings,
    background: PreviewBackground,
):
    """A worker job: alpha, cutout and the preview layer.  Inputs are copies owned by the job."""

    def job(cancel: CancelToken, progress: ProgressFn) -> PreviewResult:
        alpha = estimate_alpha(rgb8, mask, settings, soft=soft, refine_region=region, cancel=cancel, progress=progress)
        cancel.check()
        rgba = render_rgba(rgb8, alpha, settings)
        return PreviewResult(alpha, rgba, preview_layer(rgba, background))

    return job


def export_job(path, rgba: np.ndarray, alpha: np.ndarray, settings: CutoutSettings, matte_path=None):
    """A worker job writing the current cutout (cropped if the settings say so)."""

    def job(cancel: CancelToken, progress: ProgressFn):
        out, (x, y, w, h) = (rgba, (0, 0, rgba.shape[1], rgba.shape[0]))
        if settings.crop_margin is not None:
            out, (x, y, w, h) = crop_to_subject(rgba, settings.crop_margin)
        cancel.check()
        written = [save_cutout(path, out, settings.format, settings.quality)]
        if matte_path is not None:
            written.append(save_matte(matte_path, alpha[y : y + h, x : x + w]))
        return written

    return job
