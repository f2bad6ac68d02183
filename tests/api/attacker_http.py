"""Server, worker and client of the attacker test (``test_attacker.py``): real HTTP, jobs off the request.

Server: on PostgreSQL a real gunicorn process (``-c config/gunicorn.py``, one sync worker, settings
``config.settings.local``) on the pytest-django test database, as deployed. On SQLite the test
database lives in this process's memory, which no other process can open, so the server is Django's
live-server thread (as pytest-django's ``live_server``) in this process, sharing that connection;
requests are served one at a time there (``tests/e2e/conftest.py`` explains why), which a single
synchronous client never notices. Either way the client talks HTTP over a loopback socket.

Worker: the server sends its jobs (preparing the annotator's next task, scoring a submit) to kombu's
file-system broker in a folder of the test's own; the test process plays the worker and runs them
(:meth:`JobFolder.run_all`) at the end of each annotator's turn, before the next annotator's
calls: what a benchmark costs to prepare or score never lands in a call of its own task, as in a
deployment with a worker beside the web process, and a run does not depend on how fast a worker
polls on a busy machine.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.integration.conftest import _sending_to, database_url

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
START_TIMEOUT_S = 90.0
#: Environment variables of the test process the server process must not inherit.
FOREIGN_ENV = ("DJANGO_", "CELERY_", "PYTEST_", "DATABASE_", "REDIS_", "AQC_", "GUNICORN_", "WEB_", "MEDIA_")


@dataclass(frozen=True)
class Reply:
    """What a client sees of one response: status, raw body, headers as received, wall time."""

    status: int
    body: bytes
    headers: list[tuple[str, str]]
    ms: float
    redirects: int = 0

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """One annotator's HTTP client (their API token)."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"

    def call(self, method: str, path: str, body: Any = None) -> Reply:
        started = time.perf_counter()
        response = self.session.request(
            method, f"{self.base_url}{path}", json=body, timeout=60, allow_redirects=True
        )
        content = response.content
        ms = (time.perf_counter() - started) * 1000
        headers = [(str(k), str(v)) for k, v in response.raw.headers.items()]
        return Reply(response.status_code, content, headers, ms, len(response.history))

    def close(self) -> None:
        self.session.close()


class JobFolder:
    """Kombu's file-system broker in a folder; :meth:`run_all` is the worker."""

    def __init__(self, root: Path, lock: threading.Lock | None = None) -> None:
        self.root = root
        self.queue = root / "queue"
        self.lock = lock or threading.Lock()
        self.ran: Counter[str] = Counter()  # jobs run, by task name
        for name in ("queue", "processed", "control", "results"):
            (root / name).mkdir(parents=True, exist_ok=True)

    @property
    def transport_options(self) -> dict[str, object]:
        """As ``config/settings/base.py`` sets them for ``AQC_CELERY_FOLDER``."""
        return {
            "data_folder_in": str(self.queue),
            "data_folder_out": str(self.queue),
            "processed_folder": str(self.root / "processed"),
            "control_folder": str(self.root / "control"),
            "store_processed": False,
        }

    def run_all(self) -> int:
        """Run every queued job, oldest first, and the jobs those enqueue; how many ran."""
        from celery import current_app

        ran = 0
        while True:
            files = sorted(self.queue.glob("*.msg"), key=lambda p: (int(p.name.split("_", 1)[0]), p.name))
            if not files:
                return ran
            for path in files:
                message = json.loads(path.read_bytes())
                path.unlink()
                body = message["body"]
                if message.get("properties", {}).get("body_encoding") == "base64":
                    body = base64.b64decode(body)
                args, kwargs, _ = json.loads(body)
                name = message["headers"]["task"]
                with self.lock:
                    current_app.tasks[name].apply(args=args, kwargs=kwargs, throw=True)
                self.ran[name] += 1
                ran += 1


def jobs_sent_to(settings: Any, jobs: JobFolder) -> AbstractContextManager[None]:
    """Tasks sent by this process (the live server's requests, jobs the worker runs) go to ``jobs``."""
    return _sending_to(settings, "filesystem://", None, transport_options=jobs.transport_options)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def gunicorn_serving(*, jobs: JobFolder, media: Path, log: Path) -> Iterator[str]:
    """A gunicorn process on the test database (PostgreSQL); yields its base URL."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(FOREIGN_ENV)}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_DEBUG="0",
        DATABASE_URL=database_url(),
        REDIS_URL="",
        CELERY_BROKER_URL="filesystem://",
        CELERY_TASK_ALWAYS_EAGER="0",
        AQC_CELERY_FOLDER=str(jobs.root),
        AQC_ANNOTATOR_RATE="100000/min",  # eight scripted annotators on one machine, as the test settings
        MEDIA_ROOT=str(media),
        GUNICORN_ACCESS_LOG="",
        WEB_CONCURRENCY="1",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    command = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "--bind", f"{HOST}:{port}"]
    base_url = f"http://{HOST}:{port}"
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                if requests.get(f"{base_url}/api/v1/version/", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@contextmanager
def live_server_serving(monkeypatch: pytest.MonkeyPatch, lock: threading.Lock) -> Iterator[str]:
    """Django's live-server thread in this process (in-memory SQLite); requests one at a time under
    ``lock``, which the worker (:class:`JobFolder`) takes too."""
    from django.core.handlers.wsgi import WSGIHandler
    from pytest_django.live_server_helper import LiveServer

    handle = WSGIHandler.__call__

    def serialised(self: WSGIHandler, environ: Any, start_response: Any) -> Any:
        with lock:
            return handle(self, environ, start_response)

    monkeypatch.setattr(WSGIHandler, "__call__", serialised)
    server = LiveServer(HOST)
    # Accepted connections inherit TCP_NODELAY from the listener, as gunicorn's do. Without it the
    # live server (headers and body written apart) met the client's delayed ACK after an idle gap
    # on a kept-alive connection: +40 ms on whichever call followed a longer job in the worker.
    server.thread.httpd.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        yield server.url
    finally:
        server.stop()
