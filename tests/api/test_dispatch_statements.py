"""Serving and submitting a benchmark runs the same statements as work (counted, not timed)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext

from annotation_qc.benchmarks.services.gold import gold_import
from annotation_qc.labeling.models import Item, Task
from annotation_qc.workflow.dispatch_pipeline import dispatch_prepare, task_next
from annotation_qc.workflow.models import DispatchPlan
from annotation_qc.workflow.submit_pipeline import annotation_submit, task_skip
from tests.api.conftest import World
from tests.factories import ItemFactory, PredictionFactory

pytestmark = pytest.mark.django_db

GOLD = {"boxes": [{"x": 40, "y": 40, "w": 120, "h": 100, "label": "car"}]}
#: Statements of a next-task that serves a new task, and of a submit. Both databases read the plan
#: and the open task in one statement, and the locked task and the lint profile in one; PostgreSQL
#: also takes the slot and reads the served row in one, inserts the task and advances the plan in
#: one, and stores the answer and the task's new status in one; SQLite cannot put an
#: ``UPDATE ... RETURNING`` or an INSERT in a CTE, so it runs each of those on its own.
_NEXT_TASK = {"postgresql": 5, "sqlite": 7}
_SUBMIT = {"postgresql": 4, "sqlite": 5}
NEXT_TASK_STATEMENTS = _NEXT_TASK[connection.vendor]
SUBMIT_STATEMENTS = _SUBMIT[connection.vendor]
SKIP_STATEMENTS = 7


@pytest.fixture
def mixed(world: World) -> World:
    project = world.project
    project.benchmark_rate = 0.5
    project.calibration_benchmarks = 0
    project.save()
    for item in ItemFactory.create_batch(40, project=project):
        PredictionFactory(item=item)
    rows = [
        {
            "external_id": f"g{i}",
            "image_url": f"https://img.example/{i}.png",
            "width": 640,
            "height": 480,
            "payload": GOLD,
        }
        for i in range(40)
    ]
    gold_import(project=project, rows=rows, user=world.users["manager"])
    return world


def _serve(world: World) -> tuple[Task, int]:
    """One next-task with the next one already prepared (as a worker would have), and its statement count."""
    project, annotator = world.project, world.users["annotator"]
    cache.add(f"aqc:reclaim:{project.pk}", 1, 60)  # the lease sweep is throttled the same way for both
    with CaptureQueriesContext(connection) as queries:
        task = task_next(project=project, annotator_id=annotator.pk)
    assert task is not None
    dispatch_prepare(project_id=project.pk, annotator_id=annotator.pk)
    return task, len(queries)


def test_next_task_and_submit_run_the_same_statements_for_benchmarks_and_work(
    mixed: World, django_assert_num_queries: Any
) -> None:
    annotator = mixed.users["annotator"]
    task_next(project=mixed.project, annotator_id=annotator.pk)  # the first call makes the plan
    Task.objects.filter(annotator=annotator).delete()
    DispatchPlan.objects.filter(annotator=annotator).update(prepared_for=-1)
    dispatch_prepare(project_id=mixed.project.pk, annotator_id=annotator.pk)
    counts: dict[str, set[int]] = {"benchmark": set(), "regular": set()}
    submits: dict[str, set[int]] = {"benchmark": set(), "regular": set()}
    for _ in range(16):
        task, statements = _serve(mixed)
        counts[task.kind].add(statements)
        with CaptureQueriesContext(connection) as queries:
            annotation_submit(
                task_id=task.public_id, annotator_id=annotator.pk, payload=GOLD, client_time_ms=3000
            )
        submits[task.kind].add(len(queries))
    assert counts["benchmark"], counts
    assert counts["regular"], counts
    assert counts["benchmark"] == counts["regular"] == {NEXT_TASK_STATEMENTS}
    assert submits["benchmark"] == submits["regular"] == {SUBMIT_STATEMENTS}

    # And as django_assert_num_queries sees one of each.
    seen: set[str] = set()
    while seen != {"benchmark", "regular"}:
        cache.add(f"aqc:reclaim:{mixed.project.pk}", 1, 60)
        plan = DispatchPlan.objects.get(annotator=annotator)
        with django_assert_num_queries(NEXT_TASK_STATEMENTS):
            task = task_next(project=mixed.project, annotator_id=annotator.pk)
        assert task is not None
        assert (task.kind == "benchmark") == (plan.benchmark_id is not None)
        with django_assert_num_queries(SKIP_STATEMENTS):
            task_skip(task=task, reason="counted")
        seen.add(task.kind)
        dispatch_prepare(project_id=mixed.project.pk, annotator_id=annotator.pk)


def test_a_dry_queue_answers_nothing_even_with_a_benchmark_prepared(mixed: World) -> None:
    annotator = mixed.users["annotator"]
    mixed.project.benchmark_rate = 1.0
    mixed.project.save()
    task_next(project=mixed.project, annotator_id=annotator.pk)
    Task.objects.filter(annotator=annotator).delete()
    DispatchPlan.objects.filter(annotator=annotator).update(prepared_for=-1)
    dispatch_prepare(project_id=mixed.project.pk, annotator_id=annotator.pk)
    assert DispatchPlan.objects.get(annotator=annotator).benchmark_id is not None
    # Regular work runs out: gold is left, but nothing is served (204 for everyone).
    Item.objects.filter(project=mixed.project, is_gold=False).update(open_slots=0)
    assert task_next(project=mixed.project, annotator_id=annotator.pk) is None
    response = mixed.client("annotator").post(f"/api/v1/projects/{mixed.project.pk}/next-task/")
    assert response.status_code == 204


class _Work:
    """What one call builds besides its statements: model instances by class and JSON documents decoded."""

    def __init__(self) -> None:
        self.instances: Counter[str] = Counter()
        self.decoded = 0

    @contextmanager
    def counting(self) -> Iterator[None]:
        def built(sender: type, **kwargs: Any) -> None:
            self.instances[sender.__name__] += 1

        decode = json.JSONDecoder.decode

        def counted(decoder: json.JSONDecoder, s: str, *args: Any, **kwargs: Any) -> Any:
            self.decoded += 1
            return decode(decoder, s, *args, **kwargs)

        post_init.connect(built, weak=False)
        try:
            with mock.patch.object(json.JSONDecoder, "decode", counted):
                yield
        finally:
            post_init.disconnect(built)


def test_serving_a_benchmark_builds_and_decodes_what_serving_work_does(mixed: World) -> None:
    """Same statements are not enough: a benchmark's prepared row, gold and item loaded beside the
    work candidate (extra objects, extra JSON documents decoded) made it slower to serve."""
    annotator = mixed.users["annotator"]
    for item in Item.objects.filter(project=mixed.project, is_gold=False, predictions__isnull=True):
        PredictionFactory(item=item)  # every work item pre-annotated, as every benchmark is
    task_next(project=mixed.project, annotator_id=annotator.pk)
    Task.objects.filter(annotator=annotator).delete()
    DispatchPlan.objects.filter(annotator=annotator).update(prepared_for=-1)
    dispatch_prepare(project_id=mixed.project.pk, annotator_id=annotator.pk)
    seen: dict[str, set[tuple[tuple[tuple[str, int], ...], int]]] = {"benchmark": set(), "regular": set()}
    for _ in range(16):
        cache.add(f"aqc:reclaim:{mixed.project.pk}", 1, 60)
        work = _Work()
        with work.counting():
            task = task_next(project=mixed.project, annotator_id=annotator.pk)
        assert task is not None
        seen[task.kind].add((tuple(sorted(work.instances.items())), work.decoded))
        task_skip(task=task, reason="counted")
        dispatch_prepare(project_id=mixed.project.pk, annotator_id=annotator.pk)
    assert seen["benchmark"], seen
    assert seen["regular"], seen
    assert seen["benchmark"] == seen["regular"], seen
    assert len(seen["regular"]) == 1, seen
