"""Going back to one's own recent answers: the same for every task (no branch on its kind), a version kept."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from annotation_qc.core.exceptions import Conflict, NotFound
from annotation_qc.drafts.models import AnnotationRevision
from annotation_qc.labeling.models import Annotation, Task
from annotation_qc.labeling.selectors import task_image_url
from annotation_qc.labeling.services.submit import task_lookup_filter
from annotation_qc.projects.models import Project

RECENT = 10


def editable_until(*, annotation: Annotation, project: Project) -> datetime | None:
    if project.edit_window_seconds == 0:
        return None
    return annotation.submitted_at + timedelta(seconds=project.edit_window_seconds)


def recent_answers(*, project: Project, annotator_id: int) -> list[dict[str, Any]]:
    """The annotator's last answers in the project, newest first, each as the task looked plus the answer."""
    answers = list(
        Annotation.objects.filter(project=project, annotator_id=annotator_id)
        .select_related("item", "task")
        .order_by("-submitted_at", "-pk")[:RECENT]
    )
    now = timezone.now()
    rows = []
    for a in answers:
        until = editable_until(annotation=a, project=project)
        rows.append(
            {
                "task_id": a.task.public_id,
                "kind": project.kind,
                "labels": project.labels,
                "item": {
                    "id": a.item.public_id,
                    "image_url": task_image_url(a.item),
                    "width": a.item.width,
                    "height": a.item.height,
                },
                "payload": a.payload,
                "submitted_at": a.submitted_at,
                "editable_until": until,
                "editable": until is not None and now < until,
            }
        )
    return rows


def answer_lock_for_revision(*, task_id: int | str, annotator_id: int) -> tuple[Task, Annotation]:
    """The annotator's task and its answer, locked; 404 for anyone else's, 409 after the edit window.

    The same statements for every kind of task (inside the caller's transaction).
    """
    task = (
        Task.objects.select_related("project", "item")
        .filter(annotator_id=annotator_id, **task_lookup_filter(task_id))
        .first()
    )
    annotation = (
        Annotation.objects.select_for_update().filter(task_id=task.pk, annotator_id=annotator_id).first()
        if task is not None
        else None
    )
    if task is None or annotation is None:
        raise NotFound("No such answer.")
    until = editable_until(annotation=annotation, project=task.project)
    if until is None or timezone.now() >= until:
        raise Conflict(
            "This answer can no longer be changed.", errors={"task": ["the project's edit window has passed"]}
        )
    return task, annotation


def revision_store(*, annotation: Annotation, payload: dict[str, Any], client_time_ms: int | None) -> int:
    """Keep the answer's current version as a numbered revision and store the new payload; the version
    count after it (inside the caller's transaction)."""
    number = annotation.revisions.count() + 1
    AnnotationRevision.objects.create(
        annotation=annotation,
        number=number,
        payload=annotation.payload,
        client_time_ms=annotation.client_time_ms,
    )
    annotation.payload = payload
    if client_time_ms is not None:
        annotation.client_time_ms = (annotation.client_time_ms or 0) + client_time_ms
    annotation.save(update_fields=["payload", "client_time_ms"])
    return number + 1
