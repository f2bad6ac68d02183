"""The bulk write layer of imports: COPY on PostgreSQL, batched inserts on SQLite, the same rows
either way; all or nothing across batches; over the item limit nothing is written."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from django.db import connection

from annotation_qc.exchange.services import imports as exchange_imports
from annotation_qc.labeling.models import Item, ModelVersion, Prediction
from annotation_qc.labeling.services.imports import items_import, items_write, predictions_import
from tests.api.conftest import World
from tests.api.exchange_helpers import post_import, rejected, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def rows(n: int, prefix: str = "w", **extra: Any) -> list[dict[str, Any]]:
    return [
        {
            "external_id": f"{prefix}{i}",
            "image_url": f"https://img.example/{prefix}{i}.png",
            "width": 20 + i,
            "height": 10,
            "metadata": {"camera": f"c{i}", "tags": ["a", "ü"]},
            "priority": float(i),
            **extra,
        }
        for i in range(n)
    ]


def test_items_are_written_with_every_field_and_their_ids(world: World) -> None:
    project = world.project
    project.feature_dim = None
    project.save()
    created = items_import(project=project, rows=rows(5, features=[0.5, -1.25, 3.0]))
    stored = {i.pk: i for i in Item.objects.filter(project=project, external_id__startswith="w")}
    assert sorted(stored) == sorted(item.pk for item in created)
    for item in created:
        row = stored[item.pk]
        assert row.external_id == item.external_id
        assert row.width == item.width
        assert row.metadata == {"camera": f"c{int(item.external_id[1:])}", "tags": ["a", "ü"]}
        assert np.frombuffer(bytes(row.features), dtype="<f4").tolist() == [0.5, -1.25, 3.0]
        assert row.priority == row.priority_b == float(item.external_id[1:])
        assert row.open_slots == row.required_annotations >= 1
        assert row.created_at is not None
    project.refresh_from_db()
    assert project.feature_dim == 3
    assert items_write(project=project, rows=rows(3, prefix="x")) == 3


def test_predictions_are_upserted_per_version(world: World) -> None:
    items_write(project=world.project, rows=rows(3))
    box = {"x": 1, "y": 1, "w": 5, "h": 5, "label": "car"}
    first = [{"external_id": f"w{i}", "payload": {"boxes": [box]}, "scores": [0.5]} for i in range(3)]
    assert predictions_import(project=world.project, model_version="m1", rows=first) == 3
    moved = {**box, "x": 2}
    again = [{"external_id": "w0", "payload": {"boxes": [moved, box]}, "scores": [0.9, 0.1]}]
    assert predictions_import(project=world.project, model_version="m1", rows=again) == 1
    stored = Prediction.objects.get(item__external_id="w0", model_version="m1")
    assert stored.payload["boxes"][0]["x"] == 2
    assert stored.scores == [0.9, 0.1]
    assert Prediction.objects.filter(model_version="m1").count() == 3
    assert ModelVersion.objects.get(project=world.project, name="m1").uploaded_at is not None


def test_a_failure_in_a_later_batch_writes_nothing(world: World, capture: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(exchange_imports, "WRITE_BATCH", 2)
    lines = [
        {"external_id": f"j{n}", "image_url": f"https://img.example/j{n}.png", "width": 8, "height": 8}
        for n in range(5)
    ]
    lines.append(dict(lines[0]))  # a duplicate: the third batch's service call refuses it
    body = "\n".join(json.dumps(line) for line in lines).encode()
    before = Item.objects.count()
    problems = rejected(world, capture, multipart=True, format="jsonl", file=upload("items.jsonl", body))
    assert problems
    assert Item.objects.count() == before


def test_over_the_item_limit_nothing_is_written(world: World, capture: Any, settings: Any) -> None:
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "IMPORT_MAX_ITEMS": 4}
    body = "\n".join(
        json.dumps(
            {"external_id": f"j{n}", "image_url": f"https://img.example/{n}.png", "width": 8, "height": 8}
        )
        for n in range(5)
    ).encode()
    before = Item.objects.count()
    response = post_import(world, capture, multipart=True, format="jsonl", file=upload("items.jsonl", body))
    if response.status_code == 202:
        problems = rejected(world, capture, multipart=True, format="jsonl", file=upload("items.jsonl", body))
        assert any("at most 4 per import" in reason for reason in problems.values())
    else:
        assert response.status_code == 413
    assert Item.objects.count() == before


@pytest.mark.postgres
def test_postgres_writes_with_copy(world: World, monkeypatch: Any) -> None:
    statements: list[str] = []
    real = type(connection.connection.cursor()).copy

    def copy(self: Any, statement: Any, *args: Any, **kwargs: Any) -> Any:
        statements.append(str(statement))
        return real(self, statement, *args, **kwargs)

    monkeypatch.setattr(type(connection.connection.cursor()), "copy", copy)
    items_write(project=world.project, rows=rows(3))
    predictions_import(
        project=world.project,
        model_version="m1",
        rows=[{"external_id": "w1", "payload": {"boxes": []}}],
    )
    assert any(s.startswith("COPY labeling_item") for s in statements)
    assert any(s.startswith("COPY aqc_prediction_load") for s in statements)
