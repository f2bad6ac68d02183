"""Dispatch, read top to bottom: serve what was prepared, then prepare the next task off the request.

Serving (:func:`task_next`, on the request) runs the same statements whether it serves work or a
benchmark:

1. lock the annotator's plan row (what their next task is to be, prepared earlier);
2. answer the open task if there is one (a repeated or concurrent call gets the same task);
3. find the best open work item with one statement: it takes a slot for work, and for a
   benchmark only locks it (so a benchmark is served only when work would be: a dry queue
   answers 204 to everyone);
4. insert the task (the work item with its prediction, or the prepared gold item with its
   prepared pre-annotation); the prepared benchmark is bound to its task later, in the worker
   (:func:`benchmarks_bind_served`), so serving a benchmark writes nothing work does not;
5. advance the plan; on commit a worker prepares the next one (:func:`dispatch_prepare`).

Preparing (:func:`dispatch_prepare`, in a worker) decides with the project's keyed generator
whether the annotator's next task is a benchmark, and if so chooses the gold item and seeds its
pre-annotation (``benchmarks.services.dispatch.benchmark_prepare``). When a worker has not run
yet (its queue lags, or on an annotator's very first task) next-task prepares inline first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from annotation_qc.benchmarks.models import BenchmarkTask, GoldAnnotation
from annotation_qc.benchmarks.services.dispatch import (
    annotator_may_receive_tasks,
    benchmark_discard,
    benchmark_prepare,
    project_has_gold,
)
from annotation_qc.core.queue import enqueue_name_on_commit
from annotation_qc.core.rows import ModelColumns
from annotation_qc.domain.benchmark_schedule import benchmark_due_at
from annotation_qc.domain.keyed_random import keyed_uniform
from annotation_qc.labeling.models import Item, Prediction, Task
from annotation_qc.labeling.services.dispatch import (
    ITEM_FIELDS,
    OPEN_TASK_COLUMNS,
    TASK_INSERT_SQL,
    item_from_row,
    leases_reclaim,
    open_task_from_row,
    slot_take,
    take_slot_sql,
    task_made,
    task_new,
    task_open,
)
from annotation_qc.projects.models import Project
from annotation_qc.workflow.models import DispatchPlan
from annotation_qc.workflow.secrets import DispatchVersion, dispatch_version_current

PREPARE_TASK = "workflow.dispatch_prepare"


def task_next(*, project: Project, annotator_id: int, now: datetime | None = None) -> Task | None:
    """The task an annotator should work on now, or None when nothing is left for them.

    Idempotent: any number of concurrent calls by one annotator answer the same open task.
    """
    now = now or timezone.now()
    leases_reclaim(project_id=project.pk, now=now)
    for _ in range(2):
        try:
            return _serve(project, annotator_id, now)
        except IntegrityError:
            # A concurrent call of the same annotator created the plan or the task first.
            task = task_open(project=project, annotator_id=annotator_id)
            if task is not None:
                return task
            _plan_reset(project, annotator_id)
    return None


def _serve(project: Project, annotator_id: int, now: datetime) -> Task | None:
    with transaction.atomic():
        plan, open_task = _plan_and_open_task(project, annotator_id)
        if open_task is not None:
            return open_task
        if not annotator_may_receive_tasks(project=project, annotator_id=annotator_id):
            return None
        if plan.prepared_for != plan.ordinal:  # no worker has prepared it yet
            _prepare(project, plan)
        benchmark_id = plan.benchmark_id
        served = _take_and_read(project, annotator_id, benchmark_id)
        if served is None and leases_reclaim(project_id=project.pk, now=now, force=True):
            served = _take_and_read(project, annotator_id, benchmark_id)
        if served is None:
            return None
        item, pre_annotation = served
        kind = Task.Kind.REGULAR if benchmark_id is None else Task.Kind.BENCHMARK
        task = _task_create_and_advance(
            project=project,
            plan=plan,
            annotator_id=annotator_id,
            item=item,
            pre_annotation=pre_annotation,
            kind=kind,
            now=now,
        )
        enqueue_name_on_commit(PREPARE_TASK, project.pk, annotator_id)
        return task


def _served_sql() -> str:
    """The served item's fields and its pre-annotation, one statement for both kinds: the work item
    with its latest prediction, or the prepared benchmark's gold item with its seeded payload.

    Parameters: the prepared benchmark's id (NULL for work) three times, then the work item's id.
    The item is found by its primary key either way (the sub-select is not correlated); the row has
    the same columns either way and one JSON document to decode, so serving a benchmark builds and
    parses exactly what serving work does.
    """
    return _served_select("%s")


def _served_select(work_item_id: str, source: str = "") -> str:
    item, prediction = Item._meta.db_table, Prediction._meta.db_table
    benchmark, gold = BenchmarkTask._meta.db_table, GoldAnnotation._meta.db_table
    fields = ", ".join(f"i.{name}" for name in ITEM_FIELDS)
    return f"""
        SELECT {fields},
            CASE WHEN %s IS NULL
                 THEN (SELECT p.payload FROM {prediction} AS p WHERE p.item_id = i.id
                       ORDER BY p.created_at DESC, p.id DESC LIMIT 1)
                 ELSE (SELECT b.seeded_payload FROM {benchmark} AS b WHERE b.id = %s) END,
            {work_item_id}
        FROM {source}{item} AS i
        WHERE i.id = COALESCE(
            (SELECT g.item_id FROM {benchmark} AS b JOIN {gold} AS g ON g.id = b.gold_id WHERE b.id = %s),
            {work_item_id}
        )
    """


def _take_and_read_sql(priority_column: str) -> str:
    """PostgreSQL: the slot taken (or only locked) and the served row read in one round trip.

    Parameters: the slot's decrement, the project, the annotator, then the prepared benchmark's id
    (NULL for work) three times. The read sees the statement's snapshot, taken before the slot's
    update: it reads only the item's fixed fields and the pre-annotation, which the update leaves.
    """
    take = take_slot_sql("postgresql", priority_column)
    return f"WITH taken AS ({take}) {_served_select('taken.id', 'taken, ')}"


_TAKE_AND_READ_SQL = {column: _take_and_read_sql(column) for column in ("priority", "priority_b")}


def _take_and_read(project: Project, annotator_id: int, benchmark_id: int | None) -> tuple[Item, Any] | None:
    """Take the best open slot (or, with a benchmark prepared, only lock it) and read what to serve:
    the item and its pre-annotation (see :func:`_served_sql`); None when no slot is open.

    One statement on PostgreSQL, two on SQLite (its ``UPDATE ... RETURNING`` cannot be a CTE); the
    same statements for a benchmark and for work either way.
    """
    take = 1 if benchmark_id is None else 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                _TAKE_AND_READ_SQL[project.priority_field],
                [take, project.pk, annotator_id, benchmark_id, benchmark_id, benchmark_id],
            )
            row = cursor.fetchone()
            if row is None:
                return None
        else:
            taken = slot_take(project=project, annotator_id=annotator_id, take=benchmark_id is None)
            if taken is None:
                return None
            cursor.execute(_served_sql(), [benchmark_id, benchmark_id, taken, benchmark_id, taken])
            row = cursor.fetchone()
    if row is None or (benchmark_id is not None and row[0] == row[-1]):
        # The prepared benchmark vanished under us (its gold was deleted): prepare again.
        raise IntegrityError("the prepared benchmark is gone")
    return item_from_row(project=project, row=row[:-1])


_PLAN = ModelColumns(DispatchPlan)


def _plan_sql(vendor: str) -> str:
    """The annotator's plan row, locked, with their open task (and its item) and whether the plan's
    last task was in the statement's snapshot.

    Parameters: the open status, the project, the annotator. On PostgreSQL a call that waited for the
    lock sees the plan as the other call left it, but not the task that call made (a row lock
    re-reads only the locked row): the plan then names a last task the snapshot does not hold, and
    the open task is read again (:func:`_plan_and_open_task`).
    """
    plan, task, item = DispatchPlan._meta.db_table, Task._meta.db_table, Item._meta.db_table
    lock = " FOR UPDATE OF p" if vendor == "postgresql" else ""  # SQLite: BEGIN IMMEDIATE
    return (
        f"SELECT {_PLAN.select('p')}, lt.id, {OPEN_TASK_COLUMNS} "
        f"FROM {plan} AS p "
        f"LEFT JOIN {task} AS lt ON lt.id = p.last_task_id "
        f"LEFT JOIN {task} AS t ON t.project_id = p.project_id AND t.annotator_id = p.annotator_id "
        "AND t.status = %s "
        f"LEFT JOIN {item} AS i ON i.id = t.item_id "
        f"WHERE p.project_id = %s AND p.annotator_id = %s ORDER BY p.id LIMIT 1{lock}"
    )


_PLAN_SQL = {vendor: _plan_sql(vendor) for vendor in ("postgresql", "sqlite")}
_PLAN_ADVANCE_SQL = f"UPDATE {DispatchPlan._meta.db_table} SET ordinal = %s, last_task_id = %s WHERE id = %s"
#: PostgreSQL: the task inserted and the plan advanced in one round trip.
_INSERT_AND_ADVANCE_SQL = (
    f"WITH made AS ({TASK_INSERT_SQL}) "
    f"UPDATE {DispatchPlan._meta.db_table} AS plan SET ordinal = %s, last_task_id = made.id FROM made "
    "WHERE plan.id = %s RETURNING made.id"
)


def _task_create_and_advance(
    *,
    project: Project,
    plan: DispatchPlan,
    annotator_id: int,
    item: Item,
    pre_annotation: Any,
    kind: str,
    now: datetime,
) -> Task:
    """Insert the served task and move the plan to the next ordinal (one statement on PostgreSQL)."""
    values, params = task_new(
        project=project,
        annotator_id=annotator_id,
        item=item,
        pre_annotation=pre_annotation,
        kind=kind,
        now=now,
        ordinal=plan.ordinal,
        secret_version=plan.secret_version,
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_INSERT_AND_ADVANCE_SQL, [*params, plan.ordinal + 1, plan.pk])
            row = cursor.fetchone()
            if row is None:  # the plan row is locked by this transaction: it cannot have gone
                raise IntegrityError("the dispatch plan is gone")
            task_id = row[0]
        else:  # SQLite cannot put an INSERT in a CTE
            cursor.execute(TASK_INSERT_SQL, params)
            task_id = cursor.fetchone()[0]
            cursor.execute(_PLAN_ADVANCE_SQL, [plan.ordinal + 1, task_id, plan.pk])
    return task_made(pk=task_id, values=values, project=project, item=item)


def _plan_and_open_task(project: Project, annotator_id: int) -> tuple[DispatchPlan, Task | None]:
    """The annotator's plan row, locked (serialising their concurrent calls; made on first use), and
    their open task if any, in one statement (:func:`_plan_sql`).

    Only the plan row's own columns: nothing of a prepared benchmark is loaded here (see
    :func:`_take_and_read`).
    """
    with connection.cursor() as cursor:
        cursor.execute(_PLAN_SQL[connection.vendor], [Task.Status.ASSIGNED, project.pk, annotator_id])
        row = cursor.fetchone()
    if row is None:
        served = Task.objects.filter(project=project, annotator_id=annotator_id).count()
        made = DispatchPlan.objects.create(project=project, annotator_id=annotator_id, ordinal=served)
        return made, task_open(project=project, annotator_id=annotator_id)
    plan: DispatchPlan = _PLAN.build(row, 0, connection.alias)
    if plan.last_task_id is not None and row[_PLAN.width] is None:
        # A concurrent call made a task after this statement's snapshot (we waited for its lock).
        return plan, task_open(project=project, annotator_id=annotator_id)
    return plan, open_task_from_row(project=project, row=row, start=_PLAN.width + 1)


def _plan_reset(project: Project, annotator_id: int) -> None:
    DispatchPlan.objects.filter(project=project, annotator_id=annotator_id).update(prepared_for=-1)


def dispatch_prepare(*, project_id: int, annotator_id: int) -> None:
    """Prepare the annotator's next task (a worker, after each serve); idempotent."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        return
    with transaction.atomic():
        plan = (
            DispatchPlan.objects.select_for_update()
            .filter(project=project, annotator_id=annotator_id)
            .first()
        )
        if plan is None or plan.prepared_for == plan.ordinal:
            return
        _prepare(project, plan)


