"""`segstudio export-model RUN --format onnx|torchscript --out DIR`: export a trained model with
its model card (RUN: a card path, a run folder, or a run id with --project)."""

from __future__ import annotations

import argparse
from pathlib import Path

from segstudio.cli.main import CliError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export-model",
        help="export a trained model to ONNX or TorchScript",
        description="Write model.onnx (opset >= 17; runs in onnxruntime and OpenCV cv2.dnn) or "
        "model.ts (TorchScript) and its card.yaml into DIR.",
    )
    p.add_argument("run", help="model card, run folder (PROJECT/models/run-N) or run id (needs --project)")
    p.add_argument("--project", type=Path, default=Path("."), help="project folder for a run id (default: .)")
    p.add_argument("--format", required=True, choices=("onnx", "torchscript"))
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset (>= 17)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from segstudio.training.cards import CardError
    from segstudio.training.export import ExportError, export_model, find_card

    try:
        card = find_card(args.project, args.run)
        out = export_model(card, args.format, args.out, opset=args.opset)
    except (CardError, ExportError) as e:
        raise CliError(str(e)) from None
    print(f"wrote {out.parent / ('model.onnx' if args.format == 'onnx' else 'model.ts')} and {out}")
    return 0
