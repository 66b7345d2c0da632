"""Model cards: small YAML/JSON files that describe a model so users add models without code.

A SegStudio card::

    id: my-unet            # unique id used by --model and the model picker
    name: My U-Net         # display name (defaults to id)
    kind: semantic         # salient | interactive | sam | yolo-seg | semantic
    framework: onnx        # onnx | torchscript | torch-state-dict | builtin | clicknet
    files: {model: unet.onnx}          # relative to the card; sam: {encoder: .., decoder: ..}
    input_size: [512, 512] # H, W the network expects (omit to use the image size)
    normalization: {mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], scale: 255}
    class_names: [background, road, car]
    background: [background]           # classes that never become instances
    licence: MIT

AnyLabeling / X-AnyLabeling model configs are read as they are: `type: segment_anything`
(also `sam_hq`, `efficient_sam`, ... whose files follow the segment-anything ONNX layout) with
`encoder_model_path` / `decoder_model_path`, and `type: yolov5_seg|yolov8_seg|yolo11_seg` with
`model_path` and `classes`.  Paths that are URLs are never downloaded: the file with the URL's
base name must sit next to the config (or in the user's models folder).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from segstudio.inference.base import ModelError

KINDS = ("salient", "interactive", "sam", "yolo-seg", "semantic")
FRAMEWORKS = ("onnx", "torchscript", "torch-state-dict", "builtin", "clicknet")
BUILTIN_DIR = Path(__file__).resolve().parent.parent / "resources" / "models"
CARD_SUFFIXES = (".yaml", ".yml", ".json")

_ANYLABELING_SAM = {
    "segment_anything", "segment_anything_hq", "sam_hq", "sam_med2d", "efficient_sam",
    "edge_sam", "sam", "mobile_sam", "segment_anything_onnx",
}
_ANYLABELING_YOLO_SEG = {"yolov5_seg", "yolov8_seg", "yolo11_seg", "yolov8_sahi_seg"}


@dataclass(frozen=True)
class ModelCard:
    id: str
    kind: str
    framework: str
    files: dict[str, Path] = field(default_factory=dict)
    name: str = ""
    input_size: tuple[int, int] | None = None
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    scale: float = 1.0  # pixels are divided by this before mean/std (255 -> [0,1])
    class_names: tuple[str, ...] = ()
    background: tuple[str, ...] = ()
    licence: str = ""
    description: str = ""
    source: Path | None = None  # the card file
    options: dict[str, Any] = field(default_factory=dict)  # thresholds and the like

    @property
    def display_name(self) -> str:
        return self.name or self.id

    @property
    def is_prompt(self) -> bool:
        return self.kind in ("interactive", "sam")

    def file(self, role: str) -> Path:
        p = self.files.get(role)
        if p is None:
            raise ModelError(f"{self.source or self.id}: card has no '{role}' file")
        if not p.is_file():
            raise ModelError(f"{p}: model file of '{self.id}' not found")
        return p


def _read_mapping(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: cannot read model card ({exc})") from exc
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # yaml.YAMLError, json.JSONDecodeError
        raise ModelError(f"{path}: malformed model card ({exc})") from exc
    if not isinstance(data, dict):
        raise ModelError(f"{path}: a model card must be a mapping, not {type(data).__name__}")
    return data


def _resolve(base: Path, value: Any, card: Path, extra_dirs: tuple[Path, ...] = ()) -> Path:
    if not isinstance(value, str) or not value:
        raise ModelError(f"{card}: file path must be a non-empty string, got {value!r}")
    if urlparse(value).scheme in ("http", "https", "ftp"):
        name = Path(urlparse(value).path).name
        for d in (base, *extra_dirs):
            if (d / name).is_file():
                return d / name
        # Not found: keep the expected local place so the error says where to put it.
        return base / name
    p = Path(os.path.expanduser(value))
    return p if p.is_absolute() else base / p


def _triple(card: Path, key: str, value: Any, default: tuple) -> tuple[float, float, float]:
    if value is None:
        return default
    try:
        t = () if isinstance(value, str) else tuple(float(v) for v in value)
    except (TypeError, ValueError, OverflowError):
        t = ()
    if len(t) != 3 or not all(math.isfinite(v) for v in t):
        raise ModelError(f"{card}: '{key}' must be three numbers, got {value!r}")
    return t  # type: ignore[return-value]


def one_line(text: str) -> str:
    """A message on one line (YAML errors span several): whitespace runs become one space."""
    return " ".join(str(text).split())


def parse_card(path: str | Path, extra_dirs: tuple[Path, ...] = ()) -> ModelCard:
    """Read a SegStudio card or an AnyLabeling / X-AnyLabeling model config.

    Every problem is a one-line ModelError naming the card: a value of the wrong type that
    no check below foresaw still ends here, never as a TypeError in whoever lists models."""
    path = Path(path)
    try:
        return _parse_card(path, extra_dirs)
    except ModelError as exc:
        raise ModelError(one_line(str(exc))) from None
    except Exception as exc:  # noqa: BLE001 - a card is user data; any oddity is its fault
        raise ModelError(one_line(f"{path}: malformed model card ({type(exc).__name__}: {exc})")) from None


def _parse_card(path: Path, extra_dirs: tuple[Path, ...]) -> ModelCard:
    if not path.is_file():
        raise ModelError(f"{path}: model card not found")
    data = _read_mapping(path)
    base = path.parent
    if "type" in data and "kind" not in data:
        return _parse_anylabeling(path, data, extra_dirs)
    for key in ("id", "kind"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ModelError(f"{path}: model card needs a string '{key}'")
    kind = data["kind"]
    if kind not in KINDS:
        raise ModelError(f"{path}: unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
    framework = data.get("framework", "onnx")
    if framework not in FRAMEWORKS:
        raise ModelError(f"{path}: unknown framework {framework!r} ({', '.join(FRAMEWORKS)})")
    files_raw = data.get("files", {})
    if isinstance(files_raw, str):
        files_raw = {"model": files_raw}
    if not isinstance(files_raw, dict):
        raise ModelError(f"{path}: 'files' must map roles to paths")
    files = {str(k): _resolve(base, v, path, extra_dirs) for k, v in files_raw.items()}
    size = data.get("input_size")
    if size is not None:
        if isinstance(size, int):
            size = [size, size]
        try:
            size = (int(size[0]), int(size[1]))
        except (TypeError, ValueError, IndexError, OverflowError) as exc:
            raise ModelError(f"{path}: 'input_size' must be [height, width]") from exc
        if not (0 < size[0] <= 16384 and 0 < size[1] <= 16384):
            raise ModelError(f"{path}: 'input_size' must be two sizes in 1..16384, got {list(size)}")
    norm = data.get("normalization") or {}
    if not isinstance(norm, dict):
        raise ModelError(f"{path}: 'normalization' must be a mapping")
    mean = _triple(path, "mean", norm.get("mean"), (0.0, 0.0, 0.0))
    std = _triple(path, "std", norm.get("std"), (1.0, 1.0, 1.0))
    if any(s == 0 for s in std):
        raise ModelError(f"{path}: 'std' must not contain 0, got {norm.get('std')!r}")
    scale = norm.get("scale", 255.0 if "mean" in norm and max(mean) <= 1.0 else 1.0)
    if scale == "image-max":
        scale = 0.0  # marker: divide by the image maximum (U²-Net recipe)
    elif isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
        raise ModelError(f"{path}: 'scale' must be a positive number or 'image-max', got {scale!r}")
    classes = data.get("class_names", data.get("classes", []))
    if isinstance(classes, dict):  # {0: name, 1: name}
        classes = [classes[k] for k in sorted(classes, key=int)]
    if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
        raise ModelError(f"{path}: 'class_names' must be a list of names")
    background = data.get("background") or []
    if isinstance(background, str):
        background = [background]
    if not isinstance(background, list) or not all(isinstance(c, str) for c in background):
        raise ModelError(f"{path}: 'background' must be a list of class names, got {background!r}")
    known = {
        "id", "name", "kind", "framework", "files", "input_size", "normalization",
        "class_names", "classes", "background", "licence", "license", "description",
    }
    return ModelCard(
        id=data["id"],
        kind=kind,
        framework=framework,
        files=files,
        name=str(data.get("name", "")),
        input_size=size,
        mean=mean,
        std=std,
        scale=float(scale),
        class_names=tuple(classes),
        background=tuple(background),
        licence=str(data.get("licence", data.get("license", ""))),
        description=str(data.get("description", "")),
        source=path,
        options={k: v for k, v in data.items() if k not in known},
    )


def _parse_anylabeling(path: Path, data: dict[str, Any], extra_dirs) -> ModelCard:
    mtype = str(data.get("type", ""))
    base = path.parent
    ident = str(data.get("name") or path.stem)
    name = str(data.get("display_name") or ident)
    if mtype in _ANYLABELING_SAM or (
        "encoder_model_path" in data and "decoder_model_path" in data
    ):
        for key in ("encoder_model_path", "decoder_model_path"):
            if key not in data:
                raise ModelError(f"{path}: AnyLabeling SAM config lacks '{key}'")
        size = int(data.get("input_size", 1024))
        return ModelCard(
            id=ident, kind="sam", framework="onnx", name=name, source=path,
            files={
                "encoder": _resolve(base, data["encoder_model_path"], path, extra_dirs),
                "decoder": _resolve(base, data["decoder_model_path"], path, extra_dirs),
            },
            input_size=(size, size),
            mean=(123.675, 116.28, 103.53), std=(58.395, 57.12, 57.375),
            options={"anylabeling_type": mtype},
        )
    if mtype in _ANYLABELING_YOLO_SEG or (mtype.endswith("_seg") and "model_path" in data):
        if "model_path" not in data:
            raise ModelError(f"{path}: AnyLabeling YOLO-seg config lacks 'model_path'")
        classes = data.get("classes", [])
        if isinstance(classes, dict):
            classes = [classes[k] for k in sorted(classes, key=int)]
        opts = {
            "confidence_threshold": float(data.get("confidence_threshold", 0.25)),
            "nms_threshold": float(data.get("nms_threshold", 0.45)),
            "anylabeling_type": mtype,
        }
        return ModelCard(
            id=ident, kind="yolo-seg", framework="onnx", name=name, source=path,
            files={"model": _resolve(base, data["model_path"], path, extra_dirs)},
            class_names=tuple(str(c) for c in classes), scale=255.0, options=opts,
        )
    raise ModelError(
        f"{path}: AnyLabeling model type {mtype!r} is not supported "
        "(supported: segment-anything ONNX pairs and YOLO-seg)"
    )


def card_text(data: dict[str, Any]) -> str:
    """A card's YAML, keys in the order given."""
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def write_card(data: dict[str, Any], path: str | Path) -> Path:
    """Write a card atomically (a reader never sees half of one); returns its path."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(card_text(data), encoding="utf-8")
    tmp.replace(path)
    return path


def user_models_dir() -> Path:
    """The user's models folder: $SEGSTUDIO_MODELS or the XDG data folder."""
    env = os.environ.get("SEGSTUDIO_MODELS")
    if env:
        return Path(env)
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "segstudio" / "models"
