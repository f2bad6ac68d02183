"""Submission of a task's annotation: validate, lint, store, score, all in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from annotation_qc.agreement.tasks import consensus_update
from annotation_qc.benchmarks.services.scoring import benchmark_outcome_record
from annotation_qc.core.exceptions import Conflict, NotFound, ServiceError
from annotation_qc.core.queue import enqueue_on_commit
from annotation_qc.domain.payloads import PayloadError, validate_payload
from annotation_qc.labeling.models import Annotation, Item, Task
from annotation_qc.linting.services import findings_check_and_store, lint_payload
from annotation_qc.projects.models import Project


def payload_clean(*, task: Task, payload: Any) -> dict[str, Any]:
    """The validated payload for this task's project and item, or a 400 naming the bad fields."""
    return validated_for_item(project=task.project, item=task.item, payload=payload)


def validated_for_item(*, project: Project, item: Item, payload: Any) -> dict[str, Any]:
    try:
        return validate_payload(
            payload,
            kind=project.payload_kind,
            labels=project.labels,
            width=item.width,
            height=item.height,
            max_boxes=project.max_boxes,
        )
    except PayloadError as exc:
        errors = {f"payload.{path}".rstrip("."): messages for path, messages in exc.errors.items()}
        raise ServiceError(f"Invalid annotation: {exc}", errors=errors) from exc


def _retake_expired_slot(task: Task) -> None:
    """An annotator submitting after their lease ran out keeps the work if the slot is still free."""
    if task.kind == Task.Kind.BENCHMARK:
        return
    taken = Item.objects.filter(pk=task.item_id, open_slots__gt=0).update(open_slots=F("open_slots") - 1)
    if not taken:
        raise Conflict("Your lease on this task expired and the item was given to another annotator.")


def annotation_submit(
    *, task_id: int, annotator_id: int, payload: Any, client_time_ms: int | None, now: datetime | None = None
) -> tuple[Annotation, list[dict[str, Any]]]:
    """Store the annotation for the annotator's task; returns it with its stored (warning) findings.

    The task row is locked for the whole submission, so a second submit of the same task
    (even at the same moment) waits and then gets a 409; nothing is half-written.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            locked = (
                Task.objects.select_for_update(of=("self",))
                .select_related("project", "item")
                .filter(pk=task_id, annotator_id=annotator_id)
                .first()
            )
            if locked is None:
                raise NotFound("No such task.")
            if locked.status == Task.Status.SUBMITTED:
                raise Conflict("This task was already submitted; the first submission stands.")
            if locked.status == Task.Status.SKIPPED:
                raise Conflict("This task was skipped and can no longer be submitted.")
            clean = payload_clean(task=locked, payload=payload)
            if locked.status == Task.Status.EXPIRED:
                _retake_expired_slot(locked)
            server_time_ms = max(0, int((now - locked.served_at).total_seconds() * 1000))
            annotation = Annotation.objects.create(
                task=locked,
                project_id=locked.project_id,
                item_id=locked.item_id,
                annotator_id=locked.annotator_id,
                payload=clean,
                client_time_ms=client_time_ms,
                server_time_ms=server_time_ms,
                is_benchmark=locked.kind == Task.Kind.BENCHMARK,
                submitted_at=now,
            )
            Task.objects.filter(pk=locked.pk).update(status=Task.Status.SUBMITTED, finished_at=now)
            lint_findings = lint_payload(
                project=locked.project, item=locked.item, payload=clean, time_spent_ms=client_time_ms
            )
            findings = findings_check_and_store(annotation=annotation, findings=lint_findings, now=now)
            if locked.kind == Task.Kind.BENCHMARK:
                benchmark_outcome_record(task_id=locked.pk, project=locked.project, payload=clean, now=now)
            else:
                if locked.item.required_annotations >= 2:
                    enqueue_on_commit(consensus_update, locked.item_id, locked.item.required_annotations)
                from annotation_qc.review.services.reviews import review_sample_on_submit

                review_sample_on_submit(annotation=annotation, findings=findings, now=now)
    except IntegrityError as exc:
        raise Conflict("This task was already submitted; the first submission stands.") from exc
    return annotation, findings
