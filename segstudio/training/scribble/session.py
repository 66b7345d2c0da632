"""A scribble session on one image (Qt-free): strokes per class, features computed once,
fit in seconds, predict the image, turn the result into instances.

The GUI tool feeds strokes in image coordinates; fitting and predicting run in the
inference worker (latest request wins); accepting is one undoable command.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import cv2
import numpy as np

from segstudio.core.categories import RGB
from segstudio.core.geometry import connected_parts
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.core.tasks import CancelToken
from segstudio.training.scribble.boost import BoostParams
from segstudio.training.scribble.features import DEFAULT_SCALES, compute_features
from segstudio.training.scribble.model import ScribbleClassifier, fit_classifier

NONE = -1


class ScribbleSession:
    def __init__(self, rgb: np.ndarray, class_names: Sequence[str], scales: Sequence[float] = DEFAULT_SCALES,
                 params: BoostParams | None = None) -> None:
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an 8-bit RGB image, got {rgb.dtype} {rgb.shape}")
        if len(class_names) < 2:
            raise ValueError("a pixel classifier needs at least two classes")
        self.rgb = rgb
        self.class_names = list(class_names)
        self.scales = tuple(scales)
        self.params = params
        self.scribbles = np.full(rgb.shape[:2], NONE, np.int16)
        self._features: np.ndarray | None = None
        self.classifier: ScribbleClassifier | None = None
        self.probabilities: np.ndarray | None = None
        self.revision = 0  # bumps on every stroke: results of older fits are stale

    @property
    def shape(self) -> tuple[int, int]:
        return self.rgb.shape[:2]

    def features(self, cancel: CancelToken | None = None) -> np.ndarray:
        if self._features is None:
            if cancel is not None:
                cancel.check()
            self._features = compute_features(self.rgb, self.scales)
        return self._features

    # ----------------------------------------------------------------- strokes
    def add_stroke(self, points: Sequence[tuple[float, float]], radius: float, class_index: int | None) -> None:
        """Paint a polyline of (x, y) points with a round brush; class None erases."""
        if class_index is not None and not 0 <= class_index < len(self.class_names):
            raise ValueError(f"class index {class_index} out of range")
        value = NONE if class_index is None else class_index
        canvas = np.zeros(self.shape, np.uint8)
        pts = np.round(np.asarray(points, np.float64)).astype(np.int32).reshape(-1, 2)
        thickness = max(1, int(round(2 * radius)))
        if len(pts) == 1:
            cv2.circle(canvas, tuple(int(v) for v in pts[0]), max(0, int(round(radius))), 1, -1)
        else:
            cv2.polylines(canvas, [pts.reshape(-1, 1, 2)], False, 1, thickness)
        self.scribbles[canvas > 0] = value
        self.revision += 1

    def clear(self) -> None:
        self.scribbles[:] = NONE
        self.revision += 1
        self.classifier = None
        self.probabilities = None

    def counts(self) -> list[int]:
        valid = self.scribbles[self.scribbles >= 0]
        return np.bincount(valid, minlength=len(self.class_names)).tolist()

    @property
    def ready(self) -> bool:
        return sum(1 for c in self.counts() if c > 0) >= 2

    # ----------------------------------------------------------------- fit / predict
    def fit(self, cancel: CancelToken | None = None) -> ScribbleClassifier:
        feats = self.features(cancel)
        if cancel is not None:
            cancel.check()
        self.classifier = fit_classifier(feats, self.scribbles, self.class_names, self.scales, self.params)
        return self.classifier

    def predict(self, cancel: CancelToken | None = None) -> np.ndarray:
        """K x H x W probabilities of the whole image with the current classifier."""
        if self.classifier is None:
            self.fit(cancel)
        assert self.classifier is not None
        self.probabilities = self.classifier.predict_features(self.features(cancel), cancel)
        return self.probabilities

    def class_map(self) -> np.ndarray:
        if self.probabilities is None:
            raise RuntimeError("predict first")
        return self.probabilities.argmax(0).astype(np.int32)

    def overlay(self, colors: Sequence[RGB], alpha: int = 110, skip: Sequence[int] = ()) -> np.ndarray:
        """RGBA uint8 preview of the class map for the canvas' extra layer."""
        cmap = self.class_map()
        lut = np.zeros((len(self.class_names), 4), np.uint8)
        for i in range(len(self.class_names)):
            if i not in skip:
                lut[i, :3] = colors[i % len(colors)]
                lut[i, 3] = alpha
        return lut[cmap]

    def to_instances(self, category_of_class: Mapping[int, int], next_id: int, min_area: int = 16,
                     split_parts: bool = False) -> list[Instance]:
        """Instances for the classes mapped to a category (unmapped classes, e.g. background,
        are skipped); one per class, or one per connected part."""
        cmap = self.class_map()
        assert self.probabilities is not None
        out: list[Instance] = []
        for cls, cid in category_of_class.items():
            whole = MaskPatch.from_full(cmap == cls)
            for part in connected_parts(whole) if split_parts else [whole]:
                if part.area < min_area:
                    continue
                score = float(self.probabilities[cls, part.y0 : part.y1, part.x0 : part.x1][part.data].mean())
                out.append(Instance(next_id + len(out), cid, part, "model", score,
                                    {"model": "scribble-classifier"}))
        return out
