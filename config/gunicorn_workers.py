"""gunicorn worker classes: the gthread worker with each request stamped when it is queued.

A gthread worker accepts connections at once and queues them for its threads, so the wait happens
inside the process, where the listen socket's accept queue does not show it. This worker notes when
each request was queued and hands the time to the request's thread (``annotation_qc.core.overload``),
which sheds requests that waited more than ``AQC_SHED_QUEUE_MS``; and counts the requests waiting for a
thread, which weigh like the accept queue's. ``config/gunicorn.py`` uses it for
``GUNICORN_WORKER_CLASS=gthread``.
"""

from __future__ import annotations

import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from annotation_qc.core import overload


class QueueTimedThreadWorker(ThreadWorker):
    def enqueue_req(self, conn: Any) -> None:
        conn.aqc_queued_at = time.time()
        overload.waiting_add(1)
        super().enqueue_req(conn)

    def handle(self, conn: Any) -> Any:
        overload.waiting_add(-1)
        overload.queued_at_set(getattr(conn, "aqc_queued_at", None))
        try:
            return super().handle(conn)
        finally:
            overload.queued_at_set(None)
