"""Enqueueing Celery tasks from services.

Tasks are sent only once the surrounding transaction commits (a worker never sees uncommitted
rows), and a broker outage never fails the request that asked: the work is recomputable, and the
periodic sweeps in the beat schedule pick it up once the broker is back.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def send_task(task: Any, *args: Any) -> bool:
    """Send now; False (and a warning in the log) when the broker is unreachable.

    Nothing waits on these results, so the sender never subscribes to the result backend: with
    Redis down that subscription would retry for ~20 s and then raise, failing the request.
    """
    try:
        task.apply_async(args=args, ignore_result=True)
    except OperationalError as exc:
        logger.warning(
            "broker unavailable; %s deferred to the periodic sweep", task.name, extra={"error": str(exc)}
        )
        return False
    return True


def enqueue_on_commit(task: Any, *args: Any) -> None:
    transaction.on_commit(lambda: send_task(task, *args))
