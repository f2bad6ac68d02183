"""gunicorn settings: ``gunicorn -c config/gunicorn.py`` (the Docker image and compose file use it).

Each worker freezes its start-up heap once the application is loaded (``gc.freeze``): the tens of
thousands of long-lived objects Django, DRF, NumPy and SciPy allocate at import time move to a
permanent generation, so the collector's full passes no longer walk them inside a request (a full
collection of ~190k tracked objects took 126 ms inside one submit before).

Load shedding (``annotation_qc/core/overload.py``): each worker hands its listening sockets and the
server's concurrency to the app, which sheds requests with 503 while the connections waiting to be
accepted mean a wait over ``AQC_SHED_QUEUE_MS`` (or number over ``AQC_SHED_BACKLOG``; sync workers);
``GUNICORN_WORKER_CLASS=gthread`` (or ``GUNICORN_THREADS`` > 1) uses a gthread worker that stamps
each request when it is queued, so the wait is measured.
"""

from __future__ import annotations

import gc
import os
from typing import Any

wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# gunicorn itself turns sync into its own gthread worker when threads > 1: use ours instead.
_worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread" if threads > 1 else "sync")
QUEUE_TIMED_THREAD_WORKER = "config.gunicorn_workers.QueueTimedThreadWorker"
worker_class = QUEUE_TIMED_THREAD_WORKER if _worker_class == "gthread" else _worker_class


def post_worker_init(worker: Any) -> None:
    """After the worker has loaded the app: collect once, then freeze what survived; and give the
    app the listening sockets whose accept queue it watches for load shedding."""
    gc.collect()
    gc.freeze()
    if worker is not None:
        from annotation_qc.core.overload import listeners_set

        threads = worker.cfg.threads
        listeners_set(worker.sockets, concurrency=worker.cfg.workers * threads, threads=threads)
