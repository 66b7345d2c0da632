"""Architecture templates: a network recipe plus its declared hyperparameters.

Torch-free at import; `build_model` imports torch and the network module lazily.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from segstudio.training.hparams import HyperParam, common_params, resolve


class TemplateError(ValueError):
    """Unknown template or a network that cannot be built (missing built-in weights...)."""


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    mode: str  # "semantic" (multi-class softmax) | "foreground" (binary)
    description: str
    params: tuple[HyperParam, ...] = field(default_factory=tuple)

    def resolve(self, values: dict[str, Any] | None = None) -> dict[str, Any]:
        hp = resolve(self.params, values)
        if "input_size" in hp and hp["input_size"] % 32:
            from segstudio.training.hparams import HyperParamError

            raise HyperParamError(f"input_size: {hp['input_size']} is not a multiple of 32")
        return hp

    def param(self, name: str) -> HyperParam:
        return next(p for p in self.params if p.name == name)


SEMANTIC = Template(
    "semantic",
    "Semantic U-Net (multi-class)",
    "semantic",
    "A compact U-Net trained from random initialisation on the project's categories "
    "(plus background). Learns any classes; needs a few dozen labelled images.",
    tuple(common_params(epochs=40, lr=2e-3, batch_size=4, input_size=256, loss="ce+dice")) + (
        HyperParam("width", "int", 16, "channels of the first stage (doubles per stage, capped at 8x)", 4, 64),
        HyperParam("depth", "int", 4, "down-sampling stages", 2, 5),
        HyperParam("backbone", "choice", "unet", "compact U-Net from scratch, or U\u00b2-Netp with "
                   "its built-in weights and new class heads", choices=("unet", "u2netp")),
    ),
)

FOREGROUND = Template(
    "foreground",
    "Foreground U\u00b2-Netp (fine-tune)",
    "foreground",
    "U\u00b2-Netp salient-object network fine-tuned from the built-in weights: one foreground "
    "class made of the chosen categories. Good results from a few dozen images.",
    # lr 1e-5: Adam steps are ~lr per weight, and the folded-BN convolutions of the built-in
    # weights have small weights; 1e-4 without warm-up lost IoU on DAVIS in our runs.
    tuple(common_params(epochs=10, lr=1e-5, batch_size=4, input_size=320, loss="ce+dice", patience=5)),
)

CLICK = Template(
    "click",
    "Click model (fine-tune on your objects)",
    "click",
    "The built-in learned click/box model fine-tuned on the project's accepted instances: "
    "simulated users click on each object and on the model's errors, as in its own training. "
    "The result appears in AI Assist's click-model list. A few hundred objects help; the "
    "model sees 256-pixel views of them.",
    (
        HyperParam("epochs", "int", 8, "passes over the training objects", 1, 1000),
        # Fine-tuning from the built-in weights: a tenth of the rate that trained them.
        HyperParam("lr", "float", 2e-5, "peak learning rate (AdamW)", 1e-7, 1e-2, log=True),
        HyperParam("schedule", "choice", "cosine", "learning-rate schedule after warm-up",
                   choices=("constant", "cosine", "step", "poly")),
        HyperParam("warmup_epochs", "int", 1, "linear warm-up epochs", 0, 100),
        HyperParam("weight_decay", "float", 1e-4, "AdamW weight decay", 0.0, 1.0, log=True),
        HyperParam("batch_size", "int", 4, "objects per step", 1, 64),
        HyperParam("start", "choice", "builtin", "start from the built-in click model, or from "
                   "the saliency network (train from that far only with thousands of objects)",
                   choices=("builtin", "saliency")),
        HyperParam("iterative_p", "float", 0.6, "share of steps that click on the model's own "
                   "errors (the rest corrects synthetic wrong masks)", 0.0, 1.0),
        HyperParam("box_p", "float", 0.1, "share of objects prompted with a box", 0.0, 1.0),
        HyperParam("val_fraction", "float", 0.2, "automatic validation split (images) when the project has none", 0.0, 0.9),
        HyperParam("val_max_clicks", "int", 10, "clicks per validation object (NoC protocol)", 1, 50),
        HyperParam("seed", "int", 0, "random seed (same seed, same data: same model)", 0, 2**31 - 1),
        HyperParam("workers", "int", 1, "torch threads (1 wastes least on a busy machine)", 0, 64),
    ),
)

TEMPLATES: dict[str, Template] = {t.name: t for t in (SEMANTIC, FOREGROUND, CLICK)}


def get_template(name: str) -> Template:
    try:
        return TEMPLATES[name]
    except KeyError:
        raise TemplateError(f"unknown template {name!r}; available: {', '.join(TEMPLATES)}") from None


def build_model(template: Template, hp: dict[str, Any], num_classes: int, pretrained: bool = True):
    """The torch network for a template.  Foreground nets output one logit channel."""
    if template.name == "semantic" and hp.get("backbone") == "u2netp":
        from segstudio.training.u2net_adapter import build_foreground_net

        return build_foreground_net(pretrained=pretrained, num_outputs=num_classes)
    if template.name == "semantic":
        from segstudio.training.unet import CompactUNet

        return CompactUNet(num_classes, width=int(hp["width"]), depth=int(hp["depth"]))
    if template.name == "foreground":
        from segstudio.training.u2net_adapter import build_foreground_net

        return build_foreground_net(pretrained=pretrained)
    raise TemplateError(f"no network for template {template.name!r}")


def encoder_parameters(model) -> list:
    """Parameters frozen by `freeze_encoder` (each network names its encoder)."""
    fn = getattr(model, "encoder_parameters", None)
    return list(fn()) if fn is not None else []
