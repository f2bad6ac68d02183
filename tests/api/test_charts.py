"""Chart data: JSON and CSV, figures from the database."""

from __future__ import annotations

import csv
import io

import pytest

from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import annotation_submit
from tests.api.conftest import World

pytestmark = pytest.mark.django_db


def _submit(world: World, label: str) -> None:
    task = task_next(project=world.project, annotator_id=world.users["annotator"].pk)
    assert task is not None
    box = {"x": 1, "y": 1, "w": 3, "h": 3, "label": label}
    annotation_submit(
        task_id=task.pk,
        annotator_id=task.annotator_id,
        payload={"boxes": [box, box | {"x": 5}]},
        client_time_ms=9000,
    )


def test_throughput_and_label_mix_count_what_was_submitted(world: World) -> None:
    _submit(world, "car")
    _submit(world, "person")
    client = world.client("manager")
    base = f"/api/v1/projects/{world.project.pk}/charts"
    throughput = client.get(f"{base}/throughput/").json()
    assert throughput["columns"] == ["day", "submitted", "skipped"]
    assert sum(r["submitted"] for r in throughput["rows"]) == 2
    mix = client.get(f"{base}/label-mix/").json()["rows"]
    assert {r["label"]: r["count"] for r in mix} == {"car": 2, "person": 2}
    response = client.get(f"{base}/label-mix/?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert sorted((r["label"], r["count"]) for r in rows) == [("car", "2"), ("person", "2")]


def test_queue_scores_histogram_covers_every_open_item(world: World) -> None:
    world.project.items.update(priority=0.25)
    rows = (
        world.client("ml_engineer")
        .get(f"/api/v1/projects/{world.project.pk}/charts/queue-scores/")
        .json()["rows"]
    )
    assert sum(r["count"] for r in rows) == world.project.items.filter(open_slots__gt=0).count()


def test_unknown_chart_is_404(world: World) -> None:
    response = world.client("manager").get(f"/api/v1/projects/{world.project.pk}/charts/nope/")
    assert response.status_code == 404


def test_csv_cells_cannot_start_a_formula() -> None:
    from annotation_qc.charts.renderers import ChartCsvRenderer

    out = ChartCsvRenderer().render({"columns": ["label"], "rows": [{"label": "=HYPERLINK(1)"}]}).decode()
    assert out.splitlines()[1] == "'=HYPERLINK(1)"


def test_skill_and_benchmark_outcomes_from_scored_benchmarks(world: World) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from annotation_qc.benchmarks.models import BenchmarkTask, GoldAnnotation
    from tests.factories import ItemFactory, TaskFactory

    annotator = world.users["annotator"]
    start = timezone.now() - timedelta(days=2)
    outcomes = [("shift", True, 0), ("shift", False, 0), ("drop", True, 1)]
    for i, (kind, fixed, day) in enumerate(outcomes):
        item = ItemFactory(project=world.project, is_gold=True)
        gold = GoldAnnotation.objects.create(project=world.project, item=item, payload={"boxes": []})
        task = TaskFactory(
            project=world.project, item=item, annotator=annotator, kind="benchmark", status="submitted"
        )
        BenchmarkTask.objects.create(
            task=task,
            project=world.project,
            annotator=annotator,
            gold=gold,
            gold_payload={"boxes": []},
            error_kind=kind,
            fixed=fixed,
            scored_at=start + timedelta(days=day, minutes=i),
        )
    client = world.client("manager")
    base = f"/api/v1/projects/{world.project.pk}/charts"
    outcome_rows = client.get(f"{base}/benchmark-outcomes/").json()["rows"]
    assert outcome_rows == [
        {"error_kind": "drop", "fixed": 1, "missed": 0},
        {"error_kind": "shift", "fixed": 1, "missed": 1},
    ]
    skill = client.get(f"{base}/skill/").json()["rows"]
    # One point per annotator per day: the running accuracy at the day's end.
    assert [(r["benchmarks"], r["accuracy"]) for r in skill] == [(2, 0.5), (3, pytest.approx(0.6667))]
    assert all(r["low"] <= r["accuracy"] <= r["high"] for r in skill)
    assert skill[0]["username"] == "annotator"
