"""Benchmarks whose follow-up job was lost (the broker was down on submit or skip) are scored by the sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from annotation_qc.benchmarks.models import BenchmarkTask
from annotation_qc.labeling.models import Task
from annotation_qc.workflow.submit_pipeline import (
    UNSCORED_GRACE_SECONDS,
    after_submit,
    unscored_benchmarks_sweep,
)
from tests.api.conftest import World

pytestmark = pytest.mark.django_db


def _finish_without_follow_up(world: World, count: int) -> None:
    """Submit or skip (alternately) ``count`` tasks over HTTP; the on-commit follow-up jobs never run."""
    client = world.client("annotator")
    for index in range(count):
        task = client.post(f"/api/v1/projects/{world.project.pk}/next-task/").json()
        if index % 2:
            response = client.post(f"/api/v1/tasks/{task['id']}/skip/", {"reason": "unclear"}, format="json")
            assert response.status_code == 200, response.json()
        else:
            payload = task["pre_annotation"] or {"boxes": []}
            response = client.post(f"/api/v1/tasks/{task['id']}/submit/", {"payload": payload}, format="json")
            assert response.status_code == 201, response.json()


def test_lost_follow_ups_are_scored_by_the_sweep_once_their_grace_is_over(bench_world: World) -> None:
    _finish_without_follow_up(bench_world, 10)
    finished = BenchmarkTask.objects.filter(task__status__in=(Task.Status.SUBMITTED, Task.Status.SKIPPED))
    assert finished.count() >= 2
    assert finished.filter(task__status=Task.Status.SKIPPED).exists()
    assert not finished.filter(scored_at__isnull=False).exists()  # the jobs were lost

    # Within the grace period the follow-up jobs may still be on their way: nothing is touched.
    assert unscored_benchmarks_sweep() == 0

    later = timezone.now() + timedelta(seconds=UNSCORED_GRACE_SECONDS + 1)
    caught_up = unscored_benchmarks_sweep(now=later)
    assert caught_up == finished.count()
    assert not finished.filter(scored_at__isnull=True).exists()
    skipped = finished.filter(task__status=Task.Status.SKIPPED)
    assert set(skipped.values_list("fixed", "skipped").distinct()) == {(False, True)}  # a skip is a miss

    # A late follow-up job (or a second sweep) changes nothing.
    outcomes = sorted(finished.values_list("task_id", "fixed", "scored_at"))
    for task_id, *_ in outcomes:
        after_submit(task_id=task_id, now=later + timedelta(minutes=5))
    assert unscored_benchmarks_sweep(now=later + timedelta(minutes=10)) == 0
    assert sorted(finished.values_list("task_id", "fixed", "scored_at")) == outcomes


def test_a_benchmark_whose_every_job_was_lost_is_bound_and_scored_by_the_sweep(bench_world: World) -> None:
    """Serving binds nothing (the worker does): with the preparation and skip jobs both lost, the sweep
    still finds the served benchmark, binds it to its task and scores the skip as a miss."""
    client = bench_world.client("annotator")
    task = client.post(f"/api/v1/projects/{bench_world.project.pk}/next-task/").json()
    assert Task.objects.get(public_id=task["id"]).kind == "benchmark"  # the qualification set comes first
    prepared = BenchmarkTask.objects.get(task__isnull=True, ordinal=0)
    assert (
        client.post(f"/api/v1/tasks/{task['id']}/skip/", {"reason": "unclear"}, format="json").status_code
        == 200
    )
    later = timezone.now() + timedelta(seconds=UNSCORED_GRACE_SECONDS + 1)
    assert unscored_benchmarks_sweep(now=later) == 1
    prepared.refresh_from_db()
    assert prepared.task is not None
    assert prepared.task.public_id == task["id"]
    assert (prepared.fixed, prepared.skipped) == (False, True)


def test_sweep_is_scheduled() -> None:
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "workflow.unscored_benchmarks_sweep" in tasks
