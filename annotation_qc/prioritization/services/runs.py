"""The life of a priority run: start, prepare (train), score chunks, activate (or fail).

The items carry two priority columns; the project's ``priority_slot`` names the live one. A run
writes its scores into the other (standby) column, chunk by chunk, and activates by flipping the
slot: one row updated in one short transaction, however many items. Until then the live order is
untouched, so a crashed or killed run leaves it in place. One run at a time may write the standby
column (a second start answers 409 with the running job), and a run that is no longer the
project's newest, or no longer running (failed, superseded), neither writes nor activates, even
when Celery redelivers its chunks (acks late) after a newer run started or went live.

Crash safety (``core.jobs``): the run's job is claimed by the task that prepares it, and every chunk
beats for it while it scores. A run whose worker died (no heartbeat) is prepared again by the jobs
watchdog as a new ``attempt``; chunks and activations carry the attempt they belong to, and those of
an earlier one write nothing (checked under the run row's lock, which a new preparation takes), so
the standby column ends up wholly from one attempt. Activation also requires every chunk of its
attempt to be recorded. After ``JOB_MAX_ATTEMPTS`` the run fails with a message and the live order
stays.
"""

from __future__ import annotations

import pickle
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from annotation_qc.core import jobs
from annotation_qc.core.exceptions import Conflict, ServiceError
from annotation_qc.core.models import Job
from annotation_qc.prioritization.models import PriorityChunk, PriorityRun
from annotation_qc.prioritization.services import priorities, scoring
from annotation_qc.prioritization.services.data import item_id_ranges
from annotation_qc.projects.models import Project
from annotation_qc.projects.settings_rules import KNOWN_STRATEGIES

BUSY = (PriorityRun.Status.PENDING, PriorityRun.Status.RUNNING)


class AlreadyRunning(Conflict):
    """A prioritisation is already pending or running for the project (HTTP 409, with its job)."""


def prioritize_start(
    *, project: Project, strategy: str | None, trigger: str, user_id: int | None, diversity_k: int = 0
) -> PriorityRun:
    """Create a run (and its job) and enqueue it once the transaction commits.

    Raises :class:`AlreadyRunning` (409, naming the running job) while another run of the project
    is pending or running: the project row is locked for the check, and a partial unique index
    backs it, so two starts at once make one run.
    """
    from annotation_qc.core.queue import BROKER_DOWN, enqueue_on_commit
    from annotation_qc.prioritization.tasks import prioritize_run

    strategy = strategy or project.strategy
    if strategy not in KNOWN_STRATEGIES:
        raise ServiceError(
            "Unknown strategy.", errors={"strategy": [f"must be one of {', '.join(KNOWN_STRATEGIES)}"]}
        )
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).values_list("pk").first()
        _raise_if_busy(project.pk)
        job = jobs.job_create(
            kind="prioritize",
            project_id=project.pk,
            created_by_id=user_id,
            params={"strategy": strategy, "trigger": trigger, "diversity_k": diversity_k},
        )
        try:
            with transaction.atomic():
                run = PriorityRun.objects.create(
                    project=project, job=job, strategy=strategy, trigger=trigger, diversity_k=diversity_k
                )
        except IntegrityError:  # a concurrent start won the partial unique index
            _raise_if_busy(project.pk)
            raise
        # A run that never reached the queue fails at once, so it does not hold the project "busy"
        # (the beat trigger starts a new one once the broker is back).
        enqueue_on_commit(
            prioritize_run,
            run.pk,
            on_unavailable=lambda: prioritize_fail(run_id=run.pk, message=BROKER_DOWN),
            options=jobs.task_options("prioritize"),
        )
    return run


def _raise_if_busy(project_id: int) -> None:
    running = (
        PriorityRun.objects.filter(project_id=project_id, status__in=BUSY).values_list("pk", "job_id").first()
    )
    if running is not None:
        raise AlreadyRunning(
            "A prioritisation is already running for this project; poll its job.",
            run_id=running[0],
            job_id=running[1],
        )


def _superseded(run: PriorityRun) -> bool:
    """Whether a newer run of the project exists that did not fail (started, running or live)."""
    return (
        PriorityRun.objects.filter(project_id=run.project_id, pk__gt=run.pk)
        .exclude(status=PriorityRun.Status.FAILED)
        .exists()
    )


