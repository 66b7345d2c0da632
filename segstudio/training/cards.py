"""Model cards of trained models: the one card format of `segstudio.inference.cards` (read by
`parse_card`, written by `write_card`), with what training knows beside it: the network's
architecture, whether it is a multi-class or a foreground net (`mode`), the format of its
weights, class colours and the training run.  The model layer's registry loads such a card
like any other (its ONNX export when there is one); `TrainedCard` is the training side's view.

Read-side checks name the file and the problem: a card is user-editable input.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from segstudio.inference.base import ModelError
from segstudio.inference.cards import ModelCard, parse_card, write_card
from segstudio.training.transforms import MEAN, STD

CARD_NAME = "card.yaml"
FORMATS = ("torch", "onnx", "torchscript")
_FRAMEWORK = {"torch": "torch-state-dict", "onnx": "onnx", "torchscript": "torchscript"}


class CardError(ModelError, ValueError):
    """A card is missing, malformed or points at files that are not there."""


@dataclass
class TrainedCard:
    name: str
    kind: str  # "semantic" | "foreground"
    format: str  # torch | onnx | torchscript
    weights: str  # file name relative to the card
    input_size: int
    class_names: list[str]
    architecture: dict[str, Any]
    class_colors: list[str] = field(default_factory=list)
    mean: tuple[float, ...] = MEAN
    std: tuple[float, ...] = STD
    output: str = "logits"  # C logits (softmax) or one logit (sigmoid) for binary nets
    licence: str = "as the training data; network code Apache-2.0"
    training: dict[str, Any] = field(default_factory=dict)
    onnx: str | None = None  # an ONNX export next to the card: what the model layer's registry loads
    path: Path | None = None  # where it was read from / written to

    @property
    def model_id(self) -> str:
        return self.name

    @property
    def weights_path(self) -> Path:
        base = self.path.parent if self.path else Path(".")
        return base / self.weights

    def to_dict(self) -> dict[str, Any]:
        files = {"weights": self.weights}
        if self.onnx:
            files["model"] = self.onnx
        elif self.format in ("onnx", "torchscript"):
            files["model"] = self.weights
        return {
            "id": self.name,
            "name": self.name,
            # the model layer knows `kind: semantic`; a one-class foreground net is a semantic
            # net with one logit channel there, and `mode` keeps which it is
            "kind": "semantic",
            "framework": "onnx" if self.onnx else _FRAMEWORK[self.format],
            "files": files,
            "input_size": [self.input_size, self.input_size],
            "normalization": {"scale": 255, "mean": list(self.mean), "std": list(self.std)},
            "class_names": self.class_names,
            "licence": self.licence,
            # what training knows (extra keys of a card: `ModelCard.options`)
            "mode": self.kind,
            "format": self.format,
            "output": self.output,
            "class_colors": self.class_colors,
            "architecture": self.architecture,
            "training": self.training,
        }

    def write(self, path: Path) -> Path:
        self.path = write_card(self.to_dict(), path)
        return self.path


def read_card(path: str | Path) -> TrainedCard:
    """A trained model's card (also those written before 0.x with two key sets)."""
    path = Path(path)
    if path.is_dir():
        path = path / CARD_NAME
    try:
        card = parse_card(path)
    except ModelError as e:
        raise CardError(str(e)) from None
    try:
        trained = _trained(card, path)
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise CardError(f"{path}: malformed model card (missing or invalid {e})") from None
    if trained.kind not in ("semantic", "foreground"):
        raise CardError(f"{path}: unknown kind {trained.kind!r} (semantic or foreground)")
    if trained.format not in FORMATS:
        raise CardError(f"{path}: unknown format {trained.format!r}; expected one of {', '.join(FORMATS)}")
    if len(trained.class_names) < 2:
        raise CardError(f"{path}: a segmentation card needs at least two classes")
    if not trained.weights_path.is_file():
        raise CardError(f"{path}: weights file {trained.weights_path} not found")
    return trained


def _trained(card: ModelCard, path: Path) -> TrainedCard:
    o = card.options
    if card.input_size is None:
        raise KeyError("input_size")
    files = {role: os.path.relpath(p, path.parent) for role, p in card.files.items()}
    fmt = str(o.get("format") or {v: k for k, v in _FRAMEWORK.items()}.get(card.framework, card.framework))
    weights = files["weights"]
    model = files.get("model")
    return TrainedCard(
        name=card.name or card.id,
        kind=str(o.get("mode", card.kind)),
        format=fmt,
        weights=weights,
        input_size=int(card.input_size[0]),
        class_names=list(card.class_names),
        architecture=dict(o.get("architecture") or {}),
        class_colors=[str(c) for c in o.get("class_colors") or []],
        mean=tuple(card.mean),
        std=tuple(card.std),
        output=str(o.get("output", "logits")),
        licence=card.licence,
        training=dict(o.get("training") or {}),
        onnx=model if model not in (None, weights) else None,
        path=path,
    )


def project_cards(project_root: Path) -> list[TrainedCard]:
    """Every readable trained-model card of a project (`models/*/card.yaml`), newest run last."""
    out = []
    for p in sorted((Path(project_root) / "models").glob(f"*/{CARD_NAME}"), key=lambda q: q.stat().st_mtime):
        try:
            out.append(read_card(p))
        except CardError:
            continue  # a half-written or hand-broken card must not hide the others
    return out
