"""The gunicorn config freezes each worker's start-up heap once the app is loaded."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path
from typing import Any

CONFIG = Path(__file__).resolve().parent.parent / "config" / "gunicorn.py"


def test_post_worker_init_freezes_the_heap() -> None:
    settings = runpy.run_path(str(CONFIG))
    assert settings["wsgi_app"] == "config.wsgi:application"
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        settings["post_worker_init"](None)
        assert gc.get_freeze_count() > 1000  # the modules, classes and functions loaded so far
    finally:
        gc.unfreeze()


def test_post_worker_init_hands_the_listeners_to_load_shedding() -> None:
    import socket
    from types import SimpleNamespace

    from annotation_qc.core import overload

    settings = runpy.run_path(str(CONFIG))
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    clients = [socket.create_connection(server.getsockname()) for _ in range(3)]
    try:
        worker = SimpleNamespace(sockets=[server], cfg=SimpleNamespace(workers=3, threads=2))
        settings["post_worker_init"](worker)
        assert overload.accept_backlog() == 3
        assert overload._server["concurrency"] == 6
        assert overload._server["threads"] == 2
    finally:
        gc.unfreeze()
        overload.listeners_set([])
        for client in clients:
            client.close()
        server.close()


def test_gthread_uses_the_worker_that_stamps_queued_requests(monkeypatch: Any) -> None:
    monkeypatch.setenv("GUNICORN_THREADS", "8")
    monkeypatch.delenv("GUNICORN_WORKER_CLASS", raising=False)
    settings = runpy.run_path(str(CONFIG))
    assert settings["worker_class"] == "config.gunicorn_workers.QueueTimedThreadWorker"
    assert settings["threads"] == 8
    monkeypatch.setenv("GUNICORN_THREADS", "1")
    assert runpy.run_path(str(CONFIG))["worker_class"] == "sync"


def test_the_thread_worker_hands_each_request_its_queue_time(monkeypatch: Any) -> None:
    from types import SimpleNamespace

    from gunicorn.workers.gthread import ThreadWorker

    from annotation_qc.core import overload
    from config.gunicorn_workers import QueueTimedThreadWorker

    seen: list[tuple[float | None, int]] = []
    monkeypatch.setattr(ThreadWorker, "enqueue_req", lambda self, conn: None)
    monkeypatch.setattr(
        ThreadWorker,
        "handle",
        lambda self, conn: seen.append((overload.queued_at(), overload.waiting_in_process())),
    )
    worker = QueueTimedThreadWorker.__new__(QueueTimedThreadWorker)
    first, second = SimpleNamespace(), SimpleNamespace()
    worker.enqueue_req(first)
    worker.enqueue_req(second)
    assert overload.waiting_in_process() == 2
    worker.handle(first)
    worker.handle(second)
    # Each request knows when it was queued and how many still wait behind it.
    assert seen == [(first.aqc_queued_at, 1), (second.aqc_queued_at, 0)]
    assert overload.queued_at() is None  # cleared once the request is done
