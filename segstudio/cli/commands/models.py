"""`segstudio models`: list the model cards found (built-in, user folder, --models-dir);
`models available|pull|remove|add`: the download catalogue and installing click models."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list, download and install models",
                       description="Without a sub-command: list model cards (built-in models, the "
                                   "user's models folder ($SEGSTUDIO_MODELS or "
                                   "~/.local/share/segstudio/models) and --models-dir folders).")
    p.add_argument("--models-dir", type=Path, action="append", default=[], metavar="DIR")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.set_defaults(func=run)
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    a = verbs.add_parser("available", help="the download catalogue: size, licence, speed, installed?")
    a.add_argument("--json", action="store_true", help="print machine-readable JSON")
    a.add_argument("--urls", action="store_true",
                   help="print every file's URL and the mirror path it goes to (to mirror the catalogue)")
    a.set_defaults(func=run_available)
    pl = verbs.add_parser("pull", help="download, verify and install a catalogue model")
    pl.add_argument("ids", nargs="+", metavar="ID")
    pl.add_argument("--mirror", metavar="URL",
                    help="base URL of a mirror (else $SEGSTUDIO_MODEL_MIRROR, else the publisher)")
    pl.set_defaults(func=run_pull)
    r = verbs.add_parser("remove", help="delete an installed model (and partial downloads)")
    r.add_argument("ids", nargs="+", metavar="ID")
    r.set_defaults(func=run_remove)
    ad = verbs.add_parser("add", help="install an encoder/decoder pair you already have (offline)")
    ad.add_argument("encoder", type=Path)
    ad.add_argument("decoder", type=Path)
    ad.add_argument("--type", dest="layout", choices=("sam", "efficientsam", "sam2"),
                    help="the pair's layout (default: read from the decoder)")
    ad.add_argument("--id", dest="model_id", help="model id (default: from the encoder's name)")
    ad.add_argument("--name", help="display name")
    ad.add_argument("--licence", default="", help="the weights' licence, shown in the model list")
    ad.set_defaults(func=run_add)


def _cli_error(exc: Exception):
    from segstudio.cli.main import CliError

    return CliError(str(exc))


def _user_errors() -> tuple[type[Exception], ...]:
    from segstudio.inference.base import ModelError

    return (ModelError, OSError)


def run(args: argparse.Namespace) -> int:
    from segstudio.inference.cards import user_models_dir
    from segstudio.inference.registry import discover

    cards, problems = discover(args.models_dir)
    if args.json:
        rows = [
            {"id": c.id, "name": c.display_name, "kind": c.kind, "framework": c.framework,
             "layout": c.options.get("layout"), "files": {k: str(v) for k, v in c.files.items()},
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
    print(f"(user models folder: {user_models_dir()}; more to download: segstudio models available)")
    return 0


def _card_of(message: str) -> str:
    """The card path a registry problem starts with ('<path>: <reason>')."""
    return message.split(": ", 1)[0]


def _speed(e) -> str:
    if e.encoder_s is None:
        return "?"
    mark = "~" if e.cost_basis == "estimate" else ""
    return f"{mark}{e.encoder_s:g} s/image, {mark}{e.click_ms:g} ms/click"


def run_available(args: argparse.Namespace) -> int:
    from segstudio.inference.catalogue import load_catalogue
    from segstudio.inference.download import human_bytes, mirror_url
    from segstudio.inference.install import state

    try:
        cat = load_catalogue()
    except _user_errors() as exc:
        raise _cli_error(exc) from exc
    if args.urls:
        for e in cat.entries:
            for d in e.downloads:
                print(f"{d.url}\t{mirror_url('MIRROR', e.id, d.name)}\t{d.algorithm}:{d.digest}")
        return 0
    rows = []
    for e in cat.entries:
        st = state(e)
        rows.append({
            "id": e.id, "name": e.name, "layout": e.layout, "licence": e.licence,
            "download_bytes": e.download_bytes, "size_exact": e.sizes_exact,
            "encoder_s": e.encoder_s, "click_ms": e.click_ms, "cost_basis": e.cost_basis,
            "prompts": list(e.prompts), "source_page": e.source_page,
            "installed": st.installed, "partial_bytes": st.partial_bytes,
        })
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        width = max(len(r["id"]) for r in rows)
        for e, r in zip(cat.entries, rows):
            size = ("" if r["size_exact"] else "~") + human_bytes(r["download_bytes"])
            mark = "installed" if r["installed"] else (
                f"partial {human_bytes(r['partial_bytes'])}" if r["partial_bytes"] else "")
            print(f"{e.id:<{width}}  {size:>9}  {e.licence:<10} {_speed(e):<34} {mark}")
        print("(speeds marked ~ are estimates for 2 CPU cores; install with: segstudio models pull ID)")
    for msg in cat.problems:
        print(f"warning: {msg}", file=sys.stderr)
    return 0


class _ByteProgress:
    """One status line on a terminal (rewritten in place); a line every 10% otherwise."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._step = -1

    def __call__(self, done: int, total: int, message: str = "") -> None:
        if self.tty:
            self.stream.write(f"\r{message[:100]:<100}")
            self.stream.flush()
            return
        step = int(10 * done / total) if total else 0
        if step != self._step:
            self._step = step
            print(message, file=self.stream)

    def end(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def run_pull(args: argparse.Namespace) -> int:
    from segstudio.inference.catalogue import load_catalogue
    from segstudio.inference.install import pull

    try:
        cat = load_catalogue()
        entries = [cat.get(i) for i in args.ids]
    except _user_errors() as exc:
        raise _cli_error(exc) from exc
    for e in entries:
        bar = _ByteProgress()
        try:
            card = pull(e, mirror=args.mirror, progress=bar)
        except _user_errors() as exc:  # DownloadError / ModelError: one line
            bar.end()
            raise _cli_error(exc) from exc
        bar.end()
        print(f"{e.id}: installed ({card.parent})")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from segstudio.inference.install import remove

    for mid in args.ids:
        try:
            removed = remove(mid)
        except _user_errors() as exc:
            raise _cli_error(exc) from exc
        print(f"{mid}: {'removed' if removed else 'not installed'}")
    return 0


def run_add(args: argparse.Namespace) -> int:
    from segstudio.inference.install import add_local

    try:
        card = add_local(args.encoder, args.decoder, args.layout, args.model_id, args.name,
                         licence=args.licence)
    except _user_errors() as exc:
        raise _cli_error(exc) from exc
    print(f"installed {card.parent.name} ({card.parent})")
    return 0
