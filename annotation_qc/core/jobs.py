"""Services for the Job rows every background job reports through, and the crash-safety around them."""

from __future__ import annotations

import logging
import threading
import time
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
class JobKind:
    """How the watchdog treats one kind of job, and the windows sized to it.

    Why per job and not the broker's visibility timeout. Tasks are acknowledged late
    (``acks_late``), so a message whose worker died is redelivered by the broker, but only after its
    ``visibility_timeout``, which kombu's Redis transport applies to every message alike. No single
    value fits: one shorter than the longest job (a 200,000-item export) hands a live job's message
    to a second worker; one longer than the shortest leaves a crashed agreement report "running" for
    an hour. So the broker's timeout is only a backstop (``CELERY_BROKER_TRANSPORT_OPTIONS``,
    3600 s), and what decides when a job is lost is per job:

    - ``stale_seconds``: the heartbeat window. A running job's worker beats every
      ``JOB_HEARTBEAT_SECONDS`` from a thread; silent for this long, the worker is taken for dead and
      the job is retried by the watchdog (beat, every ``JOB_WATCHDOG_SECONDS``), however long the job
      itself is. Kinds whose work waits in the queue between beats (prioritisation's chunks) get a
      longer window. None: ``JOB_STALE_SECONDS``.
    - ``deadline_seconds``: the longest one attempt may run. It is sent as the task's hard
      ``time_limit`` (a prefork worker kills the process running it), and the heartbeat stops at
      it too (pools without time limits), so a hung attempt is lost like a dead one: retried, or
      failed with a message saying it ran out of time.

    A redelivered message (the backstop) finds the job claimed by a live worker, or finished, and
    does nothing; so does the watchdog's retry of a job that finished meanwhile. ``JOB_WINDOWS``
    (``{"prioritize": {"stale_seconds": 600, "deadline_seconds": 7200}}``) overrides these per kind.
    """

    retry: Callable[[Job], None]
    give_up: Callable[[Job, str], None]
    stale_seconds: float | None = None
    deadline_seconds: float = 3600.0


#: Filled by the apps whose jobs the watchdog may retry (their AppConfig.ready), keyed by Job.kind.
JOB_KINDS: dict[str, JobKind] = {}


def register_job_kind(
    kind: str,
    *,
    retry: Callable[[Job], None],
    give_up: Callable[[Job, str], None],
    stale_seconds: float | None = None,
    deadline_seconds: float = 3600.0,
) -> None:
    JOB_KINDS[kind] = JobKind(
        retry=retry, give_up=give_up, stale_seconds=stale_seconds, deadline_seconds=deadline_seconds
    )


def _setting(name: str, default: float) -> float:
    return float(settings.ANNOTATION_QC.get(name, default))


def _override(kind: str, name: str) -> float | None:
    value = settings.ANNOTATION_QC.get("JOB_WINDOWS", {}).get(kind, {}).get(name)
    return None if value is None else float(value)


def stale_after(kind: str | None = None) -> timedelta:
    """The heartbeat window of a kind of job (the default window without a kind)."""
    seconds = _override(kind, "stale_seconds") if kind else None
    if seconds is None and kind in JOB_KINDS:
        seconds = JOB_KINDS[kind].stale_seconds
    return timedelta(seconds=seconds if seconds is not None else _setting("JOB_STALE_SECONDS", 120))


def deadline(kind: str) -> float:
    """Seconds one attempt of a kind of job may run (its task's hard time limit)."""
    seconds = _override(kind, "deadline_seconds")
    if seconds is None:
        seconds = JOB_KINDS[kind].deadline_seconds if kind in JOB_KINDS else 3600.0
    return seconds


def task_options(kind: str) -> dict[str, Any]:
    """Options of a job's task message: its hard time limit, sized to the kind of job."""
    return {"time_limit": deadline(kind)}


def _stale_q(now: Any) -> Q:
    """Running jobs silent for longer than their kind's window."""
    kinds = set(JOB_KINDS) | set(settings.ANNOTATION_QC.get("JOB_WINDOWS", {}))
    q = Q(heartbeat_at__lt=now - stale_after()) & ~Q(kind__in=kinds)
    for kind in kinds:
        q |= Q(kind=kind, heartbeat_at__lt=now - stale_after(kind))
    return Q(status=Job.Status.RUNNING) & q


def job_claim(*, job_id: int) -> bool:
    """Take the job for this worker: pending, or running with a stopped heartbeat. False: leave it.

    A redelivered message (acks late) of a job another live worker is running, or of a job already
    finished or failed, claims nothing, so no job runs twice at once.
    """
    now = timezone.now()
    kind = Job.objects.filter(pk=job_id).values_list("kind", flat=True).first()
    if kind is None:
        return False
    claimable = Q(status=Job.Status.PENDING) | Q(
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - stale_after(kind)),
        status=Job.Status.RUNNING,
    )
    return bool(Job.objects.filter(claimable, pk=job_id).update(status=Job.Status.RUNNING, heartbeat_at=now))


