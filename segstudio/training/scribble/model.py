"""The scribble classifier as a reusable model: features + boosted trees + class names,
saved as a model card (`card.yaml` + `trees.npz`, no pickle) and applicable to any image
through the model layer's ImageSegmenter protocol."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.inference.base import SegmentationResult
from segstudio.training.scribble.boost import BoostedTrees, BoostError
from segstudio.training.scribble.features import DEFAULT_SCALES, compute_features, feature_names

KIND = "pixel-classifier"
FORMAT = "boosted-trees"
WEIGHTS = "trees.npz"
MAX_TRAINING_PIXELS = 20_000


class ScribbleModelError(ValueError):
    """A scribble-classifier card or its trees file is missing or malformed."""


@dataclass
class ScribbleClassifier:
    trees: BoostedTrees
    class_names: list[str]
    scales: tuple[float, ...] = DEFAULT_SCALES
    class_colors: list[str] = field(default_factory=list)
    name: str = "scribble-classifier"

    @property
    def model_id(self) -> str:
        return self.name

    def predict_features(self, feats: np.ndarray, cancel: CancelToken | None = None) -> np.ndarray:
        """F x H x W features -> K x H x W probabilities."""
        if feats.shape[0] != len(feature_names(self.scales)):
            raise ValueError(f"expected {len(feature_names(self.scales))} feature planes, got {feats.shape[0]}")
        if cancel is not None:
            cancel.check()
        _, h, w = feats.shape
        return self.trees.predict_proba(feats.reshape(feats.shape[0], h * w)).reshape(-1, h, w)

    def segment(self, rgb: np.ndarray, cancel: CancelToken | None = None,
                progress: ProgressFn | None = None) -> SegmentationResult:
        report(progress, 0, 2, "features")
        feats = compute_features(rgb, self.scales)
        report(progress, 1, 2, "classify")
        probs = self.predict_features(feats, cancel)
        cmap = probs.argmax(0).astype(np.int32)
        scores = np.take_along_axis(probs, cmap[None], 0)[0]
        report(progress, 2, 2, "done")
        return SegmentationResult(class_map=cmap, class_scores=scores, class_names=list(self.class_names))

    # ----------------------------------------------------------------- model card
    def save(self, folder: str | Path, licence: str = "as the scribbled image; code Apache-2.0") -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.trees.save(folder / WEIGHTS)
        p = self.trees.params
        card = {
            "schema": 1, "name": self.name, "kind": KIND, "task": "semantic-segmentation",
            "format": FORMAT, "files": {"weights": WEIGHTS},
            "features": {"scales": list(self.scales), "names": feature_names(self.scales)},
            "classes": list(self.class_names), "class_colors": list(self.class_colors),
            "classifier": {"trees": p.trees, "depth": p.depth, "learning_rate": p.learning_rate,
                           "l2": p.l2, "bins": p.bins},
            "licence": licence,
        }
        from segstudio.inference.cards import write_card

        return write_card(card, folder / "card.yaml")

    @classmethod
    def load(cls, path: str | Path) -> ScribbleClassifier:
        path = Path(path)
        if path.is_dir():
            path = path / "card.yaml"
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ScribbleModelError(f"{path}: model card not found") from None
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
            raise ScribbleModelError(f"{path}: not a readable YAML card ({e})") from None
        if not isinstance(raw, dict) or raw.get("kind") != KIND or raw.get("format") != FORMAT:
            raise ScribbleModelError(f"{path}: not a scribble pixel-classifier card (kind {KIND}, format {FORMAT})")
        try:
            scales = tuple(float(s) for s in raw["features"]["scales"])
            names = [str(c) for c in raw["classes"]]
            weights = path.parent / str(raw["files"]["weights"])
        except (KeyError, TypeError, ValueError) as e:
            raise ScribbleModelError(f"{path}: malformed card (missing or invalid {e})") from None
        try:
            trees = BoostedTrees.load(weights)
        except BoostError as e:
            raise ScribbleModelError(str(e)) from None
        if trees.num_classes != len(names):
            raise ScribbleModelError(f"{path}: {len(names)} class names but the trees predict {trees.num_classes}")
        if int(trees.features.max(initial=0)) >= len(feature_names(scales)):
            raise ScribbleModelError(f"{path}: the trees use features the listed scales do not provide")
        return cls(trees, names, scales, [str(c) for c in raw.get("class_colors") or []], str(raw.get("name", path.parent.name)))


def fit_classifier(feats: np.ndarray, scribbles: np.ndarray, class_names: Sequence[str],
                   scales: Sequence[float] = DEFAULT_SCALES, params=None) -> ScribbleClassifier:
    """Train on the scribbled pixels: `scribbles` is HxW int, -1 = not scribbled, else a class."""
    ys, xs = np.nonzero(scribbles >= 0)
    if len(ys) == 0:
        raise BoostError("no scribbles yet: paint a few strokes for at least two classes")
    if len(ys) > MAX_TRAINING_PIXELS:
        # broad strokes add pixels, not information: a class-balanced, seeded subsample keeps
        # fitting at a second or two however much is painted
        labels = scribbles[ys, xs]
        rng = np.random.default_rng(0)
        per = MAX_TRAINING_PIXELS // max(1, len(np.unique(labels)))
        keep = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:per] for c in np.unique(labels)])
        ys, xs = ys[np.sort(keep)], xs[np.sort(keep)]
    x = feats[:, ys, xs].T
    y = scribbles[ys, xs].astype(np.int64)
    trees = BoostedTrees.fit(x, y, len(class_names), params)
    return ScribbleClassifier(trees, list(class_names), tuple(scales))
