"""Drift of a batch against the labeled set (and a pinned batch), outliers, alerts through the rules."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from annotation_qc.alerts.models import Alert, AlertRule
from annotation_qc.core.models import Job
from annotation_qc.datahealth.models import BatchReport, ItemHealth, Quarantine
from annotation_qc.datahealth.services.analysis import batch_analyse
from annotation_qc.datahealth.services.config import health_settings_update
from annotation_qc.exchange.models import DataImport
from annotation_qc.labeling.models import Annotation, Item, Task
from annotation_qc.labeling.services.imports import items_import
from tests.api.conftest import World
from tests.api.webhook_helpers import Receiver, add_webhook

pytestmark = pytest.mark.django_db

DIM = 8


def batch(world: World, rows: np.ndarray, prefix: str) -> tuple[int, list[int]]:
    """Items with these feature rows, imported as one batch (an import with ItemHealth rows)."""
    job = Job.objects.create(kind="import", project_id=world.project.pk)
    data_import = DataImport.objects.create(project=world.project, job=job, format="jsonl", storage_dir="x")
    created = items_import(
        project=world.project,
        rows=[
            {
                "external_id": f"{prefix}-{i}",
                "image_url": f"https://img.example/{prefix}-{i}.png",
                "width": 10,
                "height": 10,
                "features": row.tolist(),
            }
            for i, row in enumerate(rows)
        ],
    )
    ids = [item.pk for item in created]
    ItemHealth.objects.bulk_create(
        [ItemHealth(item_id=pk, project=world.project, data_import=data_import) for pk in ids]
    )
    BatchReport.objects.create(data_import=data_import, project=world.project, items=len(ids))
    return data_import.pk, ids


def label(world: World, item_ids: list[int]) -> None:
    now = timezone.now()
    annotator = world.users["annotator"]
    tasks = Task.objects.bulk_create(
        Task(
            project=world.project,
            item_id=pk,
            annotator=annotator,
            status="submitted",
            served_at=now,
            lease_expires_at=now + timedelta(minutes=5),
        )
        for pk in item_ids
    )
    Annotation.objects.bulk_create(
        Annotation(
            task=t,
            project=world.project,
            item_id=t.item_id,
            annotator=annotator,
            payload={"boxes": []},
            server_time_ms=1000,
            submitted_at=now,
        )
        for t in tasks
    )


@pytest.fixture
def labeled(world: World) -> World:
    Item.objects.filter(project=world.project).delete()
    _, ids = batch(world, np.random.default_rng(0).normal(size=(600, DIM)), "ref")
    label(world, ids)
    return world


def test_shifted_batch_drifts_and_fires_a_data_drift_alert_to_webhooks(
    labeled: World, receiver: Receiver, capture: Any
) -> None:
    world = labeled
    add_webhook(world, url=receiver.url)
    AlertRule.objects.create(project=world.project, kind="data_drift", params={})
    shifted = np.random.default_rng(1).normal(size=(400, DIM))
    shifted[:, 3] += 0.6
    batch_id, _ = batch(world, shifted, "new")
    with capture(execute=True):
        result = batch_analyse(data_import_id=batch_id)
    assert result["drift"]["drifted"] == ["feature:f3"]
    report = BatchReport.objects.get(data_import_id=batch_id)
    assert report.drifted
    alert = Alert.objects.get(project=world.project, kind="data_drift")
    assert alert.subject == f"batch:{batch_id}"
    assert f"import {batch_id}" in alert.message
    assert "feature:f3" in alert.message
    assert "p = " in alert.message
    assert "effect" in alert.message
    (moved,) = alert.data["statistics"]
    assert moved["p_adjusted"] < 0.01
    assert moved["effect"] > 0.4
    body = json.loads(receiver.requests[-1]["body"])
    assert "feature:f3" in json.dumps(body)

    series = world.client("manager").get(f"/api/v1/projects/{world.project.pk}/data-health/drift/").json()
    assert series["batches"][-1]["batch"] == batch_id
    assert series["batches"][-1]["drifted_statistics"] == ["feature:f3"]


def test_unshifted_batch_does_not_drift(labeled: World) -> None:
    batch_id, _ = batch(labeled, np.random.default_rng(2).normal(size=(400, DIM)), "same")
    result = batch_analyse(data_import_id=batch_id)
    assert result["drift"]["status"] == "tested"
    assert result["drift"]["drifted"] == []


def test_batch_of_one_is_too_few_to_test(labeled: World) -> None:
    AlertRule.objects.create(project=labeled.project, kind="data_drift", params={})
    batch_id, _ = batch(labeled, np.full((1, DIM), 9.0), "one")
    result = batch_analyse(data_import_id=batch_id)
    assert result["drift"]["status"] == "too few to test"
    assert not Alert.objects.exists()


def test_pinned_batch_is_the_reference(world: World) -> None:
    rng = np.random.default_rng(3)
    pinned, _ = batch(world, rng.normal(size=(300, DIM)), "pin")
    health_settings_update(
        project=world.project,
        user_id=None,
        config={"drift": {"reference": "batch", "reference_batch": pinned}},
    )
    moved = rng.normal(size=(300, DIM))
    moved[:, 0] += 1.0
    batch_id, _ = batch(world, moved, "next")
    result = batch_analyse(data_import_id=batch_id)
    assert result["reference_items"] == 300
    assert result["drift"]["drifted"] == ["feature:f0"]


def test_outliers_scored_and_held_for_review(labeled: World) -> None:
    world = labeled
    health_settings_update(project=world.project, user_id=None, config={"outliers": {"placement": "review"}})
    rows = np.random.default_rng(4).normal(size=(200, DIM))
    rows[:3] += 8.0
    batch_id, ids = batch(world, rows, "odd")
    result = batch_analyse(data_import_id=batch_id)
    outliers = result["outliers"]
    assert outliers["status"] == "scored"
    flagged = set(ItemHealth.objects.filter(is_outlier=True).values_list("item_id", flat=True))
    assert set(ids[:3]) <= flagged
    assert len(flagged) <= 6
    held = set(Quarantine.objects.filter(status="held").values_list("item_id", flat=True))
    assert held == flagged
    assert set(Item.objects.filter(pk__in=held).values_list("open_slots", flat=True)) == {0}
    listed = (
        world.client("ml_engineer").get(f"/api/v1/projects/{world.project.pk}/data-health/outliers/").json()
    )
    assert {r["item_id"] for r in listed["results"]} == flagged
    assert (
        ItemHealth.objects.get(item_id=ids[0]).outlier_score
        > ItemHealth.objects.get(item_id=ids[10]).outlier_score
    )


def test_outliers_queued_first(labeled: World) -> None:
    health_settings_update(project=labeled.project, user_id=None, config={"outliers": {"placement": "first"}})
    rows = np.random.default_rng(5).normal(size=(100, DIM))
    rows[0] -= 9.0
    _, ids = batch(labeled, rows, "first")
    batch_analyse(data_import_id=DataImport.objects.latest("pk").pk)
    top = Item.objects.filter(project=labeled.project, open_slots__gt=0).order_by("-priority", "pk").first()
    assert top is not None
    assert top.pk == ids[0]


def test_nan_features_do_not_break_analysis(labeled: World) -> None:
    job = Job.objects.create(kind="import", project_id=labeled.project.pk)
    data_import = DataImport.objects.create(project=labeled.project, job=job, format="jsonl", storage_dir="x")
    item = Item.objects.filter(project=labeled.project).first()
    assert item is not None
    Item.objects.filter(pk=item.pk).update(features=np.full(DIM, np.nan, dtype="<f4").tobytes())
    result = batch_analyse(data_import_id=data_import.pk, item_ids=[item.pk])
    assert result["drift"]["status"] == "too few to test"
