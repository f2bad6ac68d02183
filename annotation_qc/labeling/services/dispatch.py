"""Task dispatch: the annotator's open task first, then the highest-priority open item.

On PostgreSQL the candidate item row is taken with ``FOR UPDATE SKIP LOCKED`` so concurrent
annotators never contend for one slot; on SQLite the connection opens its transactions with
``BEGIN IMMEDIATE`` (see settings), which serialises writers.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from annotation_qc.labeling.models import Item, Prediction, Task
from annotation_qc.projects.models import Project

RECLAIM_BATCH = 500
RECLAIM_INTERVAL_SECONDS = 5


def leases_reclaim(*, project_id: int, now: datetime | None = None, force: bool = False) -> int:
    """Expire the project's overdue leases and give their slots back to the queue.

    Dispatch calls this on every request; unless ``force``d it looks at most once every
    ``RECLAIM_INTERVAL_SECONDS`` per project (through the cache), and again whenever the
    queue looks empty. Celery beat also sweeps every project periodically.
    """
    now = now or timezone.now()
    if not force and not cache.add(f"aqc:reclaim:{project_id}", 1, RECLAIM_INTERVAL_SECONDS):
        return 0
    overdue_tasks = Task.objects.filter(
        project_id=project_id, status=Task.Status.ASSIGNED, lease_expires_at__lt=now
    )
    if not overdue_tasks.exists():  # the common case: one probe of the partial lease index
        return 0
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


def latest_prediction_payload(item_id: int) -> dict[str, Any] | None:
    return (
        Prediction.objects.filter(item_id=item_id)
        .order_by("-created_at", "-pk")
        .values_list("payload", flat=True)
        .first()
    )


def _take_slot_sql(vendor: str, priority_column: str = "priority") -> str:
    """One statement takes the best open slot for an annotator; returns the item and its latest prediction.

    PostgreSQL locks the candidate row with SKIP LOCKED, so concurrent annotators pass over each
    other's candidates instead of queueing on them; SQLite has no row locks and is serialised by
    its ``BEGIN IMMEDIATE`` transactions. The candidate scan follows the partial index
    ``item_queue_idx`` or ``item_queue_b_idx`` (open items by the project's live priority column).
    """
    item, task, prediction = Item._meta.db_table, Task._meta.db_table, Prediction._meta.db_table
    lock = "FOR UPDATE SKIP LOCKED" if vendor == "postgresql" else ""
    return f"""
        UPDATE {item} SET open_slots = open_slots - 1
        WHERE id = (
            SELECT candidate.id FROM {item} AS candidate
            WHERE candidate.project_id = %s AND candidate.open_slots > 0
              AND NOT EXISTS (SELECT 1 FROM {task} AS seen
                              WHERE seen.item_id = candidate.id AND seen.annotator_id = %s)
            ORDER BY candidate.{priority_column} DESC, candidate.id ASC
            LIMIT 1 {lock}
        )
        RETURNING id, image, image_url, width, height,
            (SELECT p.payload FROM {prediction} AS p WHERE p.item_id = {item}.id
             ORDER BY p.created_at DESC, p.id DESC LIMIT 1)
    """


def _take_regular_slot(*, project: Project, annotator_id: int) -> tuple[Item, Any] | None:
    """Take one slot of the best open item for this annotator: the item and its pre-annotation."""
    with connection.cursor() as cursor:
        cursor.execute(_take_slot_sql(connection.vendor, project.priority_field), [project.pk, annotator_id])
        row = cursor.fetchone()
    if row is None:
        return None
    item_id, image, image_url, width, height, prediction = row
    # A model instance with the other fields deferred (loaded on access, like ``.only()``); from_db
    # takes the values in the model's field order.
    item = Item.from_db(
        connection.alias,
        ["id", "image", "image_url", "width", "height"],
        [item_id, image, image_url, width, height],
    )
    item.project = project
    if isinstance(prediction, str):  # SQLite hands JSON back as text
        prediction = json.loads(prediction)
    return item, prediction


def task_create(
    *, project: Project, annotator_id: int, item: Item, pre_annotation: Any, kind: str, now: datetime
) -> Task:
    return Task.objects.create(
        project=project,
        item=item,
        annotator_id=annotator_id,
        kind=kind,
        pre_annotation=pre_annotation,
        served_at=now,
        lease_expires_at=now + timedelta(seconds=project.lease_seconds),
    )


def task_next(*, project: Project, annotator_id: int, now: datetime | None = None) -> Task | None:
    """The task an annotator should work on now, or None when nothing is left for them."""
    from annotation_qc.benchmarks.services.dispatch import annotator_may_receive_tasks, benchmark_task_if_due

    now = now or timezone.now()
    leases_reclaim(project_id=project.pk, now=now)
    with transaction.atomic():
        open_task = (
            Task.objects.select_related("item")
            .filter(project=project, annotator_id=annotator_id, status=Task.Status.ASSIGNED)
            .first()
        )
        if open_task is not None:
            open_task.project = project
            return open_task
        if not annotator_may_receive_tasks(project=project, annotator_id=annotator_id):
            return None
        benchmark = benchmark_task_if_due(project=project, annotator_id=annotator_id, now=now)
        if benchmark is not None:
            return benchmark
        taken = _take_regular_slot(project=project, annotator_id=annotator_id)
        if taken is None and leases_reclaim(project_id=project.pk, now=now, force=True):
            taken = _take_regular_slot(project=project, annotator_id=annotator_id)
        if taken is None:
            return None
        item, pre_annotation = taken
        return task_create(
            project=project,
            annotator_id=annotator_id,
            item=item,
            pre_annotation=pre_annotation,
            kind=Task.Kind.REGULAR,
            now=now,
        )


@transaction.atomic
def task_skip(*, task: Task, reason: str, now: datetime | None = None) -> Task:
    from annotation_qc.benchmarks.services.scoring import benchmark_skip_record
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
    benchmark_skip_record(
        task_id=locked.pk,
        project_id=locked.project_id,
        annotator_id=locked.annotator_id,
        now=locked.finished_at,
    )
    return locked