def _prepare(project: Project, plan: DispatchPlan) -> None:
    """Decide the plan's ordinal with the keyed schedule; prepare a benchmark if one is due."""
    benchmarks_bind_served(project=project, annotator_id=plan.annotator_id, before=plan.ordinal)
    current = dispatch_version_current(project=project)
    benchmark: BenchmarkTask | None = None
    if benchmark_is_due(
        project=project, annotator_id=plan.annotator_id, ordinal=plan.ordinal, version=current
    ):
        benchmark = benchmark_prepare(
            project=project,
            annotator_id=plan.annotator_id,
            ordinal=plan.ordinal,
            secret=current.key,
            secret_version=current.version,
            announced=plan.ordinal < current.qualification,
        )
    plan.benchmark = benchmark
    plan.prepared_for = plan.ordinal
    plan.secret_version = current.version
    plan.save(update_fields=["benchmark", "prepared_for", "secret_version"])


def benchmark_is_due(*, project: Project, annotator_id: int, ordinal: int, version: DispatchVersion) -> bool:
    """Whether task ``ordinal`` of the annotator is a benchmark: the announced qualification set,
    then one at a keyed place in each block of ``1 / rate`` tasks (the version's rate and size)."""
    if version.rate <= 0 and version.qualification <= 0:
        return False
    if not project_has_gold(project.pk):
        return False
    return scheduled_benchmark(version=version, annotator_id=annotator_id, ordinal=ordinal)


