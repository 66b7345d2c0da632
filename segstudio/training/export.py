"""Export a trained model for deployment: ONNX (opset >= 17; runs in onnxruntime and in
OpenCV's cv2.dnn) or TorchScript, each written next to a copy of its model card.

The exported graph has a fixed N x 3 x S x S input (S = the card's input size) and returns
the logits, exactly like the torch model; the card says how to pre-process and read them.
"""

from __future__ import annotations

import copy
import shutil
import warnings
from pathlib import Path

from segstudio.training.cards import CARD_NAME, CardError, TrainedCard, read_card

OPSET = 17
EXPORT_FORMATS = ("onnx", "torchscript")


class ExportError(ValueError):
    """The export failed; the message names the model and the reason."""


def _eval_net(card: TrainedCard):
    from segstudio.training.predict import build_from_card

    if card.format != "torch":
        raise ExportError(f"{card.path}: only torch-format cards can be exported (this one is {card.format})")
    net = build_from_card(card)
    net.eval()
    return net


def export_model(card_path: str | Path, fmt: str, out_dir: str | Path, opset: int = OPSET) -> Path:
    """Write `model.onnx` or `model.ts` and `card.yaml` into `out_dir`; returns the card path."""
    import torch

    if fmt not in EXPORT_FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}")
    if opset < 17:
        raise ExportError(f"opset {opset} is too old; use 17 or newer")
    card = read_card(card_path)
    net = _eval_net(card)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ExportError(f"{out}: cannot create the folder ({e.strerror})") from None
    s = card.input_size
    dummy = torch.zeros(1, 3, s, s)
    name = "model.onnx" if fmt == "onnx" else "model.ts"
    target = out / name
    tmp = out / (name + ".tmp")
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # torch marks the TorchScript and legacy ONNX paths deprecated; they are what
            # OpenCV and C++ deployments load today.
            warnings.simplefilter("ignore", DeprecationWarning)
            if fmt == "onnx":
                torch.onnx.export(net, (dummy,), str(tmp), input_names=["image"], output_names=["logits"],
                                  opset_version=opset, dynamo=False, do_constant_folding=True)
            else:
                traced = torch.jit.trace(net, dummy, check_trace=False)
                traced.save(str(tmp))
    except Exception as e:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"{card.path}: {fmt} export failed ({type(e).__name__}: {e})") from None
    tmp.replace(target)
    exported = copy.copy(card)
    exported.format = fmt
    exported.weights = name
    exported.onnx = None
    exported.training = dict(card.training) | {"exported_from": str(card.path), "opset": opset if fmt == "onnx" else None}
    exported.write(out / CARD_NAME)
    licence = card.path.parent / "LICENSE" if card.path else None
    if licence is not None and licence.is_file():
        shutil.copy2(licence, out / "LICENSE")
    return out / CARD_NAME


def find_card(project_root: str | Path, run: str) -> Path:
    """A run given as an id ("3"), a run folder or a card path -> the card path."""
    p = Path(run)
    if p.is_file():
        return p
    if p.is_dir() and (p / CARD_NAME).is_file():
        return p / CARD_NAME
    if run.isdigit():
        cand = Path(project_root) / "models" / f"run-{int(run)}" / CARD_NAME
        if cand.is_file():
            return cand
        raise CardError(f"{cand}: run {run} has no model card (not finished?)")
    raise CardError(f"{run}: not a run id, run folder or model card")


def add_onnx(card_path: str | Path, opset: int = OPSET) -> Path:
    """Export ONNX next to a torch card and reference it from the card (`files.model`), so the
    model layer's registry (onnxruntime) can load the trained model like any user model."""
    import torch

    card = read_card(card_path)
    net = _eval_net(card)
    s = card.input_size
    target = card.path.parent / "model.onnx"
    tmp = target.with_suffix(".onnx.tmp")
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(net, (torch.zeros(1, 3, s, s),), str(tmp), input_names=["image"],
                              output_names=["logits"], opset_version=opset, dynamo=False)
    except Exception as e:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"{card.path}: onnx export failed ({type(e).__name__}: {e})") from None
    tmp.replace(target)
    card.onnx = target.name
    return card.write(card.path)