def prioritize_retry(job: Job) -> None:
    """The watchdog's retry of a run whose worker died: prepare it again (a new attempt)."""
    from annotation_qc.core.queue import BROKER_DOWN, enqueue_on_commit
    from annotation_qc.prioritization.tasks import prioritize_run

    run_id = PriorityRun.objects.values_list("pk", flat=True).get(job_id=job.pk)
    enqueue_on_commit(
        prioritize_run,
        run_id,
        on_unavailable=lambda: prioritize_fail(run_id=run_id, message=BROKER_DOWN),
        options=jobs.task_options("prioritize"),
    )


def prioritize_give_up(job: Job, message: str) -> None:
    run_id = PriorityRun.objects.values_list("pk", flat=True).get(job_id=job.pk)
    prioritize_fail(run_id=run_id, message=message)


def prioritize_prepare(*, run_id: int) -> tuple[int, list[tuple[int, int]]] | None:
    """Train what the strategy needs, record the model version; return the attempt and the chunk id
    ranges. None for a run that is no longer pending or running, or whose job another live worker
    prepares: a redelivered start does nothing."""
    run = PriorityRun.objects.select_related("project").get(pk=run_id)
    if run.status not in BUSY:
        return None
    if _superseded(run):
        _supersede(run)
        return None
    with jobs.job_running(job_id=run.job_id) as mine:
        if not mine:
            return None
        return _prepare(run)


def _prepare(run: PriorityRun) -> tuple[int, list[tuple[int, int]]] | None:
    project = run.project
    ranges = item_id_ranges(project=project)
    plan = scoring.plan(project=project, strategy=run.strategy)
    run.status = PriorityRun.Status.RUNNING
    run.used_strategy = plan.used_strategy
    run.prediction_versions = list(plan.versions)
    run.model_version = plan.model_version
    run.labels_used = plan.labels_used
    run.fallback_reason = plan.fallback_reason
    run.committee = pickle.dumps(plan.committee) if plan.committee is not None else None
    with transaction.atomic():
        updated = PriorityRun.objects.filter(pk=run.pk, status__in=BUSY).update(
            attempt=F("attempt") + 1,
            status=run.status,
            used_strategy=run.used_strategy,
            prediction_versions=run.prediction_versions,
            model_version=run.model_version,
            labels_used=run.labels_used,
            fallback_reason=run.fallback_reason,
            committee=run.committee,
        )
        if not updated:  # failed meanwhile
            return None
        attempt = PriorityRun.objects.values_list("attempt", flat=True).get(pk=run.pk)
        PriorityChunk.objects.filter(run=run).delete()  # a rerun starts its progress afresh
        jobs.job_start(job_id=run.job_id, total=len(ranges))
    return attempt, ranges


def _current(run_status: str, run_attempt: int, attempt: int | None) -> bool:
    """Whether a part of attempt ``attempt`` may still write (None: sent before runs had attempts)."""
    return run_status == PriorityRun.Status.RUNNING and (attempt is None or attempt == run_attempt)


def prioritize_score_chunk(*, run_id: int, lo: int, hi: int, attempt: int | None = None) -> int:
    """Score the open items with ids in [lo, hi) into the standby column (idempotent).

    Written only while the run is running, the project's newest and at ``attempt``; the run row is
    share-locked meanwhile, so a failure, an activation or a new attempt waits for the chunk's
    commit, and a redelivered chunk of a failed, superseded or earlier attempt writes nothing.
    """
    run = PriorityRun.objects.select_related("project").get(pk=run_id)
    if not _current(run.status, run.attempt, attempt) or _superseded(run):
        return 0
    with jobs.job_working(job_id=run.job_id):
        return _score_chunk(run, lo, hi, attempt)


def _score_chunk(run: PriorityRun, lo: int, hi: int, attempt: int | None) -> int:
    run_id = run.pk
    committee = pickle.loads(run.committee) if run.committee else None
    item_ids, scores = scoring.score_range(project=run.project, run=run, committee=committee, lo=lo, hi=hi)
    with transaction.atomic():
        locked = (
            PriorityRun.objects.select_for_update(**_share())
            .filter(pk=run_id)
            .values_list("status", "attempt")
            .first()
        )
        if locked is None or not _current(locked[0], locked[1], attempt) or _superseded(run):
            return 0
        project = Project.objects.only("priority_slot").get(pk=run.project_id)
        priorities.write_priorities(project.standby_priority_field, item_ids, scores)
        if _chunk_done(run.pk, lo, len(item_ids)):
            jobs.job_advance(job_id=run.job_id, by=1)
    return len(item_ids)


