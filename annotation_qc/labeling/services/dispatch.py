"""Task dispatch: the annotator's open task first, then the highest-priority open item.

On PostgreSQL the candidate item row is taken with ``FOR UPDATE SKIP LOCKED`` so concurrent
annotators never contend for one slot; on SQLite the connection opens its transactions with
``BEGIN IMMEDIATE`` (see settings), which serialises writers.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from annotation_qc.labeling.models import Item, Prediction, Task
from annotation_qc.projects.models import Project

RECLAIM_BATCH = 500


def leases_reclaim(*, project_id: int, now: datetime | None = None) -> int:
    """Expire the project's overdue leases and give their slots back to the queue."""
    now = now or timezone.now()
    with transaction.atomic():
        overdue = list(
            Task.objects.select_for_update(skip_locked=True)
            .filter(project_id=project_id, status=Task.Status.ASSIGNED, lease_expires_at__lt=now)
            .values_list("pk", "item_id", "kind")[:RECLAIM_BATCH]
        )
        if not overdue:
            return 0
        Task.objects.filter(pk__in=[pk for pk, _, _ in overdue]).update(
            status=Task.Status.EXPIRED, finished_at=now
        )
        slots_back(item_ids=[item_id for _, item_id, kind in overdue if kind == Task.Kind.REGULAR])
        return len(overdue)


def slots_back(*, item_ids: list[int]) -> None:
    """Return one slot per occurrence of an item id (an id twice gives two slots back)."""
    by_count: dict[int, list[int]] = {}
    for item_id, count in Counter(item_ids).items():
        by_count.setdefault(count, []).append(item_id)
    for count, ids in by_count.items():
        Item.objects.filter(pk__in=ids).update(open_slots=F("open_slots") + count)


def _latest_prediction_payload(item_id: int) -> dict[str, Any] | None:
    return (
        Prediction.objects.filter(item_id=item_id)
        .order_by("-created_at", "-pk")
        .values_list("payload", flat=True)
        .first()
    )


def _take_regular_slot(*, project: Project, annotator_id: int) -> int | None:
    """Lock and decrement the best open item for this annotator; return its id."""
    done_by_annotator = Task.objects.filter(item_id=OuterRef("pk"), annotator_id=annotator_id)
    candidate = (
        Item.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(project_id=project.pk, open_slots__gt=0)
        .exclude(Exists(done_by_annotator))
        .order_by("-priority", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    if candidate is None:
        return None
    Item.objects.filter(pk=candidate).update(open_slots=F("open_slots") - 1)
    return candidate


def task_create(
    *, project: Project, annotator_id: int, item_id: int, pre_annotation: Any, kind: str, now: datetime
) -> Task:
    return Task.objects.create(
        project=project,
        item_id=item_id,
        annotator_id=annotator_id,
        kind=kind,
        pre_annotation=pre_annotation,
        served_at=now,
        lease_expires_at=now + timedelta(seconds=project.lease_seconds),
    )


def task_next(*, project: Project, annotator_id: int, now: datetime | None = None) -> Task | None:
    """The task an annotator should work on now, or None when nothing is left for them."""
    from annotation_qc.labeling.services import hooks

    now = now or timezone.now()
    leases_reclaim(project_id=project.pk, now=now)
    with transaction.atomic():
        open_task = (
            Task.objects.select_related("item")
            .filter(project=project, annotator_id=annotator_id, status=Task.Status.ASSIGNED)
            .first()
        )
        if open_task is not None:
            return open_task
        if not hooks.annotator_may_receive_tasks(project=project, annotator_id=annotator_id):
            return None
        benchmark = hooks.benchmark_task_if_due(project=project, annotator_id=annotator_id, now=now)
        if benchmark is not None:
            return benchmark
        item_id = _take_regular_slot(project=project, annotator_id=annotator_id)
        if item_id is None:
            return None
        task = task_create(
            project=project,
            annotator_id=annotator_id,
            item_id=item_id,
            pre_annotation=_latest_prediction_payload(item_id),
            kind=Task.Kind.REGULAR,
            now=now,
        )
    return Task.objects.select_related("item").get(pk=task.pk)


@transaction.atomic
def task_skip(*, task: Task, reason: str, now: datetime | None = None) -> Task:
    from annotation_qc.core.exceptions import Conflict

    locked = Task.objects.select_for_update().get(pk=task.pk)
    if locked.status != Task.Status.ASSIGNED:
        raise Conflict(f"This task is {locked.status} and can no longer be skipped.")
    locked.status = Task.Status.SKIPPED
    locked.skip_reason = reason
    locked.finished_at = now or timezone.now()
    locked.save(update_fields=["status", "skip_reason", "finished_at"])
    if locked.kind == Task.Kind.REGULAR:
        slots_back(item_ids=[locked.item_id])
    return locked
