"""Prioritisation activation: one row flipped, the old order intact until then, one run at a time,
and a superseded run never activating, even when its chunks and callback are redelivered."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotation_qc.core.models import Job
from annotation_qc.labeling.models import Item
from annotation_qc.prioritization.models import PriorityRun
from annotation_qc.prioritization.services import runs
from annotation_qc.workflow.dispatch_pipeline import task_next
from tests.api.conftest import World
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(world: World) -> World:
    ItemFactory.create_batch(40, project=world.project)
    return world


def live_order(world: World) -> list[int]:
    """The live queue, best first (what dispatch and the queue endpoint follow)."""
    world.project.refresh_from_db()
    field = world.project.priority_field
    return list(
        Item.objects.filter(project=world.project, open_slots__gt=0)
        .order_by(f"-{field}", "pk")
        .values_list("pk", flat=True)
    )


def start(world: World) -> PriorityRun:
    """A started run whose Celery task has not run yet (the on-commit enqueue is not executed)."""
    return runs.prioritize_start(project=world.project, strategy="random", trigger="manual", user_id=None)


def prepare(run: PriorityRun) -> list[tuple[int, int]]:
    prepared = runs.prioritize_prepare(run_id=run.pk)
    assert prepared is not None
    return prepared[1]


def score_all(run: PriorityRun) -> list[tuple[int, int]]:
    ranges = prepare(run)
    for lo, hi in ranges:
        runs.prioritize_score_chunk(run_id=run.pk, lo=lo, hi=hi)
    return ranges


def test_activation_flips_one_row_and_keeps_the_old_order_until_then(many: World) -> None:
    import_order = live_order(many)
    run = start(many)
    score_all(run)
    assert live_order(many) == import_order  # every score written, the live order untouched
    with CaptureQueriesContext(connection) as queries:
        runs.prioritize_activate(run_id=run.pk)
    item_table = Item._meta.db_table
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert not [sql for sql in writes if item_table in sql]  # no item row is rewritten
    assert len(queries.captured_queries) == 14, [q["sql"][:90] for q in queries.captured_queries]
    order = live_order(many)
    assert order != import_order
    assert sorted(order) == sorted(import_order)
    # Dispatch follows the new live column.
    many.project.refresh_from_db()
    task = task_next(project=many.project, annotator_id=many.users["annotator"].pk)
    assert task.item_id == order[0]


def test_second_start_answers_409_with_the_running_job(many: World) -> None:
    client = many.client("ml_engineer")
    url = f"/api/v1/projects/{many.project.pk}/prioritize/"
    first = client.post(url, {"strategy": "random"}, format="json")
    assert first.status_code == 202
    second = client.post(url, {"strategy": "entropy"}, format="json")
    assert second.status_code == 409, second.json()
    assert second.json()["job_id"] == first.json()["job_id"]
    assert second.json()["run_id"] == first.json()["run_id"]
    assert PriorityRun.objects.filter(project=many.project).count() == 1
    assert Job.objects.filter(kind="prioritize").count() == 1


def test_a_failed_run_redelivered_after_a_newer_one_went_live_changes_nothing(many: World) -> None:
    old = start(many)
    ranges = prepare(old)
    half = len(ranges) // 2 or 1
    for lo, hi in ranges[:half]:
        runs.prioritize_score_chunk(run_id=old.pk, lo=lo, hi=hi)
    runs.prioritize_fail(run_id=old.pk, message="worker lost")  # the watchdog gives up on it
    new = start(many)
    score_all(new)
    runs.prioritize_activate(run_id=new.pk)
    new_order = live_order(many)
    standby = many.project.standby_priority_field
    standby_before = list(Item.objects.order_by("pk").values_list(standby, flat=True))
    # Celery redelivers the old run's lost chunks and then its callback.
    for lo, hi in ranges:
        assert runs.prioritize_score_chunk(run_id=old.pk, lo=lo, hi=hi) == 0
    runs.prioritize_activate(run_id=old.pk)
    assert list(Item.objects.order_by("pk").values_list(standby, flat=True)) == standby_before
    assert live_order(many) == new_order
    assert PriorityRun.objects.get(pk=old.pk).status == "failed"
    assert PriorityRun.objects.get(pk=new.pk).status == "active"


def test_a_retried_old_run_never_activates_over_a_newer_live_one(many: World) -> None:
    old = start(many)
    score_all(old)
    PriorityRun.objects.filter(pk=old.pk).update(status="failed")  # presumed dead
    new = start(many)
    score_all(new)
    runs.prioritize_activate(run_id=new.pk)
    live = live_order(many)
    # A retry brings the old run back to running and its callback arrives: it must not go live.
    PriorityRun.objects.filter(pk=old.pk).update(status="running")
    runs.prioritize_activate(run_id=old.pk)
    assert PriorityRun.objects.get(pk=old.pk).status == "superseded"
    assert "superseded" in Job.objects.get(pk=old.job_id).message
    assert live_order(many) == live
    assert PriorityRun.objects.get(pk=new.pk).status == "active"
    # Restarted from the top, it stops at once and does not hold the project busy.
    PriorityRun.objects.filter(pk=old.pk).update(status="pending")
    assert runs.prioritize_prepare(run_id=old.pk) is None
    assert PriorityRun.objects.get(pk=old.pk).status == "superseded"
    assert start(many).status == "pending"


def test_a_redelivered_activation_flips_only_once(many: World) -> None:
    run = start(many)
    score_all(run)
    runs.prioritize_activate(run_id=run.pk)
    order = live_order(many)
    runs.prioritize_activate(run_id=run.pk)
    assert live_order(many) == order
    job = Job.objects.get(pk=run.job_id)
    assert job.status == "succeeded"
    assert job.result["items_scored"] == len(order)


def test_a_redelivered_chunk_counts_once_in_the_progress(many: World) -> None:
    run = start(many)
    lo, hi = prepare(run)[0]
    runs.prioritize_score_chunk(run_id=run.pk, lo=lo, hi=hi)
    runs.prioritize_score_chunk(run_id=run.pk, lo=lo, hi=hi)
    assert Job.objects.get(pk=run.job_id).done == 1


def test_items_imported_with_a_priority_keep_it_whichever_column_is_live(many: World, capture: Any) -> None:
    run = start(many)
    score_all(run)
    runs.prioritize_activate(run_id=run.pk)
    response = many.client("manager").post(
        f"/api/v1/projects/{many.project.pk}/items/",
        {"items": [{"external_id": "late", "image_url": "https://i.example/l.png", "width": 4, "height": 4}]},
        format="json",
    )
    assert response.status_code == 201
    late = Item.objects.get(external_id="late")
    assert late.priority == late.priority_b == 0.0
