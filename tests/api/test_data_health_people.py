"""Retention (what goes, what stays, the record) and coverage figures with the priority boost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from annotation_qc.benchmarks.models import BenchmarkTask, GoldAnnotation
from annotation_qc.core.models import Job
from annotation_qc.datahealth.models import AuditEvent, HealthConfig, ItemHealth, RetentionRun
from annotation_qc.datahealth.services.retention import retention_sweep
from annotation_qc.exchange.models import DataImport
from annotation_qc.labeling.models import Annotation, Item, Prediction, Task
from tests.api.conftest import World
from tests.factories import ItemFactory, PredictionFactory, TaskFactory

pytestmark = pytest.mark.django_db


def _old_import(world: World, days: int) -> DataImport:
    path = default_storage.save(f"imports/{world.project.pk}/x/data.json", ContentFile(b"{}"))
    job = Job.objects.create(kind="import", project_id=world.project.pk)
    data_import = DataImport.objects.create(
        project=world.project,
        job=job,
        format="coco",
        storage_dir="x",
        status="imported",
        files=[{"role": "data", "name": "data.json", "path": path, "size": 2}],
    )
    DataImport.objects.filter(pk=data_import.pk).update(created_at=timezone.now() - timedelta(days=days))
    return data_import


@pytest.mark.usefixtures("media")
def test_retention_deletes_old_uploads_unanswered_tasks_and_benchmark_copies(
    world: World, capture: Any
) -> None:
    HealthConfig.objects.create(project=world.project, retention_days=30)
    old, recent = _old_import(world, 40), _old_import(world, 5)
    old_path = old.files[0]["path"]
    long_ago = timezone.now() - timedelta(days=60)
    items = list(Item.objects.filter(project=world.project))
    skipped = TaskFactory(item=items[0], status="skipped", served_at=long_ago, skip_reason="blurry")
    answered = TaskFactory(item=items[1], status="submitted", served_at=long_ago)
    Annotation.objects.create(
        task=answered,
        project=world.project,
        item=items[1],
        annotator=answered.annotator,
        payload={"boxes": []},
        server_time_ms=1,
        submitted_at=long_ago,
    )
    fresh = TaskFactory(item=items[2], status="expired")
    gold_item = ItemFactory(project=world.project, is_gold=True, open_slots=0)
    gold = GoldAnnotation.objects.create(project=world.project, item=gold_item, payload={"boxes": []})
    bench_task = TaskFactory(item=gold_item, kind="benchmark", pre_annotation={"boxes": [{"x": 1}]})
    bench = BenchmarkTask.objects.create(
        task=bench_task,
        project=world.project,
        annotator=bench_task.annotator,
        gold=gold,
        gold_payload={"boxes": []},
        error_kind="drop",
        seeded_payload={"boxes": [{"x": 1}]},
        fixed=True,
        scored_at=long_ago,
    )

    with capture(execute=True):  # files are deleted once the transaction commits
        assert retention_sweep() == 1
    run = RetentionRun.objects.get()
    assert run.deleted == {"raw_uploads": 1, "served_task_logs": 1, "benchmark_copies": 1}
    assert run.details["raw_uploads"] == [old_path]
    assert run.details["served_task_logs"] == [skipped.pk]
    assert not default_storage.exists(old_path)
    assert default_storage.exists(recent.files[0]["path"])
    assert not Task.objects.filter(pk=skipped.pk).exists()
    assert Task.objects.filter(pk__in=[answered.pk, fresh.pk]).count() == 2
    bench.refresh_from_db()
    assert bench.seeded_payload is None
    assert bench.fixed is True  # the score stays
    assert Task.objects.get(pk=bench_task.pk).pre_annotation is None
    assert AuditEvent.objects.filter(project=world.project, action="retention").exists()
    listed = world.client("manager").get(f"/api/v1/projects/{world.project.pk}/data-health/retention/").json()
    assert listed["results"][0]["deleted"]["raw_uploads"] == 1


def test_retention_needs_a_period(world: World) -> None:
    response = world.client("manager").post(f"/api/v1/projects/{world.project.pk}/data-health/retention/")
    assert response.status_code == 400
    assert "retention_days" in response.json()["errors"]


def test_coverage_by_label_and_attribute_with_targets_and_boost(world: World) -> None:
    Item.objects.filter(project=world.project).delete()
    items = [
        ItemFactory(project=world.project, metadata={"site": "north" if i < 8 else "south"})
        for i in range(10)
    ]
    for item in items[:6]:
        task = TaskFactory(item=item, status="submitted")
        Annotation.objects.create(
            task=task,
            project=world.project,
            item=item,
            annotator=task.annotator,
            payload={"boxes": [{"x": 0, "y": 0, "w": 64, "h": 48, "label": "car"}]},
            server_time_ms=1,
            submitted_at=timezone.now(),
        )
    PredictionFactory(item=items[9], payload={"boxes": [{"x": 0, "y": 0, "w": 5, "h": 5, "label": "bike"}]})
    url = f"/api/v1/projects/{world.project.pk}/data-health"
    targets = {"labels": {"car": 0.5, "bike": 0.3}, "attributes": {"site": {"south": 0.3}}, "boost": 2.0}
    assert (
        world.client("ml_engineer").patch(f"{url}/coverage/targets/", targets, format="json").status_code
        == 200
    )
    bad = world.client("ml_engineer").patch(f"{url}/coverage/targets/", {"labels": {"car": 2}}, format="json")
    assert bad.status_code == 400
    assert "config.coverage.labels" in bad.json()["errors"]

    report = world.client("ml_engineer").get(f"{url}/coverage/?attribute=site").json()
    labels = {row["value"]: row for row in report["labels"]}
    assert labels["car"]["counts"]["labeled"] == 6
    assert labels["bike"]["under_represented"] is True
    assert labels["bike"]["counts"]["items"] == 1
    site = {row["value"]: row for row in report["attributes"]["site"]}
    assert site["north"]["counts"] == {"items": 8, "labeled": 6}
    assert site["south"]["under_represented"] is True
    assert report["boxes_per_image"]["histogram"]["1"] == 6
    assert report["box_sizes"]["quartiles"] == [pytest.approx(0.1)] * 3

    before = dict(Item.objects.values_list("pk", "priority"))
    result = world.client("manager").post(f"{url}/coverage/boost/").json()
    after = dict(Item.objects.values_list("pk", "priority"))
    assert after[items[9].pk] == pytest.approx(before[items[9].pk] + 2.0)  # bike and south: both full gaps
    assert after[items[8].pk] == pytest.approx(before[items[8].pk] + 2.0)  # south only
    assert after[items[7].pk] == before[items[7].pk]
    assert result["boosted"] == 2
    # Applying again replaces the boost rather than adding to it.
    world.client("manager").post(f"{url}/coverage/boost/")
    assert dict(Item.objects.values_list("pk", "priority")) == after
    assert ItemHealth.objects.get(item=items[9]).priority_boost == 2.0
    assert Prediction.objects.count() == 1
    bad_attr = world.client("manager").get(f"{url}/coverage/?attribute=a;drop")
    assert bad_attr.status_code == 400


def test_settings_are_per_project(world: World, capture: Any) -> None:
    url = f"/api/v1/projects/{world.project.pk}/data-health/settings/"
    body = world.client("ml_engineer").get(url).json()
    assert body["config"]["checks"]["blank"]["action"] == "quarantine"
    assert body["retention_days"] is None


@pytest.mark.usefixtures("media")
def test_imports_exports_settings_and_gold_are_audited(world: World, capture: Any) -> None:
    from tests.api.exchange_helpers import coco_document, post_import

    client = world.client("manager")
    base = f"/api/v1/projects/{world.project.pk}"
    assert client.patch(f"{base}/", {"settings": {"benchmark_rate": 0.1}}, format="json").status_code == 200
    assert (
        post_import(world, capture, format="coco", data=coco_document([("a.jpg", 10, 10)], {})).status_code
        == 202
    )
    with capture(execute=True):
        assert client.post(f"{base}/exports/", {"format": "coco"}, format="json").status_code == 202
    item = Item.objects.filter(project=world.project).first()
    assert item is not None
    gold = client.post(
        f"{base}/gold/",
        {
            "items": [
                {
                    "external_id": "g1",
                    "image_url": "https://img.example/g1.png",
                    "width": 10,
                    "height": 10,
                    "payload": {"boxes": []},
                }
            ]
        },
        format="json",
    )
    assert gold.status_code == 201, gold.json()
    events = client.get(f"{base}/data-health/audit/").json()["results"]
    assert [e["action"] for e in events] == ["gold", "export", "import", "settings"]
    assert {e["actor"] for e in events} == {"manager"}
    assert events[-1]["details"] == {"changed": ["settings"], "settings": {"benchmark_rate": 0.1}}
    only = client.get(f"{base}/data-health/audit/?action=export").json()["results"]
    assert [e["action"] for e in only] == ["export"]
