"""Benchmark test helpers: gold rows, a pre-annotated project with gold, serving and submitting a task.

The ``bench_world`` fixture reaches every API test through ``tests/api/conftest.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from annotation_qc.labeling.models import Item, Task
from annotation_qc.workflow.submit_pipeline import after_submit
from tests.factories import ItemFactory, PredictionFactory

if TYPE_CHECKING:  # conftest imports this module for its fixture
    from tests.api.conftest import World

GOLD_BOXES = [
    {"x": 40, "y": 40, "w": 120, "h": 100, "label": "car"},
    {"x": 300, "y": 200, "w": 80, "h": 150, "label": "person"},
]


def gold_rows(n: int, prefix: str = "gold") -> list[dict[str, Any]]:
    return [
        {
            "external_id": f"{prefix}-{i}",
            "image_url": f"https://img.example/{9000 + i}.png",
            "width": 640,
            "height": 480,
            "payload": {"boxes": GOLD_BOXES},
        }
        for i in range(n)
    ]


@pytest.fixture
def bench_world(world: World) -> World:
    """A pre-annotated bbox project with 30 gold items and 30 regular items."""
    Item.objects.filter(project=world.project).delete()
    world.project.benchmark_rate = 0.0
    world.project.calibration_benchmarks = 5
    world.project.calibration_window = 10
    world.project.save()
    for item in ItemFactory.create_batch(30, project=world.project):
        PredictionFactory(item=item)
    response = world.client("manager").post(
        f"/api/v1/projects/{world.project.pk}/gold/", {"items": gold_rows(30)}, format="json"
    )
    assert response.status_code == 201, response.json()
    return world


def serve_and_submit(world: World, role: str = "annotator", answer: str = "pre") -> dict[str, Any]:
    client = world.client(role)
    task = client.post(f"/api/v1/projects/{world.project.pk}/next-task/").json()
    payload = task["pre_annotation"] or {"boxes": []}
    if answer == "gold" and Task.objects.get(public_id=task["id"]).kind == "benchmark":
        payload = {"boxes": GOLD_BOXES}
    response = client.post(f"/api/v1/tasks/{task['id']}/submit/", {"payload": payload}, format="json")
    assert response.status_code == 201, response.json()
    # Scoring runs after the submit, in a worker: run that job now (it is idempotent, so a test that
    # also runs the enqueued jobs scores once).
    after_submit(task_id=Task.objects.get(public_id=task["id"]).pk)
    return task
