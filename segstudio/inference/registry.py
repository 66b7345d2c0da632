"""Find model cards (built-in, the user's models folder, paths given on the command line) and
turn a card into a runnable model object.  Loading imports torch/onnxruntime lazily."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from segstudio.inference.base import ModelError
from segstudio.inference.cards import (
    BUILTIN_DIR,
    CARD_SUFFIXES,
    ModelCard,
    parse_card,
    user_models_dir,
)

log = logging.getLogger(__name__)

# The interactive model has no files: its card is built in code.
INTERACTIVE_CARD = ModelCard(
    id="grabcut-interactive",
    kind="interactive",
    framework="builtin",
    name="Built-in click/box segmenter (GrabCut + saliency)",
    licence="Apache-2.0 (SegStudio); saliency seed: U²-Netp, Apache-2.0",
    description="Clicks and boxes to a mask, refined click by click: a quick GrabCut answer at "
    "once, then U²-Netp looks at the object's surroundings and sharpens it; works offline, no "
    "weights beyond the built-in U²-Netp.",
)

PLAIN_GRABCUT_CARD = ModelCard(
    id="grabcut-plain",
    kind="interactive",
    framework="builtin",
    name="Built-in click/box segmenter without saliency (no torch)",
    licence="Apache-2.0 (SegStudio)",
    description="The same click/box segmenter without U²-Netp: starts faster, GrabCut only, "
    "weaker results.",
)


def _cards_in(folder: Path, errors: list[str]) -> list[ModelCard]:
    out = []
    if not folder.is_dir():
        return out
    for p in sorted(folder.rglob("*")):
        # dot folders hold downloads and installs in progress (inference/install.py)
        if any(part.startswith(".") for part in p.relative_to(folder).parts[:-1]):
            continue
        if p.suffix.lower() in CARD_SUFFIXES and p.is_file():
            try:
                out.append(parse_card(p, extra_dirs=(folder,)))
            except ModelError as exc:  # listed as broken; every other card still works
                errors.append(str(exc))
    return out


def discover(
    extra: Iterable[str | Path] = (), user_dir: Path | None = None
) -> tuple[list[ModelCard], list[str]]:
    """All cards: built-in first, then the user's folder, then `extra` (files or folders).
    A later card with the same id replaces an earlier one.  Returns (cards, problems)."""
    errors: list[str] = []
    cards: list[ModelCard] = [INTERACTIVE_CARD, PLAIN_GRABCUT_CARD]
    cards += _cards_in(BUILTIN_DIR, errors)
    cards += _cards_in(user_dir if user_dir is not None else user_models_dir(), errors)
    for e in extra:
        p = Path(e)
        if p.is_dir():
            cards += _cards_in(p, errors)
        else:
            try:
                cards.append(parse_card(p))
            except ModelError as exc:
                errors.append(str(exc))
    by_id: dict[str, ModelCard] = {}
    for c in cards:
        by_id[c.id] = c
    return list(by_id.values()), errors


def find(model: str, extra: Iterable[str | Path] = (), user_dir: Path | None = None) -> ModelCard:
    """A card by id, or by the path of a card file."""
    p = Path(model)
    if p.suffix.lower() in CARD_SUFFIXES and (p.is_file() or "/" in model or "\\" in model):
        return parse_card(p)
    cards, errors = discover(extra, user_dir)
    for c in cards:
        if c.id == model:
            return c
    known = ", ".join(c.id for c in cards)
    hint = f" (problems: {'; '.join(errors)})" if errors else ""
    raise ModelError(f"unknown model {model!r}; known models: {known}{hint}")


def load(card: ModelCard) -> Any:
    """The model object for a card: a PromptSegmenter or an ImageSegmenter."""
    if card.id == INTERACTIVE_CARD.id:
        from segstudio.inference.interactive import GrabCutInteractive
        from segstudio.inference.u2net import SalientSegmenter

        return GrabCutInteractive(SalientSegmenter())
    if card.id == PLAIN_GRABCUT_CARD.id:
        from segstudio.inference.interactive import GrabCutInteractive

        return GrabCutInteractive(None)
    if card.kind == "salient":
        from segstudio.inference.salient import SalientImageSegmenter

        return SalientImageSegmenter.from_card(card)
    if card.kind == "sam":
        return _load_sam_family(card)
    if card.kind == "yolo-seg":
        from segstudio.inference.yolo_seg import YoloSegOnnx

        return YoloSegOnnx.from_card(card)
    if card.kind == "semantic":
        from segstudio.inference.semantic import load_semantic

        return load_semantic(card)
    if card.kind == "interactive" and card.framework == "clicknet":
        from segstudio.inference.click_model import LearnedClickSegmenter

        return LearnedClickSegmenter(card.file("model"), model_id=card.id)
    if card.kind == "interactive":
        raise ModelError(
            f"{card.source or card.id}: interactive models must be kind 'sam' or framework 'clicknet'"
        )
    raise ModelError(f"{card.source or card.id}: cannot load kind {card.kind!r}")


def _load_sam_family(card: ModelCard) -> Any:
    """SAM-family pairs by layout: the card's `layout`, else read from the decoder's inputs."""
    layout = card.options.get("layout")
    card.file("encoder")  # a missing encoder is named first, whatever the layout
    if layout is None:
        from segstudio.inference.install import detect_layout

        layout = detect_layout(card.file("decoder"))
    if layout == "efficientsam":
        from segstudio.inference.sam_layouts import EfficientSamOnnx

        return EfficientSamOnnx.from_card(card)
    if layout == "sam2":
        from segstudio.inference.sam_layouts import Sam2Onnx

        return Sam2Onnx.from_card(card)
    if layout == "sam":
        from segstudio.inference.sam_onnx import SamOnnx

        return SamOnnx.from_card(card)
    raise ModelError(f"{card.source or card.id}: unknown layout {layout!r} (sam, efficientsam, sam2)")
