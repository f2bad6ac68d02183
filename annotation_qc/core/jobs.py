"""Services for the Job rows every background job reports through, and the crash-safety around them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from annotation_qc.core.models import Job

logger = logging.getLogger(__name__)


def job_create(*, kind: str, project_id: int, created_by_id: int | None, params: dict[str, Any]) -> Job:
    return Job.objects.create(kind=kind, project_id=project_id, created_by_id=created_by_id, params=params)


def job_start(*, job_id: int, total: int) -> None:
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.RUNNING,
        total=total,
        done=0,
        started_at=timezone.now(),
        attempts=F("attempts") + 1,
        message="",
    )


def job_advance(*, job_id: int, by: int) -> None:
    Job.objects.filter(pk=job_id).update(done=F("done") + by)


def job_finish(*, job_id: int, result: dict[str, Any], message: str = "") -> None:
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.SUCCEEDED, result=result, message=message, finished_at=timezone.now()
    )


def job_fail(*, job_id: int, message: str, result: dict[str, Any] | None = None) -> None:
    """Mark the job failed; ``result`` (e.g. an import's report of rejected rows) is kept when given."""
    extra: dict[str, Any] = {} if result is None else {"result": result}
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.FAILED, message=message, finished_at=timezone.now(), **extra
    )


# ---------------------------------------------------------------------------------------------
# Crash safety: a job is claimed by one worker at a time, beats while it runs, and a watchdog
# retries it (a bounded number of times) when its worker died, then fails it with a message.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recovery:
    """How the watchdog retries a job of one kind (re-enqueue its task) and gives it up (fail it)."""

    retry: Callable[[Job], None]
    give_up: Callable[[Job, str], None]


#: Filled by the apps whose jobs the watchdog may retry (their AppConfig.ready), keyed by Job.kind.
RECOVERIES: dict[str, Recovery] = {}


def register_recovery(
    kind: str, *, retry: Callable[[Job], None], give_up: Callable[[Job, str], None]
) -> None:
    RECOVERIES[kind] = Recovery(retry=retry, give_up=give_up)


def _setting(name: str, default: float) -> float:
    return float(settings.ANNOTATION_QC.get(name, default))


def stale_after() -> timedelta:
    return timedelta(seconds=_setting("JOB_STALE_SECONDS", 120))


def job_claim(*, job_id: int) -> bool:
    """Take the job for this worker: pending, or running with a stopped heartbeat. False: leave it.

    A redelivered message (acks late) of a job another live worker is running, or of a job already
    finished or failed, claims nothing, so no job runs twice at once.
    """
    now = timezone.now()
    claimable = Q(status=Job.Status.PENDING) | Q(
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - stale_after()), status=Job.Status.RUNNING
    )
    return bool(Job.objects.filter(claimable, pk=job_id).update(status=Job.Status.RUNNING, heartbeat_at=now))


def job_beat(*, job_id: int) -> None:
    Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(heartbeat_at=timezone.now())


class _Heartbeat(threading.Thread):
    """Beats for a job from its own thread (its own database connection, outside the job's transaction)."""

    def __init__(self, job_id: int, interval: float) -> None:
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.job_id, self.interval, self.stopped = job_id, interval, threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                try:
                    job_beat(job_id=self.job_id)
                except DatabaseError as exc:  # a locked SQLite file, a dropped connection: beat again later
                    logger.warning(
                        "job heartbeat not written", extra={"job_id": self.job_id, "error": str(exc)}
                    )
        finally:
            connections.close_all()


def _in_worker() -> bool:
    from celery import current_task

    return bool(current_task) and not current_task.request.is_eager


@contextmanager
def job_running(*, job_id: int) -> Iterator[bool]:
    """``with job_running(job_id=...) as mine:`` claims the job and, in a worker, beats while the block runs.

    ``mine`` is False when the job is not this worker's to run (see :func:`job_claim`).
    """
    if not job_claim(job_id=job_id):
        yield False
        return
    interval = _setting("JOB_HEARTBEAT_SECONDS", 10)
    beat = _Heartbeat(job_id, interval) if interval > 0 and _in_worker() else None
    if beat is not None:
        beat.start()
    try:
        yield True
    finally:
        if beat is not None:
            beat.stopped.set()
            beat.join(timeout=interval + 5)


def jobs_watchdog(*, now: Any = None) -> dict[str, list[int]]:
    """Retry the running jobs whose heartbeat stopped (their worker died), or fail them after the last try.

    Runs from beat every ``JOB_WATCHDOG_SECONDS``. A job of a kind without a registered recovery is
    failed at once. Returns the job ids retried and failed.
    """
    now = now or timezone.now()
    max_attempts = int(_setting("JOB_MAX_ATTEMPTS", 3))
    silent_for = int(stale_after().total_seconds())
    stale = Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=now - stale_after()).order_by("pk")
    outcome: dict[str, list[int]] = {"retried": [], "failed": []}
    for job in stale:
        recovery = RECOVERIES.get(job.kind)
        with transaction.atomic():
            # Only if it is still stale (a worker may have claimed it since the query).
            taken = Job.objects.filter(
                pk=job.pk, status=Job.Status.RUNNING, heartbeat_at=job.heartbeat_at
            ).update(heartbeat_at=now)
            if not taken:
                continue
            if recovery is not None and job.attempts < max_attempts:
                Job.objects.filter(pk=job.pk).update(
                    status=Job.Status.PENDING,
                    message=(
                        f"The worker running this job stopped (no heartbeat for {silent_for} s); "
                        f"retrying (attempt {job.attempts + 1} of {max_attempts})."
                    ),
                )
                recovery.retry(job)
                outcome["retried"].append(job.pk)
            else:
                message = (
                    f"The worker running this job stopped (no heartbeat for {silent_for} s) "
                    f"{job.attempts} time(s); the job was given up. Start it again."
                )
                if recovery is not None:
                    recovery.give_up(job, message)
                else:
                    job_fail(job_id=job.pk, message=message)
                outcome["failed"].append(job.pk)
        logger.warning("job watchdog: worker lost", extra={"job_id": job.pk, "kind": job.kind})
    return outcome
