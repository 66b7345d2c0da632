"""`segstudio models`: list the model cards found (built-in, user folder, --models-dir)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list available models",
                       description="List model cards: built-in models, the user's models folder "
                                   "($SEGSTUDIO_MODELS or ~/.local/share/segstudio/models) and "
                                   "--models-dir folders or card files.")
    p.add_argument("--models-dir", type=Path, action="append", default=[], metavar="DIR")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from segstudio.inference.cards import user_models_dir
    from segstudio.inference.registry import discover

    cards, problems = discover(args.models_dir)
    if args.json:
        rows = [
            {"id": c.id, "name": c.display_name, "kind": c.kind, "framework": c.framework,
             "files": {k: str(v) for k, v in c.files.items()},
             "classes": list(c.class_names), "licence": c.licence,
             "card": str(c.source) if c.source else None, "broken": None}
            for c in cards
        ]
        rows += [{"id": None, "card": _card_of(msg), "broken": msg} for msg in problems]
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(c.id) for c in cards)
    for c in cards:
        classes = f" [{len(c.class_names)} classes]" if len(c.class_names) > 1 else ""
        print(f"{c.id:<{width}}  {c.kind:<11} {c.display_name}{classes}")
    for msg in problems:  # one line each; the other cards above work
        print(f"{'(broken)':<{width}}  {'-':<11} {msg}")
    print(f"(user models folder: {user_models_dir()})")
    return 0


def _card_of(message: str) -> str:
    """The card path a registry problem starts with ('<path>: <reason>')."""
    return message.split(": ", 1)[0]
