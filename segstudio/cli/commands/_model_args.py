"""Shared CLI options for commands that use a model (--model, --models-dir)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from segstudio.cli.main import CliError


def add_model_args(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--model", required=required, metavar="ID|CARD",
                   help="model id (see `segstudio models`) or the path of a model card / "
                        "AnyLabeling config")
    p.add_argument("--models-dir", type=Path, action="append", default=[], metavar="DIR",
                   help="extra folder (or card file) to search for model cards; repeatable")


def load_model(args: argparse.Namespace) -> tuple[Any, Any]:
    """(card, model object) or a one-line CliError naming what is wrong."""
    from segstudio.inference import registry
    from segstudio.inference.base import ModelError

    try:
        card = registry.find(args.model, args.models_dir)
        return card, registry.load(card)
    except ModelError as e:
        raise CliError(str(e)) from None
