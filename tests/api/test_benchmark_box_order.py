"""A prepared benchmark's boxes come in the order the project's model writes its own."""

from __future__ import annotations

from typing import Any

import pytest

from annotation_qc.benchmarks.services.dispatch import benchmark_prepare, seeding_profile
from annotation_qc.benchmarks.services.gold import gold_import
from tests.api.conftest import World
from tests.factories import ItemFactory, PredictionFactory

pytestmark = pytest.mark.django_db

GOLD = {
    "boxes": [
        {"x": 400, "y": 40, "w": 120, "h": 100, "label": "car"},
        {"x": 20, "y": 300, "w": 60, "h": 50, "label": "car"},
        {"x": 200, "y": 150, "w": 90, "h": 140, "label": "car"},
    ]
}


def _by_x(index: int) -> dict[str, Any]:
    xs = sorted({(37 * index + 11 * k) % 500 for k in range(3)})
    return {
        "boxes": [
            {"x": float(x), "y": 30.0 + k, "w": 40.0, "h": 30.0, "label": "car"} for k, x in enumerate(xs)
        ]
    }


def test_benchmark_boxes_follow_the_models_order(world: World) -> None:
    project = world.project
    for index, item in enumerate(ItemFactory.create_batch(20, project=project)):
        PredictionFactory(item=item, payload=_by_x(index))
    rows = [
        {
            "external_id": f"g{i}",
            "image_url": f"https://img.example/g{i}.png",
            "width": 640,
            "height": 480,
            "payload": GOLD,
        }
        for i in range(12)
    ]
    gold_import(project=project, rows=rows, user=world.users["manager"])
    assert seeding_profile(project).box_order == "x"
    annotator = world.users["annotator"]
    seeded = []
    for ordinal in range(10):
        benchmark = benchmark_prepare(
            project=project, annotator_id=annotator.pk, ordinal=ordinal, secret=b"k", secret_version=1
        )
        assert benchmark is not None
        if benchmark.seeded_payload and len(benchmark.seeded_payload["boxes"]) >= 2:
            xs = [b["x"] for b in benchmark.seeded_payload["boxes"]]
            seeded.append(xs)
            assert xs == sorted(xs), benchmark.seeded_payload
    assert len(seeded) >= 5
