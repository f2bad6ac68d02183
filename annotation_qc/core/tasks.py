"""Celery tasks of the core app."""

from __future__ import annotations

from celery import shared_task

from annotation_qc.core import jobs


@shared_task(name="core.jobs_watchdog")
def jobs_watchdog() -> dict[str, list[int]]:
    """Retry (or fail, after the last attempt) the jobs whose worker died."""
    return jobs.jobs_watchdog()
