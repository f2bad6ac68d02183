"""Next-task is idempotent: concurrent calls by one annotator answer the same open task, never a 5xx."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from annotation_qc.benchmarks.services.gold import gold_import
from annotation_qc.labeling.models import Task
from annotation_qc.labeling.services.imports import items_import
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

GOLD = {"boxes": [{"x": 40, "y": 40, "w": 120, "h": 100, "label": "car"}]}


def _call(project_id: int, user: object, barrier: threading.Barrier) -> tuple[int, str | None]:
    client = APIClient()
    client.force_authenticate(user)
    try:
        barrier.wait()
        response = client.post(f"/api/v1/projects/{project_id}/next-task/")
        return response.status_code, response.json()["id"] if response.status_code == 200 else None
    finally:
        connection.close()


@pytest.mark.parametrize("rate", [0.0, 1.0])
def test_bursts_of_ten_parallel_next_tasks_answer_one_task(rate: float) -> None:
    project = ProjectFactory(benchmark_rate=rate, calibration_benchmarks=0)
    manager = UserFactory(username="manager")
    MembershipFactory(project=project, user=manager, role="manager")
    annotators = [UserFactory(username=f"a{i}") for i in range(3)]
    for user in annotators:
        MembershipFactory(project=project, user=user, role="annotator")
    rows = [
        {"external_id": f"i{i}", "image_url": f"https://img.example/{i}.png", "width": 64, "height": 64}
        for i in range(60)
    ]
    items_import(project=project, rows=rows)
    gold = [{**row, "external_id": f"g{i}", "payload": GOLD} for i, row in enumerate(rows[:30])]
    gold_import(project=project, rows=[{**g, "width": 640, "height": 480} for g in gold], user=manager)
    for _ in range(4):  # bursts: a double click, two tabs, a retrying client ...
        for user in annotators:
            barrier = threading.Barrier(10)
            with ThreadPoolExecutor(max_workers=10) as pool:
                futures = [pool.submit(_call, project.pk, user, barrier) for _ in range(10)]
                answers = [future.result() for future in futures]
            statuses = {status for status, _ in answers}
            assert statuses == {200}, answers
            assert len({task_id for _, task_id in answers}) == 1, answers
            Task.objects.filter(annotator=user, status="assigned").update(status="skipped")
    assert Task.objects.filter(project=project).count() == 12
