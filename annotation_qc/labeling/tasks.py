"""Celery tasks of the labeling app: they take ids and call services."""

from __future__ import annotations

from celery import shared_task

from annotation_qc.labeling.selectors import projects_with_overdue_leases
from annotation_qc.labeling.services.dispatch import leases_reclaim
from annotation_qc.labeling.services.previews import items_missing_previews, previews_make


@shared_task(name="labeling.leases_sweep")
def leases_sweep() -> int:
    """Return every project's overdue leases to the queue (dispatch also does this lazily)."""
    return sum(leases_reclaim(project_id=pid, force=True) for pid in projects_with_overdue_leases())


@shared_task(name="labeling.previews_make", acks_late=True)
def previews_make_task(item_ids: list[int]) -> int:
    """Downscaled previews of newly imported very large images."""
    return previews_make(item_ids=item_ids)


@shared_task(name="labeling.previews_sweep")
def previews_sweep() -> int:
    """Beat: previews whose job was lost while the broker was down."""
    return previews_make(item_ids=items_missing_previews())
