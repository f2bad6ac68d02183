"""A real gunicorn (``-c config/gunicorn.py``, one sync worker) sheds what waits in its accept queue.

One worker is held on a connection whose request is not finished; six more connections queue behind it
in the kernel's accept queue, each with its whole request sent. When the held request completes, the
worker serves the queue one connection at a time, so the queue's length when each request is checked
is known exactly: 6 for the held one, then 5, 4, ... 0. With ``AQC_SHED_BACKLOG=2`` every request
checked while more than two connections wait is answered 503 with ``Retry-After``, the rest are
served. No timing is asserted.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
PATH = "/api/v1/version/"
QUEUED = 6
LIMIT = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AQC_", "GUNICORN_", "WEB_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_DEBUG="0",
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        REDIS_URL="",
        CELERY_BROKER_URL="memory://",
        AQC_SHED_BACKLOG=str(LIMIT),
        AQC_SHED_QUEUE_MS="0",
        GUNICORN_ACCESS_LOG="",
        WEB_CONCURRENCY="1",
    )
    log = (tmp_path / "gunicorn.log").open("wb")
    command = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "--bind", f"{HOST}:{port}"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{(tmp_path / 'gunicorn.log').read_text()[-3000:]}")
            try:
                connection = http.client.HTTPConnection(HOST, port, timeout=5)
                connection.request("GET", PATH)
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


def status_and_retry_after(sock: socket.socket) -> tuple[int, str | None]:
    response = http.client.HTTPResponse(sock)
    response.begin()
    response.read()
    return response.status, response.getheader("Retry-After")


def test_requests_waiting_behind_a_long_accept_queue_are_shed(gunicorn: int) -> None:
    request = f"GET {PATH} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()
    held = socket.create_connection((HOST, gunicorn), timeout=30)
    held.sendall(request[:-2])  # the worker takes it and waits for the end of the headers
    queued = []
    for _ in range(QUEUED):
        sock = socket.create_connection((HOST, gunicorn), timeout=30)  # in the accept queue once connected
        sock.sendall(request)
        queued.append(sock)
    held.sendall(request[-2:])
    answers = [status_and_retry_after(sock) for sock in [held, *queued]]
    for sock in [held, *queued]:
        sock.close()
    statuses = [status for status, _ in answers]
    # Waiting when each was checked: 6, 5, 4, 3 (over the limit of 2), then 2, 1, 0.
    assert statuses == [503, 503, 503, 503, 200, 200, 200], answers
    assert all(retry is not None and 1 <= int(retry) <= 2 for status, retry in answers if status == 503)
