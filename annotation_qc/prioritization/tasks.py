"""Celery tasks for prioritisation: they take ids and call services.

``prioritize_run`` trains once, then fans the scoring out as a chord over item id ranges, so
several workers (on several machines) share a big project; the chord's callback activates the
run. Tasks are acknowledged late: a chunk whose worker dies is redelivered and rewrites its rows.
"""

from __future__ import annotations

import logging

from celery import chord, group, shared_task

from annotation_qc.prioritization.services import runs, triggers

logger = logging.getLogger(__name__)


@shared_task(name="prioritization.run", acks_late=True)
def prioritize_run(run_id: int) -> None:
    try:
        ranges = runs.prioritize_prepare(run_id=run_id)
    except Exception as exc:
        runs.prioritize_fail(run_id=run_id, message=f"{exc.__class__.__name__}: {exc}")
        raise
    if not ranges:
        prioritize_activate.delay(run_id)
        return
    chunks = group(prioritize_chunk.si(run_id, lo, hi) for lo, hi in ranges)
    chord(chunks)(prioritize_activate.si(run_id).on_error(prioritize_failed.si(run_id)))


@shared_task(name="prioritization.chunk", acks_late=True)
def prioritize_chunk(run_id: int, lo: int, hi: int) -> int:
    """One id range. A killed worker's chunk is redelivered (acks late); an error fails the run."""
    try:
        return runs.prioritize_score_chunk(run_id=run_id, lo=lo, hi=hi)
    except Exception as exc:
        runs.prioritize_fail(
            run_id=run_id, message=f"items [{lo}, {hi}) failed: {exc.__class__.__name__}: {exc}"
        )
        raise


@shared_task(name="prioritization.activate", acks_late=True)
def prioritize_activate(run_id: int) -> None:
    runs.prioritize_activate(run_id=run_id)


@shared_task(name="prioritization.failed")
def prioritize_failed(run_id: int) -> None:
    runs.prioritize_fail(
        run_id=run_id, message="a scoring chunk failed; the previous queue order stays active"
    )


@shared_task(name="prioritization.schedule")
def prioritize_schedule() -> int:
    """Beat: start runs for projects with enough new labels since their last run."""
    return triggers.prioritize_due_projects()
