"""A loopback HTTP server for download tests (127.0.0.1 only, never the network).

Serves `files` (path -> bytes) with Range support, and misbehaves on request: a path in
`truncate` (path -> n) announces the full length but closes after n bytes; `no_range` ignores
Range headers; anything else is a 404.  It also answers proxy-style requests
(`GET http://host/path`), recording them in `proxied`, so proxy support can be tested."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse


class ModelServer:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.truncate: dict[str, int] = {}
        self.no_range: set[str] = set()
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        self.proxied: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                target = self.path
                if target.startswith("http://"):
                    outer.proxied.append(target)
                    target = urlparse(target).path
                rng = self.headers.get("Range")
                outer.requests.append((target, rng))
                body = outer.files.get(target)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                start = 0
                m = re.match(r"bytes=(\d+)-$", rng or "")
                if m and target not in outer.no_range:
                    start = int(m.group(1))
                    if start >= len(body):
                        self.send_error(416, "Range Not Satisfiable")
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                cut = outer.truncate.get(target)
                payload = body[start:] if cut is None else body[start:cut]
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client cancelled
                    return
                if cut is not None:
                    self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ModelServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
