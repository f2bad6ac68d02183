"""Task dispatch: the annotator's open task first, then the highest-priority open item.

On PostgreSQL the candidate item row is taken with ``FOR UPDATE SKIP LOCKED`` so concurrent
annotators never contend for one slot; on SQLite the connection opens its transactions with
``BEGIN IMMEDIATE`` (see settings), which serialises writers.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache, caches
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from annotation_qc.core.cache import redis_answering
from annotation_qc.core.rows import ModelColumns
from annotation_qc.core.tokens import public_token
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
    if not force and not _reclaim_turn(project_id):
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


#: Shared cache only: per project, until when (``time.monotonic()``) this process does not ask again.
_reclaim_asked: dict[int, float] = {}


def _reclaim_turn(project_id: int) -> bool:
    """Whether this call sweeps the project's leases: the first call of each interval, through the cache.

    With the shared Redis cache a process that has asked (won or lost) does not ask again for one
    interval, so most calls skip the round trip; a lease then waits at most two intervals past its
    end instead of one (and none when the queue looks empty: that sweep is forced).
    """
    shared = redis_answering(caches["default"])
    if shared and time.monotonic() < _reclaim_asked.get(project_id, 0.0):
        return False
    turn = bool(cache.add(f"aqc:reclaim:{project_id}", 1, RECLAIM_INTERVAL_SECONDS))
    if shared:
        _reclaim_asked[project_id] = time.monotonic() + RECLAIM_INTERVAL_SECONDS
    return turn


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


def take_slot_sql(vendor: str, priority_column: str = "priority") -> str:
    """One statement takes the best open slot for an annotator; returns the item's id.

    The slot is decremented by the second parameter: 1 to take it, 0 only to find and lock the
    candidate (a benchmark is served only when a regular task would be, and with the same statement).
    PostgreSQL locks the candidate row with SKIP LOCKED, so concurrent annotators pass over each
    other's candidates instead of queueing on them; SQLite has no row locks and is serialised by
    its ``BEGIN IMMEDIATE`` transactions. The candidate scan follows the partial index
    ``item_queue_idx`` or ``item_queue_b_idx`` (open items by the project's live priority column).
    """
    item, task = Item._meta.db_table, Task._meta.db_table
    lock = "FOR UPDATE SKIP LOCKED" if vendor == "postgresql" else ""
    return f"""
        UPDATE {item} SET open_slots = open_slots - %s
        WHERE id = (
            SELECT candidate.id FROM {item} AS candidate
            WHERE candidate.project_id = %s AND candidate.open_slots > 0
              AND NOT EXISTS (SELECT 1 FROM {task} AS seen
                              WHERE seen.item_id = candidate.id AND seen.annotator_id = %s)
            ORDER BY candidate.{priority_column} DESC, candidate.id ASC
            LIMIT 1 {lock}
        )
        RETURNING id
    """


#: The item fields a served task needs (the rest stay deferred), in the model's field order.
ITEM_FIELDS = ["id", "public_id", "image_token", "image", "image_url", "width", "height"]


def slot_take(*, project: Project, annotator_id: int, take: bool = True) -> int | None:
    """The id of the best open item for this annotator, taking one of its slots if ``take``.

    With ``take=False`` the candidate is found and locked but keeps its slot: the caller serves
    something else (a benchmark) exactly when this would have served work.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            take_slot_sql(connection.vendor, project.priority_field),
            [1 if take else 0, project.pk, annotator_id],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def item_from_row(*, project: Project, row: Any) -> tuple[Item, Any]:
    """An item (:data:`ITEM_FIELDS`, the rest deferred) and the JSON payload that follows them in ``row``."""
    *fields, payload = row
    # A model instance with the other fields deferred (loaded on access, like ``.only()``); from_db
    # takes the values in the model's field order.
    item = Item.from_db(connection.alias, ITEM_FIELDS, list(fields))
    item.project = project
    if isinstance(payload, str):  # SQLite hands JSON back as text
        payload = json.loads(payload)
    return item, payload


#: An open task is read with the item fields the annotator's view of it uses, and no others: what else
#: an item holds (metadata, features, priorities; gold items and work items differ there) is not read,
#: so answering a reload costs the same for every task.
_TASK = ModelColumns(Task)
_ITEM = ModelColumns(Item, ITEM_FIELDS)
_OPEN_TASK_SQL = (
    f"SELECT {_TASK.select('t')}, {_ITEM.select('i')} "
    f"FROM {Task._meta.db_table} AS t JOIN {Item._meta.db_table} AS i ON i.id = t.item_id "
    "WHERE t.project_id = %s AND t.annotator_id = %s AND t.status = %s ORDER BY t.id LIMIT 1"
)


#: For a statement of the dispatch pipeline that reads an open task beside other rows: the columns
#: (task ``t`` and item ``i``); :func:`open_task_from_row` builds the task from them.
OPEN_TASK_COLUMNS = f"{_TASK.select('t')}, {_ITEM.select('i')}"


def open_task_from_row(*, project: Project, row: Any, start: int = 0) -> Task | None:
    """The open task read with :data:`OPEN_TASK_COLUMNS` at ``row[start:]`` (None: all NULL)."""
    if row[start] is None:
        return None
    task: Task = _TASK.build(row, start, connection.alias)
    task.item = _ITEM.build(row, start + _TASK.width, connection.alias)
    task.project = project
    return task


def task_open(*, project: Project, annotator_id: int) -> Task | None:
    """The annotator's open (assigned) task in the project, if any (one precompiled statement)."""
    with connection.cursor() as cursor:
        cursor.execute(_OPEN_TASK_SQL, [project.pk, annotator_id, Task.Status.ASSIGNED])
        row = cursor.fetchone()
    return None if row is None else open_task_from_row(project=project, row=row)


#: A new task's columns (all but its id) and the statement that inserts one, returning its id.
_NEW_TASK = ModelColumns(Task, [f.attname for f in Task._meta.concrete_fields if not f.primary_key])
TASK_INSERT_SQL = (
    f"INSERT INTO {Task._meta.db_table} ({_NEW_TASK.columns()}) "
    f"VALUES ({', '.join(['%s'] * _NEW_TASK.width)}) RETURNING id"
)


def task_new(
    *,
    project: Project,
    annotator_id: int,
    item: Item,
    pre_annotation: Any,
    kind: str,
    now: datetime,
    ordinal: int = 0,
    secret_version: int = 0,
) -> tuple[list[Any], list[Any]]:
    """A new task's values (in :data:`TASK_INSERT_SQL`'s column order) and their write parameters.

    The dispatch pipeline inserts them (with :data:`TASK_INSERT_SQL`, or in a statement of its own)
    and builds the task with :func:`task_made`.
    """
    by_column = {
        "project_id": project.pk,
        "item_id": item.pk,
        "annotator_id": annotator_id,
        "public_id": public_token(),
        "kind": kind,
        "ordinal": ordinal,
        "secret_version": secret_version,
        "pre_annotation": pre_annotation,
        "status": Task.Status.ASSIGNED,
        "served_at": now,
        "lease_expires_at": now + timedelta(seconds=project.lease_seconds),
        "finished_at": None,
        "skip_reason": "",
    }
    # A column added to Task and not given here fails loudly (KeyError), not silently out of place.
    values = [by_column[name] for name in _NEW_TASK.attnames]
    return values, _NEW_TASK.params(values, connection.alias)


def task_made(*, pk: int, values: list[Any], project: Project, item: Item) -> Task:
    """The task just inserted with ``values`` (from :func:`task_new`) under id ``pk``."""
    task: Task = _TASK.made([pk, *values], connection.alias)
    task.project = project
    task.item = item
    return task


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
    # The same statement for every kind of task (a benchmark holds no slot: it gives back 0).
    back = 1 if locked.kind == Task.Kind.REGULAR else 0
    Item.objects.filter(pk=locked.item_id).update(open_slots=F("open_slots") + back)
    return locked
