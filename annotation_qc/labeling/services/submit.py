"""Submission steps of the labeling app: find and lock the task, validate, store.

The order of the steps, linting, scoring and what follows a submission live in
``annotation_qc.workflow.submit_pipeline``, above this app.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import F

from annotation_qc.core.exceptions import Conflict, NotFound, ServiceError
from annotation_qc.core.rows import ModelColumns
from annotation_qc.domain.payloads import PayloadError, validate_payload
from annotation_qc.labeling.models import Annotation, Item, Task
from annotation_qc.labeling.services.dispatch import ITEM_FIELDS
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


#: The locked task row with its project and the item fields submit uses (the rest deferred).
_TASK = ModelColumns(Task)
_PROJECT = ModelColumns(Project)
_ITEM = ModelColumns(Item, ITEM_FIELDS)


def _lock_sql(vendor: str, by_public_id: bool, beside: tuple[str, ...]) -> str:
    # SQLite has no row locks: its BEGIN IMMEDIATE transactions serialise writers.
    suffix = " FOR UPDATE OF t" if vendor == "postgresql" else ""
    extra = "".join(f", {expression}" for expression in beside)
    return (
        f"SELECT {_TASK.select('t')}, {_PROJECT.select('p')}, {_ITEM.select('i')}{extra} "
        f"FROM {Task._meta.db_table} AS t "
        f"JOIN {Project._meta.db_table} AS p ON p.id = t.project_id "
        f"JOIN {Item._meta.db_table} AS i ON i.id = t.item_id "
        f"WHERE t.annotator_id = %s AND t.{'public_id' if by_public_id else 'id'} = %s{suffix}"
    )


_LOCK_SQL: dict[tuple[str, bool, tuple[str, ...]], str] = {}


def _locked_row(
    *, task_id: int | str, annotator_id: int, beside: tuple[str, ...]
) -> tuple[Task, tuple[Any, ...]] | None:
    key = (connection.vendor, isinstance(task_id, str), beside)
    sql = _LOCK_SQL.get(key)
    if sql is None:
        sql = _LOCK_SQL[key] = _lock_sql(*key)
    with connection.cursor() as cursor:
        cursor.execute(sql, [annotator_id, task_id])
        row = cursor.fetchone()
    if row is None:
        return None
    alias = connection.alias
    task: Task = _TASK.build(row, 0, alias)
    task.project = _PROJECT.build(row, _TASK.width, alias)
    start = _TASK.width + _PROJECT.width
    task.item = _ITEM.build(row, start, alias)
    return task, tuple(row[start + _ITEM.width :])


_ANNOTATOR_TASK_SQL = (
    f"SELECT {_TASK.select('')} FROM {Task._meta.db_table} WHERE public_id = %s AND annotator_id = %s"
)


def annotator_task_read(*, task_id: str, annotator_id: int) -> Task | None:
    """The annotator's task by its public id, its own row only (one precompiled statement), or None;
    its project and item load on access."""
    with connection.cursor() as cursor:
        cursor.execute(_ANNOTATOR_TASK_SQL, [task_id, annotator_id])
        row = cursor.fetchone()
    return None if row is None else _TASK.build(row, 0, connection.alias)


def task_lock_for_submit(
    *, task_id: int | str, annotator_id: int, beside: tuple[str, ...] = ()
) -> tuple[Task, tuple[Any, ...]]:
    """The annotator's task, locked for the submission; 404 for anyone else's, 409 once finished.

    The lock makes a second submit of the same task (even at the same moment) wait and then get
    a 409; nothing is half-written. One precompiled statement reads the task, its project and the
    item's served fields (the rest deferred), and ``beside``: SQL expressions over the task row
    ``t`` whose values come back with the task (the submit pipeline reads the lint profile so).
    """
    found = _locked_row(task_id=task_id, annotator_id=annotator_id, beside=beside)
    if found is None:
        raise NotFound("No such task.")
    locked, values = found
    if locked.status == Task.Status.SUBMITTED:
        raise Conflict("This task was already submitted; the first submission stands.")
    if locked.status == Task.Status.SKIPPED:
        raise Conflict("This task was skipped and can no longer be submitted.")
    return locked, values


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
    values = [
        task.pk,
        task.project_id,
        task.item_id,
        task.annotator_id,
        payload,
        client_time_ms,
        server_time_ms,
        task.kind == Task.Kind.BENCHMARK,
        now,
    ]
    params = _ANNOTATION.params(values, connection.alias)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One round trip: the answer and the task's new status.
            cursor.execute(_STORE_SQL, [*params, Task.Status.SUBMITTED, now, task.pk])
        else:
            cursor.execute(_ANNOTATION_INSERT_SQL, params)
            annotation_id = cursor.fetchone()[0]
            cursor.execute(_TASK_SUBMITTED_SQL, [Task.Status.SUBMITTED, now, task.pk])
            return _annotation(annotation_id, values, task)
        annotation_id = cursor.fetchone()[0]
    return _annotation(annotation_id, values, task)


def _annotation(pk: int, values: list[Any], task: Task) -> Annotation:
    annotation: Annotation = _ANNOTATION_ROW.made([pk, *values], connection.alias)
    annotation.task = task
    return annotation


#: The annotation's columns as written (all but its id), and the statements that write it.
_ANNOTATION = ModelColumns(
    Annotation,
    [
        "task",
        "project",
        "item",
        "annotator",
        "payload",
        "client_time_ms",
        "server_time_ms",
        "is_benchmark",
        "submitted_at",
    ],
)
_ANNOTATION_ROW = ModelColumns(Annotation)
_ANNOTATION_INSERT_SQL = (
    f"INSERT INTO {Annotation._meta.db_table} ({_ANNOTATION.columns()}) "
    f"VALUES ({', '.join(['%s'] * _ANNOTATION.width)}) RETURNING id"
)
_TASK_SUBMITTED_SQL = f"UPDATE {Task._meta.db_table} SET status = %s, finished_at = %s WHERE id = %s"
_STORE_SQL = (
    f"WITH answer AS ({_ANNOTATION_INSERT_SQL}), "
    f"done AS ({_TASK_SUBMITTED_SQL} RETURNING id) "
    "SELECT answer.id FROM answer, done"
)
