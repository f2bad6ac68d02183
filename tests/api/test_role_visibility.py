"""What each role may see of gold and benchmark accuracy holds on every channel: exports, manifests, downloads

ML engineers get 403 on gold and on scorecards, so they may not export gold answers (403 naming
``include_gold``), download an export a manager made with them (403), or read per-annotator benchmark
accuracy in an export's manifest (left out for them; managers see it).
"""

from __future__ import annotations

from typing import Any

import pytest

from annotation_qc.benchmarks.services.gold import gold_import
from tests.api.conftest import World
from tests.api.exchange_helpers import job

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def _start(world: World, capture: Any, role: str, **body: Any) -> Any:
    with capture(execute=True):
        return world.client(role).post(f"/api/v1/projects/{world.project.pk}/exports/", body, format="json")


def test_ml_engineers_cannot_export_gold(world: World, capture: Any) -> None:
    response = _start(world, capture, "ml_engineer", format="coco", include_gold=True)
    assert response.status_code == 403
    assert "include_gold" in response.json()["errors"]
    assert _start(world, capture, "ml_engineer", format="coco").status_code == 202


def test_gold_exports_and_benchmark_accuracy_stay_with_managers(world: World, capture: Any) -> None:
    gold_import(
        project=world.project,
        rows=[
            {
                "external_id": "g1",
                "image_url": "https://img.example/g1.png",
                "width": 50,
                "height": 50,
                "payload": {"boxes": [{"x": 1.0, "y": 1.0, "w": 10.0, "h": 10.0, "label": "car"}]},
            }
        ],
        user=world.users["manager"],
    )
    started = _start(world, capture, "manager", format="jsonl", include_gold=True)
    assert started.status_code == 202
    export_id = started.json()["export_id"]
    assert job(world, started.json()["job_id"])["status"] == "succeeded"

    manager = world.client("manager").get(f"/api/v1/exports/{export_id}/").json()
    assert "benchmarks" in manager["manifest"]
    engineer = world.client("ml_engineer").get(f"/api/v1/exports/{export_id}/")
    assert engineer.status_code == 200
    assert "benchmarks" not in engineer.json()["manifest"]
    assert "accuracy" not in str(engineer.json())

    assert world.client("manager").get(f"/api/v1/exports/{export_id}/download/").status_code == 200
    denied = world.client("ml_engineer").get(f"/api/v1/exports/{export_id}/download/")
    assert denied.status_code == 403
    assert "gold" in denied.json()["detail"]