def _share() -> dict[str, Any]:
    """``FOR SHARE`` where the database has row locks (PostgreSQL); SQLite serialises writers."""
    return {"of": ("self",)} if connection.vendor == "postgresql" else {}


def _chunk_done(run_id: int, lo: int, items: int) -> bool:
    """Record the chunk; False when it was already recorded (a redelivery, which updates its count)."""
    table = PriorityChunk._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (run_id, lo, items) VALUES (%s, %s, %s) "
            "ON CONFLICT (run_id, lo) DO NOTHING",
            [run_id, lo, items],
        )
        if cursor.rowcount == 1:
            return True
    PriorityChunk.objects.filter(run_id=run_id, lo=lo).update(items=items)
    return False


def prioritize_activate(*, run_id: int, attempt: int | None = None) -> None:
    """Make the run's order live by flipping the project's priority slot (O(1) in the items).

    A run that is not running (failed, or already activated by a redelivered callback), or that
    was prepared again since ``attempt``, leaves the queue alone; one with a newer run started or
    live is marked superseded instead. A run missing a chunk of its attempt fails (never a mix).
    """
    # The job's total (the attempt's chunk count) is set with the attempt, so read with it.
    run = PriorityRun.objects.select_related("project", "job").get(pk=run_id)
    if not _current(run.status, run.attempt, attempt):
        return
    with jobs.job_working(job_id=run.job_id):
        if run.diversity_k and not _superseded(run):
            scoring.boost_diverse_batch(run=run)
        _activate(run, attempt)
    PriorityChunk.objects.filter(run_id=run_id).delete()


def _activate(run: PriorityRun, attempt: int | None) -> None:
    run_id = run.pk
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=run.project_id)
        locked = PriorityRun.objects.select_for_update().get(pk=run_id)
        if not _current(locked.status, locked.attempt, attempt):
            return
        if _superseded(locked):
            _supersede(locked)
            return
        expected = run.job.total
        chunks = PriorityChunk.objects.filter(run_id=run_id)
        written = chunks.count()
        if written < expected:
            _fail(locked, f"only {written} of {expected} chunks were scored; the previous order stays")
            return
        PriorityRun.objects.filter(project=project, status=PriorityRun.Status.ACTIVE).update(
            status=PriorityRun.Status.SUPERSEDED
        )
        Project.objects.filter(pk=project.pk).update(priority_slot=1 - project.priority_slot)
        now = timezone.now()
        PriorityRun.objects.filter(pk=run_id).update(status=PriorityRun.Status.ACTIVE, activated_at=now)
        result: dict[str, Any] = {
            "items_scored": chunks.aggregate(n=Sum("items"))["n"] or 0,
            "chunks": written,
            "model_version": run.model_version,
            "model_versions": list(run.prediction_versions),
            "labels_used": run.labels_used,
        }
        if run.fallback_reason:
            result["fallback_reason"] = run.fallback_reason
        jobs.job_finish(job_id=run.job_id, result=result, message=run.fallback_reason)


def _supersede(run: PriorityRun) -> None:
    PriorityRun.objects.filter(pk=run.pk, status__in=[*BUSY]).update(status=PriorityRun.Status.SUPERSEDED)
    jobs.job_fail(job_id=run.job_id, message="superseded by a newer prioritisation; not activated")


def prioritize_fail(*, run_id: int, message: str, attempt: int | None = None) -> None:
    """Fail a pending or running run (the live order stays); a live or finished run is left alone, and
    so is a run prepared again since ``attempt`` (an error of an earlier attempt's part)."""
    with transaction.atomic():
        run = PriorityRun.objects.select_for_update().get(pk=run_id)
        if run.status not in BUSY or (attempt is not None and attempt != run.attempt):
            return
        _fail(run, message)


def _fail(run: PriorityRun, message: str) -> None:
    PriorityRun.objects.filter(pk=run.pk).update(status=PriorityRun.Status.FAILED)
    PriorityChunk.objects.filter(run_id=run.pk).delete()
    jobs.job_fail(job_id=run.job_id, message=message)
