"""`segstudio` entry point: no arguments (or `open PATH`) starts the GUI; otherwise a headless command.

Commands are discovered from the modules of `segstudio.cli.commands`: each defines
`register(subparsers)` which adds its parser and sets `func=run(args) -> int`.
Heavy imports (torch, Qt) happen inside `run`, so `--help` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from segstudio import __version__
from segstudio.cli import commands as _commands_pkg
from segstudio.store.errors import DatabaseError, ProjectError
from segstudio.store.locking import is_locked_error


class CliError(Exception):
    """A user-facing error: printed as one line, exit code 2 unless given."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="segstudio",
        description="SegStudio: annotate, pre-label, correct, review and export segmentation masks. "
        "Run without arguments to open the app.",
    )
    parser.add_argument("--version", action="version", version=f"segstudio {__version__}")
    parser.add_argument("--user", metavar="NAME",
                        help="record changes under NAME (default: $SEGSTUDIO_USER or your login name)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(_commands_pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{_commands_pkg.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if not argv:
        argv = ["open"]
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    if args.user:
        from segstudio.store.identity import set_user_name

        try:
            set_user_name(args.user)
        except ValueError as e:
            print(f"segstudio: error: {e}", file=sys.stderr)
            return 2
    from segstudio.cli.progress import LockWaitReporter
    from segstudio.store.locking import set_default_reporter

    previous = set_default_reporter(LockWaitReporter(args.command))
    try:
        return int(func(args) or 0)
    except CliError as e:
        print(f"segstudio {args.command}: error: {e}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print(f"segstudio {args.command}: interrupted", file=sys.stderr)
        return 130
    except (OSError, ValueError, ProjectError) as e:
        # Bad input that reached us without a friendlier message (or another process holding
        # the project's write lock too long: ProjectLocked): still one line, non-zero.
        print(f"segstudio {args.command}: error: {e}", file=sys.stderr)
        return 1
    except DatabaseError as e:
        if not is_locked_error(e):
            raise
        # A statement outside a transaction waited SQLite's busy timeout: nothing was written.
        print(f"segstudio {args.command}: error: the project is locked by another SegStudio "
              f"process; nothing was written ({e})", file=sys.stderr)
        return 1
    finally:
        set_default_reporter(previous)


if __name__ == "__main__":
    raise SystemExit(main())
