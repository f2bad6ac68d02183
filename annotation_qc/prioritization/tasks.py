"""Celery tasks for prioritisation: they take ids and call services.

``prioritize_run`` trains once, then fans the scoring out as a chord over item id ranges, so
several workers (on several machines) share a big project; the chord's callback activates the
run. Tasks are acknowledged late: a chunk whose worker dies is redelivered and rewrites its rows;
before that, the jobs watchdog prepares the run again when its heartbeat stops (see
``services/runs.py``). Every part carries the attempt it belongs to.
"""

from __future__ import annotations

import logging

from celery import chord, group, shared_task

from annotation_qc.core import jobs
from annotation_qc.prioritization.services import runs, triggers

logger = logging.getLogger(__name__)


@shared_task(name="prioritization.run", acks_late=True)
def prioritize_run(run_id: int) -> None:
    try:
        prepared = runs.prioritize_prepare(run_id=run_id)
    except Exception as exc:
        runs.prioritize_fail(run_id=run_id, message=f"{exc.__class__.__name__}: {exc}")
        raise
    if prepared is None:  # not this worker's (claimed by another, finished, failed or superseded)
        return
    attempt, ranges = prepared
    options = jobs.task_options("prioritize")  # each part's hard time limit (see core.jobs.JobKind)
    if not ranges:
        prioritize_activate.apply_async((run_id, attempt), **options)
        return
    chunks = group(prioritize_chunk.si(run_id, lo, hi, attempt).set(**options) for lo, hi in ranges)
    callback = prioritize_activate.si(run_id, attempt).set(**options)
    chord(chunks)(callback.on_error(prioritize_failed.si(run_id, attempt)))


@shared_task(name="prioritization.chunk", acks_late=True)
def prioritize_chunk(run_id: int, lo: int, hi: int, attempt: int | None = None) -> int:
    """One id range of one attempt. A killed worker's chunk is redelivered (acks late) or its run
    prepared again by the watchdog; an error fails the run (if the attempt is still current)."""
    try:
        return runs.prioritize_score_chunk(run_id=run_id, lo=lo, hi=hi, attempt=attempt)
    except Exception as exc:
        runs.prioritize_fail(
            run_id=run_id,
            message=f"items [{lo}, {hi}) failed: {exc.__class__.__name__}: {exc}",
            attempt=attempt,
        )
        raise


@shared_task(name="prioritization.activate", acks_late=True)
def prioritize_activate(run_id: int, attempt: int | None = None) -> None:
    runs.prioritize_activate(run_id=run_id, attempt=attempt)


@shared_task(name="prioritization.failed")
def prioritize_failed(run_id: int, attempt: int | None = None) -> None:
    runs.prioritize_fail(
        run_id=run_id,
        message="a scoring chunk failed; the previous queue order stays active",
        attempt=attempt,
    )


@shared_task(name="prioritization.schedule")
def prioritize_schedule() -> int:
    """Beat: start runs for projects with enough new labels since their last run."""
    return triggers.prioritize_due_projects()
