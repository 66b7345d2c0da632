"""Entry point of the background training process:

    python -m segstudio.training.worker PROJECT RUN_ID [--resume]

Writes one JSON object per line on stdout (the progress channel; see process.py) and reads
stdin: a line "cancel" or end-of-file (the parent went away) cancels cooperatively, so the
last checkpoint stays valid and the run can be resumed.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import Any

from segstudio.core.tasks import CancelToken
from segstudio.training.runs import clean_json


def _watch_stdin(token: CancelToken) -> None:
    for line in sys.stdin:
        if line.strip() == "cancel":
            break
    token.cancel()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="segstudio.training.worker")
    parser.add_argument("project")
    parser.add_argument("run_id", type=int)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--device", default=None)
    args = parser.parse_args(argv)
    out = sys.stdout
    lock = threading.Lock()

    said_error = []

    def emit(event: dict[str, Any]) -> None:
        if event.get("type") == "error":
            said_error.append(event)
        with lock:
            out.write(json.dumps(clean_json(event)) + "\n")
            out.flush()

    token = CancelToken()
    threading.Thread(target=_watch_stdin, args=(token,), daemon=True, name="cancel-watch").start()
    from segstudio.training.runner import execute

    try:
        final = execute(args.project, args.run_id, resume=args.resume, cancel=token, on_event=emit,
                        device=args.device)
    except Exception as e:  # execute emits errors of the run itself; this covers opening it
        if not said_error:
            emit({"type": "error", "message": f"{type(e).__name__}: {e}"})
        return 1
    return 0 if final.get("status") != "failed" else 1


if __name__ == "__main__":
    raise SystemExit(main())
