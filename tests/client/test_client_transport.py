"""The client's transport against throwaway local servers: retries, back-off, version refusal, no Django."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aqc_client import Client, ConnectionFailed, IncompatibleServer, ServerError

from tests.api.local_http import QuietHandler, serving

CLIENT_SRC = Path(__file__).resolve().parents[2] / "client" / "src"


class ScriptedHandler(QuietHandler):
    """Answers each request with the next (status, body, headers) of ``script``; records what it got."""

    script: ClassVar[list[tuple[int, Any, dict[str, str]]]] = []
    seen: ClassVar[list[tuple[str, str]]] = []
    lock = threading.Lock()

    def _answer(self) -> None:
        with self.lock:
            self.seen.append((self.command, self.path))
            if self.path == "/api/v1/version/":
                status, body, headers = 200, {"api_version": 1, "server_version": "t"}, {}
            else:
                status, body, headers = self.script.pop(0) if self.script else (200, {"ok": True}, {})
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = _answer  # noqa: N815 (http.server's names)


@pytest.fixture
def scripted() -> Any:
    ScriptedHandler.script = []
    ScriptedHandler.seen = []
    with serving(ScriptedHandler) as url:
        yield url


def _client(url: str, sleeps: list[float], **kwargs: Any) -> Client:
    client = Client(url, token="t", backoff=0.01, **kwargs)
    client.http._sleep = sleeps.append
    return client


def test_get_retried_after_5xx_and_429_honouring_retry_after(scripted: str) -> None:
    ScriptedHandler.script = [
        (503, {"detail": "busy"}, {"Retry-After": "2"}),
        (429, {"detail": "slow down"}, {"Retry-After": "1"}),
        (502, {"detail": "gateway"}, {}),
        (200, {"id": 5, "status": "running"}, {}),
    ]
    sleeps: list[float] = []
    job = _client(scripted, sleeps).job(5)
    assert job["id"] == 5
    assert sleeps[:2] == [2.0, 1.0]
    assert len(sleeps) == 3
    assert [p for m, p in ScriptedHandler.seen if p.startswith("/api/v1/jobs")] == ["/api/v1/jobs/5/"] * 4


def test_post_not_retried_after_500_but_after_503(scripted: str) -> None:
    ScriptedHandler.script = [(500, {"detail": "boom"}, {})]
    sleeps: list[float] = []
    client = _client(scripted, sleeps)
    with pytest.raises(ServerError) as caught:
        client.import_items(1, [{"external_id": "a"}])
    assert caught.value.status == 500
    assert "boom" in str(caught.value)
    assert sum(1 for m, _ in ScriptedHandler.seen if m == "POST") == 1  # an import is never sent twice

    ScriptedHandler.script = [(503, {"detail": "later"}, {"Retry-After": "0"}), (201, {"created": 1}, {})]
    assert client.import_items(1, [{"external_id": "a"}]) == 1


def test_retries_give_up_with_the_last_error(scripted: str) -> None:
    ScriptedHandler.script = [(503, {"detail": "down"}, {})] * 3
    sleeps: list[float] = []
    with pytest.raises(ServerError):
        _client(scripted, sleeps, retries=2).job(1)
    assert len(sleeps) == 2


def test_unreachable_server_is_a_connection_error() -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps: list[float] = []
    client = Client(f"http://127.0.0.1:{port}", token="t", retries=2, backoff=0.01, check_version=False)
    client.http._sleep = sleeps.append
    with pytest.raises(ConnectionFailed):
        client.import_items(1, [{"external_id": "a"}])  # refused before sending: safe to retry a POST
    assert len(sleeps) == 2


def test_newer_server_is_refused_with_a_clear_message() -> None:
    class Newer(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            raw = json.dumps({"api_version": 2, "server_version": "9.0"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    with serving(Newer) as url, pytest.raises(IncompatibleServer, match=r"API version 2.*upgrade the client"):
        Client(url, token="t").projects()


def test_client_imports_and_runs_without_django(tmp_path: Path) -> None:
    """The client package must not need Django: import it with Django made unimportable."""
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'django' or name.startswith('django.') or name.startswith('annotation_qc'):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"sys.path.insert(0, {str(CLIENT_SRC)!r})\n"
        "import aqc_client, aqc_client.cli\n"
        "try:\n"
        "    aqc_client.cli.main(['--help'])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0\n"
        "print('ok', aqc_client.Client.__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "aqc import" in done.stdout or "import" in done.stdout
    assert done.stdout.strip().endswith("ok Client")
