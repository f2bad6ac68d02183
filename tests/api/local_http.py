"""A throwaway HTTP server on 127.0.0.1 for tests that make the service call out (webhooks, image URLs)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve with ``handler`` in a thread; yields the base URL (``http://127.0.0.1:<port>``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class ImageServer:
    """What :func:`image_server` serves: ``files`` by path; ``/moved/<path>`` redirects to ``/<path>``; a
    path in ``failing`` answers 503 while it is there. ``hits`` records every requested path."""

    files: dict[str, bytes] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)
    hits: list[str] = field(default_factory=list)
    base: str = ""

    def url(self, path: str) -> str:
        return f"{self.base}/{path}"


@contextmanager
def image_server() -> Iterator[ImageServer]:
    state = ImageServer()

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            state.hits.append(self.path)
            path = self.path.lstrip("/")
            if path.startswith("moved/"):
                self.send_response(302)
                self.send_header("Location", f"/{path.removeprefix('moved/')}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = state.files.get(path)
            code = 503 if path in state.failing else 200 if body is not None else 404
            body = body if code == 200 and body is not None else b"missing"
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with serving(Handler) as base:
        state.base = base
        yield state
