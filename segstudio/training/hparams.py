"""Declared hyperparameters: each template lists its knobs with a default and a valid range,
so the CLI (`--set key=value`), the GUI form and the run record all share one definition."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


class HyperParamError(ValueError):
    """A hyperparameter value is unknown, malformed or out of range; the message names it."""


@dataclass(frozen=True)
class HyperParam:
    name: str
    kind: str  # "int" | "float" | "bool" | "choice" | "floats"
    default: Any
    help: str = ""
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    log: bool = False  # GUI hint: a log-scale knob (learning rates)

    def parse(self, value: Any) -> Any:
        """Convert text or a Python value to this parameter's type and check its range."""
        try:
            v = self._convert(value)
        except (TypeError, ValueError):
            raise HyperParamError(f"{self.name}: cannot read {value!r} as {self.kind}") from None
        self._check(v)
        return v

    def _convert(self, value: Any) -> Any:
        if self.kind == "int":
            if isinstance(value, bool):
                raise ValueError
            f = float(value)
            if f != int(f):
                raise ValueError
            return int(f)
        if self.kind == "float":
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            t = str(value).strip().lower()
            if t in ("1", "true", "yes", "on"):
                return True
            if t in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if self.kind == "choice":
            return str(value).strip()
        if self.kind == "floats":  # "" = none; "1,2.5" or a list
            if isinstance(value, str):
                parts = [p for p in value.replace(" ", "").split(",") if p]
            else:
                parts = list(value or [])
            return [float(p) for p in parts]
        raise ValueError

    def _check(self, v: Any) -> None:
        if self.kind == "choice" and v not in self.choices:
            raise HyperParamError(f"{self.name}: {v!r} is not one of {', '.join(self.choices)}")
        values = v if self.kind == "floats" else [v] if self.kind in ("int", "float") else []
        for x in values:
            if x != x:  # NaN
                raise HyperParamError(f"{self.name}: NaN is not allowed")
            if self.low is not None and x < self.low:
                raise HyperParamError(f"{self.name}: {x} is below the minimum {self.low}")
            if self.high is not None and x > self.high:
                raise HyperParamError(f"{self.name}: {x} is above the maximum {self.high}")

    def describe(self) -> str:
        if self.kind == "choice":
            rng = "|".join(self.choices)
        elif self.low is not None or self.high is not None:
            rng = f"{self.low}..{self.high}"
        else:
            rng = self.kind
        return f"{self.name}={self.default} ({rng}) {self.help}".strip()


def resolve(params: Iterable[HyperParam], values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults overridden by `values`; unknown names and bad values raise HyperParamError."""
    by_name = {p.name: p for p in params}
    out = {name: p.default for name, p in by_name.items()}
    for key, value in (values or {}).items():
        if key not in by_name:
            close = [n for n in by_name if key.replace("-", "_") == n]
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise HyperParamError(
                f"unknown hyperparameter {key!r}{hint}; known: {', '.join(sorted(by_name))}"
            )
        out[key] = by_name[key].parse(value)
    return out


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """['lr=0.01', 'epochs=3'] -> {'lr': '0.01', 'epochs': '3'} (values stay text)."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise HyperParamError(f"expected key=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out


# Knobs every template shares; templates add or override defaults.
def common_params(**defaults: Any) -> list[HyperParam]:
    d = {
        "epochs": 30, "lr": 1e-3, "batch_size": 4, "input_size": 256, "loss": "ce+dice",
        "freeze_encoder": False, "patience": 8, "seed": 0,
    } | defaults
    return [
        HyperParam("epochs", "int", d["epochs"], "passes over the training images", 1, 1000),
        HyperParam("lr", "float", d["lr"], "peak learning rate (AdamW)", 1e-6, 1.0, log=True),
        HyperParam("schedule", "choice", "cosine", "learning-rate schedule after warm-up",
                   choices=("constant", "cosine", "step", "poly")),
        HyperParam("warmup_epochs", "int", 1, "linear warm-up epochs", 0, 100),
        HyperParam("weight_decay", "float", 1e-4, "AdamW weight decay", 0.0, 1.0, log=True),
        HyperParam("batch_size", "int", d["batch_size"], "images per step", 1, 256),
        HyperParam("input_size", "int", d["input_size"], "square network input (multiple of 32)", 32, 2048),
        HyperParam("hflip", "bool", True, "random horizontal flips"),
        HyperParam("vflip", "bool", False, "random vertical flips (aerial, microscopy)"),
        HyperParam("scale_min", "float", 0.5, "random-crop area fraction, lower bound", 0.1, 1.0),
        HyperParam("rotate", "float", 10.0, "random rotation, degrees either way", 0.0, 180.0),
        HyperParam("color_jitter", "float", 0.2, "brightness/contrast/saturation jitter", 0.0, 1.0),
        HyperParam("loss", "choice", d["loss"], "training loss",
                   choices=("ce", "dice", "focal", "ce+dice", "focal+dice")),
        HyperParam("focal_gamma", "float", 2.0, "focal-loss focusing exponent", 0.0, 10.0),
        HyperParam("class_weights", "choice", "none", "class weights for CE/focal",
                   choices=("none", "inverse_frequency", "sqrt_inverse_frequency")),
        HyperParam("freeze_encoder", "bool", d["freeze_encoder"], "train the decoder only"),
        HyperParam("patience", "int", d["patience"], "stop after this many epochs without a better val IoU (0 = never)", 0, 1000),
        HyperParam("val_fraction", "float", 0.2, "automatic validation split when the project has none", 0.0, 0.9),
        HyperParam("ignore_unlabelled", "bool", False, "pixels under no instance are ignored instead of background"),
        HyperParam("seed", "int", d["seed"], "random seed (same seed, same data, same result)", 0, 2**31 - 1),
        HyperParam("workers", "int", 0, "torch intra-op threads (0 = torch default)", 0, 256),
    ]