def job_beat(*, job_id: int) -> None:
    Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(heartbeat_at=timezone.now())


class _Heartbeat(threading.Thread):
    """Beats for a job from its own thread (its own database connection, outside the job's transaction),
    until stopped or until ``until`` (monotonic seconds): past its deadline an attempt is left to die."""

    def __init__(self, job_id: int, interval: float, until: float) -> None:
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.job_id, self.interval, self.until = job_id, interval, until
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval) and self.beat_once():
                pass
        finally:
            connections.close_all()

    def beat_once(self) -> bool:
        """One beat; False (and no beat) once the attempt is past its deadline."""
        if time.monotonic() > self.until:
            logger.warning("job past its deadline: heartbeat stopped", extra={"job_id": self.job_id})
            return False
        try:
            job_beat(job_id=self.job_id)
        except DatabaseError as exc:  # a locked SQLite file, a dropped connection: beat again later
            logger.warning("job heartbeat not written", extra={"job_id": self.job_id, "error": str(exc)})
        return True


def _in_worker() -> bool:
    from celery import current_task

    return bool(current_task) and not current_task.request.is_eager


@contextmanager
def _beating(job_id: int) -> Iterator[None]:
    interval = _setting("JOB_HEARTBEAT_SECONDS", 10)
    beat = None
    if interval > 0 and _in_worker():
        kind = Job.objects.filter(pk=job_id).values_list("kind", flat=True).first() or ""
        beat = _Heartbeat(job_id, interval, until=time.monotonic() + deadline(kind))
        beat.start()
    try:
        yield
    finally:
        if beat is not None:
            beat.stopped.set()
            beat.join(timeout=interval + 5)


@contextmanager
def job_running(*, job_id: int) -> Iterator[bool]:
    """``with job_running(job_id=...) as mine:`` claims the job and, in a worker, beats while the block runs.

    ``mine`` is False when the job is not this worker's to run (see :func:`job_claim`).
    """
    if not job_claim(job_id=job_id):
        yield False
        return
    with _beating(job_id):
        yield True


@contextmanager
def job_working(*, job_id: int) -> Iterator[None]:
    """Beat for a job while one of its parts runs, without claiming it (a job fanned out over several
    tasks at once, as prioritisation's chunks are); the job's first task claimed it. In a worker it
    beats as the part starts and ends too, so a job whose parts are all short still shows alive."""
    in_worker = _in_worker()
    if in_worker:
        job_beat(job_id=job_id)
    with _beating(job_id):
        yield
    if in_worker:
        job_beat(job_id=job_id)


def _lost_message(job: Job) -> str:
    """Why the job is lost: its last beat came at its deadline (the attempt ran out of time and its
    heartbeat stopped there), or earlier (the worker died)."""
    limit = deadline(job.kind)
    slack = 2 * _setting("JOB_HEARTBEAT_SECONDS", 10)
    started, last = job.started_at, job.heartbeat_at
    if started is not None and last is not None and (last - started).total_seconds() >= limit - slack:
        return f"The job ran past its deadline of {limit:.0f} s"
    silent = stale_after(job.kind).total_seconds()
    return f"The worker running this job stopped (no heartbeat for {silent:.0f} s)"


def jobs_watchdog(*, now: Any = None) -> dict[str, list[int]]:
    """Retry the running jobs whose heartbeat stopped (their worker died), or fail them after the last try.

    Runs from beat every ``JOB_WATCHDOG_SECONDS``. A job of a kind without a registered recovery is
    failed at once. Returns the job ids retried and failed.
    """
    now = now or timezone.now()
    max_attempts = int(_setting("JOB_MAX_ATTEMPTS", 3))
    outcome: dict[str, list[int]] = {"retried": [], "failed": []}
    for job in Job.objects.filter(_stale_q(now)).order_by("pk"):
        kind = JOB_KINDS.get(job.kind)
        lost = _lost_message(job)
        with transaction.atomic():
            # Only if it is still stale (a worker may have claimed it since the query).
            taken = Job.objects.filter(
                pk=job.pk, status=Job.Status.RUNNING, heartbeat_at=job.heartbeat_at
            ).update(heartbeat_at=now)
            if not taken:
                continue
            if kind is not None and job.attempts < max_attempts:
                Job.objects.filter(pk=job.pk).update(
                    status=Job.Status.PENDING,
                    message=f"{lost}; retrying (attempt {job.attempts + 1} of {max_attempts}).",
                )
                kind.retry(job)
                outcome["retried"].append(job.pk)
            else:
                message = (
                    f"{lost}, on attempt {job.attempts} of {max_attempts}; "
                    "the job was given up. Start it again."
                )
                if kind is not None:
                    kind.give_up(job, message)
                else:
                    job_fail(job_id=job.pk, message=message)
                outcome["failed"].append(job.pk)
        logger.warning("job watchdog: worker lost", extra={"job_id": job.pk, "kind": job.kind})
    return outcome
