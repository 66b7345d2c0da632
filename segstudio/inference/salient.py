"""The built-in salient-object model as an ImageSegmenter: image -> one foreground instance plus
the soft saliency map (for cut-outs)."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from segstudio.core.masks import MaskPatch
from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.inference.base import Detection, ModelError, SegmentationResult
from segstudio.inference.cards import ModelCard


def saliency_to_result(
    sal: np.ndarray, name: str = "foreground", threshold: float = 0.5, min_part: float = 0.002
) -> SegmentationResult:
    """Threshold a saliency map into one instance, dropping specks smaller than `min_part` of the
    image (they are noise far more often than objects)."""
    fg = sal >= threshold
    if fg.any():
        n, labels, stats, _ = cv2.connectedComponentsWithStats(fg.astype(np.uint8), connectivity=8)
        small = np.flatnonzero(stats[1:, cv2.CC_STAT_AREA] < min_part * fg.size) + 1
        if small.size:
            fg &= ~np.isin(labels, small)
    instances = []
    if fg.any():
        instances.append(Detection(MaskPatch.from_full(fg), name, float(sal[fg].mean()), 0))
    return SegmentationResult(instances=instances, class_names=[name], soft=sal)


class SalientImageSegmenter:
    def __init__(self, model_id: str, segmenter: Any, threshold: float = 0.5, name: str = "foreground"):
        self.model_id = model_id
        self._seg = segmenter
        self.threshold = threshold
        self.class_name = name

    @classmethod
    def from_card(cls, card: ModelCard) -> SalientImageSegmenter:
        from segstudio.inference.u2net import SalientSegmenter

        if card.framework not in ("torch-state-dict", "builtin"):
            raise ModelError(f"{card.source}: salient models must be U²-Netp state dicts")
        seg = SalientSegmenter(weights=card.file("weights"))
        name = card.class_names[0] if card.class_names else "foreground"
        return cls(card.id, seg, float(card.options.get("threshold", 0.5)), name)

    def segment(
        self,
        rgb: np.ndarray,
        cancel: CancelToken | None = None,
        progress: ProgressFn | None = None,
    ) -> SegmentationResult:
        sal = self._seg.saliency(rgb, cancel, progress)
        return saliency_to_result(sal, self.class_name, self.threshold)

    def segment_many(
        self,
        images: list[np.ndarray],
        cancel: CancelToken | None = None,
        progress: ProgressFn | None = None,
    ) -> list[SegmentationResult]:
        """Batched inference (one network call for all images): the pre-label fast path."""
        small = self._seg.saliency_small(images, cancel)
        out = []
        for i, (im, s) in enumerate(zip(images, small)):
            h, w = im.shape[:2]
            sal = np.clip(cv2.resize(s, (w, h), interpolation=cv2.INTER_LINEAR), 0.0, 1.0)
            out.append(saliency_to_result(sal, self.class_name, self.threshold))
            report(progress, i + 1, len(images), "salient object")
        return out