def scheduled_benchmark(*, version: DispatchVersion, annotator_id: int, ordinal: int) -> bool:
    """The keyed schedule alone (replay recomputes it from the task's stored version)."""
    return benchmark_due_at(
        ordinal=ordinal,
        qualification=version.qualification,
        rate=version.rate,
        block_draw=lambda block: keyed_uniform(version.key, annotator_id, block, "due"),
    )


def benchmarks_bind_served(*, project: Project, annotator_id: int, before: int | None = None) -> None:
    """Attach served benchmark tasks to their prepared benchmarks; drop prepared ones never served.

    Idempotent; runs in the preparation job and before scoring a submit or skip.
    """
    pending = list(
        BenchmarkTask.objects.filter(
            project=project, annotator_id=annotator_id, task__isnull=True
        ).select_related("gold")
    )
    if not pending:
        return
    served = {
        (ordinal, item_id): pk
        for pk, ordinal, item_id in Task.objects.filter(
            project=project,
            annotator_id=annotator_id,
            kind=Task.Kind.BENCHMARK,
            ordinal__in=[b.ordinal for b in pending],
        ).values_list("pk", "ordinal", "item_id")
    }
    for benchmark in pending:
        task_id = served.get((benchmark.ordinal, benchmark.gold.item_id))
        if task_id is not None:
            BenchmarkTask.objects.filter(pk=benchmark.pk).update(task_id=task_id)
        elif before is not None and benchmark.ordinal < before:
            benchmark_discard(benchmark=benchmark)
