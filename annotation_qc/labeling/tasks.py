"""Celery tasks of the labeling app: they take ids and call services."""

from __future__ import annotations

from celery import shared_task

from annotation_qc.labeling.selectors import projects_with_overdue_leases
from annotation_qc.labeling.services.dispatch import leases_reclaim


@shared_task(name="labeling.leases_sweep")
def leases_sweep() -> int:
    """Return every project's overdue leases to the queue (dispatch also does this lazily)."""
    return sum(leases_reclaim(project_id=pid, force=True) for pid in projects_with_overdue_leases())
