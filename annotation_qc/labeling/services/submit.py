"""Submission steps of the labeling app: find and lock the task, validate, store.

The order of the steps, linting, scoring and what follows a submission live in
``annotation_qc.workflow.submit_pipeline``, above this app.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import F

from annotation_qc.core.exceptions import Conflict, NotFound, ServiceError
from annotation_qc.domain.payloads import PayloadError, validate_payload
from annotation_qc.labeling.models import Annotation, Item, Task
from annotation_qc.projects.models import Project


def payload_clean(*, task: Task, payload: Any) -> dict[str, Any]:
    """The validated payload for this task's project and item, or a 400 naming the bad fields."""
    return validated_for_item(project=task.project, item=task.item, payload=payload)


def validated_for_item(
    *, project: Project, item: Item, payload: Any, allow_retired: bool = False
) -> dict[str, Any]:
    """The validated payload or a 400 naming the fields; a new answer may not use a retired label
    (``allow_retired`` for one that was stored before the label was retired)."""
    try:
        return validate_payload(
            payload,
            kind=project.payload_kind,
            labels=project.labels,
            width=item.width,
            height=item.height,
            max_boxes=project.max_boxes,
            retired=() if allow_retired else project.retired_labels,
        )
    except PayloadError as exc:
        errors = {f"payload.{path}".rstrip("."): messages for path, messages in exc.errors.items()}
        raise ServiceError(f"Invalid annotation: {exc}", errors=errors) from exc


def task_lookup_filter(task_id: int | str) -> dict[str, Any]:
    """Annotators name a task by its public id (a string); services and managers may use the pk."""
    return {"public_id": task_id} if isinstance(task_id, str) else {"pk": task_id}


def task_lock_for_submit(*, task_id: int | str, annotator_id: int) -> Task:
    """The annotator's task, locked for the submission; 404 for anyone else's, 409 once finished.

    The lock makes a second submit of the same task (even at the same moment) wait and then get
    a 409; nothing is half-written.
    """
    locked = (
        Task.objects.select_for_update(of=("self",))
        .select_related("project", "item")
        .filter(annotator_id=annotator_id, **task_lookup_filter(task_id))
        .first()
    )
    if locked is None:
        raise NotFound("No such task.")
    if locked.status == Task.Status.SUBMITTED:
        raise Conflict("This task was already submitted; the first submission stands.")
    if locked.status == Task.Status.SKIPPED:
        raise Conflict("This task was skipped and can no longer be submitted.")
    return locked


def expired_slot_retake(task: Task) -> None:
    """An annotator submitting after their lease ran out keeps the work if the slot is still free.

    The same statement for every kind of task (a benchmark holds no slot: it takes 0).
    """
    take = 1 if task.kind == Task.Kind.REGULAR else 0
    taken = Item.objects.filter(pk=task.item_id, open_slots__gte=take).update(
        open_slots=F("open_slots") - take
    )
    if not taken:
        raise Conflict("Your lease on this task expired and the item was given to another annotator.")


def annotation_store(
    *, task: Task, payload: dict[str, Any], client_time_ms: int | None, now: datetime
) -> Annotation:
    """Store the validated answer and mark the task submitted (inside the caller's transaction)."""
    if task.status == Task.Status.EXPIRED:
        expired_slot_retake(task)
    server_time_ms = max(0, int((now - task.served_at).total_seconds() * 1000))
    annotation = Annotation.objects.create(
        task=task,
        project_id=task.project_id,
        item_id=task.item_id,
        annotator_id=task.annotator_id,
        payload=payload,
        client_time_ms=client_time_ms,
        server_time_ms=server_time_ms,
        is_benchmark=task.kind == Task.Kind.BENCHMARK,
        submitted_at=now,
    )
    Task.objects.filter(pk=task.pk).update(status=Task.Status.SUBMITTED, finished_at=now)
    return annotation
