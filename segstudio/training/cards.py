"""Model cards for trained models: a small YAML file next to the weights saying what the
network is, what it expects and what it outputs, so the model can be reloaded (or used by
other tools through its ONNX export) without code.

Read-side checks name the file and the problem: a card is user-editable input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from segstudio.training.transforms import MEAN, STD

CARD_NAME = "card.yaml"
FORMATS = ("torch", "onnx", "torchscript")


class CardError(ValueError):
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
            "schema": 1,
            "name": self.name,
            # The model layer (segstudio.inference.cards) knows `kind: semantic`; a one-class
            # foreground net is a semantic net with one logit channel there.  `mode` keeps ours.
            "kind": "semantic",
            "mode": self.kind,
            "task": "semantic-segmentation" if self.kind == "semantic" else "foreground-segmentation",
            "format": self.format,
            "files": files,
            "input": {
                "size": [self.input_size, self.input_size],
                "resize": "stretch",
                "channels": "RGB",
                "scale": 1 / 255,
                "mean": list(self.mean),
                "std": list(self.std),
                "layout": "NCHW",
            },
            "output": self.output,
            "classes": self.class_names,
            "class_colors": self.class_colors,
            "architecture": self.architecture,
            "licence": self.licence,
            "training": self.training,
            # the same facts under the keys of the built-in model cards (segstudio/resources/
            # models/*.yaml), so one registry can list both kinds
            "id": self.name,
            "framework": "onnx" if self.onnx else
            {"torch": "torch-state-dict", "onnx": "onnx", "torchscript": "torchscript"}[self.format],
            "input_size": [self.input_size, self.input_size],
            "normalization": {"scale": 255, "mean": list(self.mean), "std": list(self.std)},  # x / scale
            "class_names": self.class_names,
        }

    def write(self, path: Path) -> Path:
        path = Path(path)
        tmp = path.with_suffix(".yaml.tmp")
        tmp.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True), encoding="utf-8")
        tmp.replace(path)
        self.path = path
        return path


def read_card(path: str | Path) -> TrainedCard:
    path = Path(path)
    if path.is_dir():
        path = path / CARD_NAME
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CardError(f"{path}: model card not found") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise CardError(f"{path}: not a readable YAML model card ({e})") from None
    if not isinstance(raw, dict):
        raise CardError(f"{path}: a model card must be a YAML mapping")
    try:
        inp = raw["input"]
        card = TrainedCard(
            name=str(raw["name"]),
            kind=str(raw.get("mode", raw["kind"])),
            format=str(raw["format"]),
            weights=str(raw["files"]["weights"]),
            input_size=int(inp["size"][0]),
            class_names=[str(c) for c in raw["classes"]],
            architecture=dict(raw.get("architecture") or {}),
            class_colors=[str(c) for c in raw.get("class_colors") or []],
            mean=tuple(float(v) for v in inp.get("mean", MEAN)),
            std=tuple(float(v) for v in inp.get("std", STD)),
            output=str(raw.get("output", "logits")),
            licence=str(raw.get("licence", "")),
            training=dict(raw.get("training") or {}),
            onnx=str(raw["files"]["model"]) if raw["files"].get("model") not in (None, raw["files"]["weights"]) else None,
            path=path,
        )
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise CardError(f"{path}: malformed model card (missing or invalid {e})") from None
    if card.kind not in ("semantic", "foreground"):
        raise CardError(f"{path}: unknown kind {card.kind!r} (semantic or foreground)")
    if card.format not in FORMATS:
        raise CardError(f"{path}: unknown format {card.format!r}; expected one of {', '.join(FORMATS)}")
    if len(card.mean) != 3 or len(card.std) != 3 or any(s == 0 for s in card.std):
        raise CardError(f"{path}: input mean/std must be three numbers, std non-zero")
    if len(card.class_names) < 2:
        raise CardError(f"{path}: a segmentation card needs at least two classes")
    if not card.weights_path.is_file():
        raise CardError(f"{path}: weights file {card.weights_path} not found")
    return card


def project_cards(project_root: Path) -> list[TrainedCard]:
    """Every readable trained-model card of a project (`models/*/card.yaml`), newest run last."""
    out = []
    for p in sorted((Path(project_root) / "models").glob(f"*/{CARD_NAME}"), key=lambda q: q.stat().st_mtime):
        try:
            out.append(read_card(p))
        except CardError:
            continue  # a half-written or hand-broken card must not hide the others
    return out
