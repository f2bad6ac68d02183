"""Celery tasks for review and label-error detection: they take ids and call services."""

from __future__ import annotations

from celery import shared_task

from annotation_qc.review.services import label_errors, reviews


@shared_task(name="review.label_errors", acks_late=True)
def label_errors_detect(run_id: int) -> None:
    try:
        label_errors.label_errors_detect(run_id=run_id)
    except Exception as exc:
        label_errors.label_errors_fail(run_id=run_id, message=f"{exc.__class__.__name__}: {exc}")
        raise


@shared_task(name="review.label_errors_due")
def label_errors_due() -> int:
    """Beat: detection for projects whose labeling finished since their last run."""
    return len(label_errors.label_errors_due_projects())


@shared_task(name="review.sweep")
def reviews_sweep() -> int:
    """Beat: low-agreement items and top label-error suspects enter review, project by project."""
    from annotation_qc.projects.models import Project

    project_ids = reviews.projects_with_review_on()
    return sum(reviews.reviews_sweep(project=Project.objects.get(pk=pk)) for pk in project_ids)
