"""Enqueueing Celery tasks from services.

Tasks are sent only once the surrounding transaction commits (a worker never sees uncommitted
rows), and a broker outage never fails the request that asked. What a lost send means depends on
the work: recomputable work (consensus, lint profiles, agreement reports, scheduled
prioritisation) is picked up by the periodic sweeps in the beat schedule once the broker is back;
a job someone is watching passes ``on_unavailable``, which marks it failed with a message instead
of leaving it pending for ever.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

#: The message a job gets when its task could not be sent.
BROKER_DOWN = "The task queue is unreachable, so the job was not started; try again later."


def send_task(
    task: Any,
    *args: Any,
    on_unavailable: Callable[[], None] | None = None,
    options: dict[str, Any] | None = None,
) -> bool:
    """Send now; False (and a warning in the log, and ``on_unavailable()``) when the broker is unreachable.

    Nothing waits on these results, so the sender never subscribes to the result backend: with
    Redis down that subscription would retry for ~20 s and then raise, failing the request.
    ``options`` go to ``apply_async`` (a job's time limit: ``core.jobs.task_options``).
    """
    try:
        task.apply_async(args=args, ignore_result=True, **(options or {}))
    except OperationalError as exc:
        outcome = "its job is marked failed" if on_unavailable else "deferred to the periodic sweep"
        logger.warning("broker unavailable; %s not sent: %s", task.name, outcome, extra={"error": str(exc)})
        if on_unavailable is not None:
            on_unavailable()
        return False
    return True


def enqueue_on_commit(
    task: Any,
    *args: Any,
    on_unavailable: Callable[[], None] | None = None,
    options: dict[str, Any] | None = None,
) -> None:
    transaction.on_commit(lambda: send_task(task, *args, on_unavailable=on_unavailable, options=options))


def enqueue_name_on_commit(name: str, *args: Any) -> None:
    """Send the registered Celery task ``name`` once the transaction commits (no import of its module)."""
    from celery import current_app

    transaction.on_commit(lambda: send_task(current_app.tasks[name], *args))
