"""The two model protocols of the model layer and their result types (Qt-free, torch-free).

* A *prompt segmenter* does the expensive work once per image in `set_image` (an embedding, a
  saliency map, colour statistics) and then answers many cheap `predict` calls with positive and
  negative points, an optional box and the previous mask (the segment-anything predictor split).
* An *image segmenter* maps a whole image to instances and/or a class map with scores and names.

Every compute method takes `cancel` and `progress` so the GUI worker, the CLI and the tests run
the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from segstudio.core.masks import MaskPatch
from segstudio.core.prompt import Click, Prompt  # noqa: F401  (the model protocols' prompt types)
from segstudio.core.tasks import CancelToken, ProgressFn


class ModelError(Exception):
    """A model file or card is missing, corrupt or does not fit: the message names the file."""


@dataclass(frozen=True)
class PromptResult:
    mask: np.ndarray  # bool HxW at image size
    score: float = 1.0
    # Optional low-resolution logits the model can take back as `prev_mask` context (SAM).
    logits: np.ndarray | None = None
    choice: int = 0  # which of the model's candidate masks this is
    n_choices: int = 1  # how many candidates the model gave (cycle with Prompt.mask_choice)
    rank: int = 0  # its place among the candidates, best score first: the mask_choice that picks it


@runtime_checkable
class PromptSegmenter(Protocol):
    model_id: str

    def set_image(
        self,
        rgb: np.ndarray,
        cancel: CancelToken | None = None,
        progress: ProgressFn | None = None,
    ) -> None: ...

    def predict(self, prompt: Prompt, cancel: CancelToken | None = None) -> PromptResult: ...


@dataclass(frozen=True)
class Detection:
    """One object found by an image segmenter."""

    mask: MaskPatch
    class_name: str
    score: float
    class_index: int = 0


@dataclass
class SegmentationResult:
    """Whole-image output: instances and/or a semantic class map (index into class_names;
    -1 = no class / ignored)."""

    instances: list[Detection] = field(default_factory=list)
    class_map: np.ndarray | None = None  # int32 HxW
    class_scores: np.ndarray | None = None  # float32 HxW, confidence of the chosen class
    class_names: list[str] = field(default_factory=list)
    soft: np.ndarray | None = None  # float32 HxW in [0,1] for salient/foreground models

    def all_instances(self, min_area: int = 1, background: tuple[str, ...] = ()) -> list[Detection]:
        """Instances, plus one instance per class present in the class map (semantic output),
        skipping classes named in `background`."""
        out = list(self.instances)
        if self.class_map is not None:
            for idx in np.unique(self.class_map):
                if idx < 0 or idx >= len(self.class_names):
                    continue
                name = self.class_names[idx]
                if name in background:
                    continue
                m = self.class_map == idx
                if int(m.sum()) < min_area:
                    continue
                score = float(self.class_scores[m].mean()) if self.class_scores is not None else 1.0
                out.append(Detection(MaskPatch.from_full(m).tight(), name, score, int(idx)))
        return out


@runtime_checkable
class ImageSegmenter(Protocol):
    model_id: str

    def segment(
        self,
        rgb: np.ndarray,
        cancel: CancelToken | None = None,
        progress: ProgressFn | None = None,
    ) -> SegmentationResult: ...
