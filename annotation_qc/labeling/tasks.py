"""Celery tasks of the labeling app: they take ids and call services."""

from __future__ import annotations

from celery import shared_task

from annotation_qc.labeling.selectors import projects_with_overdue_leases
from annotation_qc.labeling.services.dispatch import leases_reclaim
from annotation_qc.labeling.services.previews import previews_make, previews_sweep_enqueue


@shared_task(name="labeling.leases_sweep")
def leases_sweep() -> int:
    """Return every project's overdue leases to the queue (dispatch also does this lazily)."""
    return sum(leases_reclaim(project_id=pid, force=True) for pid in projects_with_overdue_leases())


@shared_task(name="labeling.previews_make", acks_late=True)
def previews_make_task(item_ids: list[int]) -> int:
    """Downscaled previews of newly imported very large images (stored here or given by URL)."""
    return previews_make(item_ids=item_ids)


@shared_task(name="labeling.previews_sweep")
def previews_sweep() -> int:
    """Beat: jobs for previews whose job was lost while the broker was down, or whose try failed."""
    return previews_sweep_enqueue()
