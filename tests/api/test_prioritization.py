"""Active-learning prioritisation: runs, fallbacks, crash safety, the queue endpoint, triggers."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

from annotation_qc.core.models import Job
from annotation_qc.labeling.models import Annotation, Item, ModelVersion, Task
from annotation_qc.labeling.services.imports import items_import, predictions_import
from annotation_qc.prioritization.models import PriorityRun
from annotation_qc.prioritization.services import runs, scoring
from annotation_qc.prioritization.services.triggers import prioritize_due_projects
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import annotation_submit
from tests.api.conftest import World
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def digits(world: World) -> World:
    """A classification project of 300 digits with pixel features; the first 60 are labeled."""
    project = world.project
    Item.objects.filter(project=project).delete()
    project.kind = "classification"
    project.labels = [str(d) for d in range(10)]
    project.overlap_fraction = 0.0
    project.save()
    data = load_digits()
    rows = [
        {
            "external_id": f"d{i:03d}",
            "image_url": f"https://img.example/d{i}.png",
            "width": 8,
            "height": 8,
            "features": data.data[i].tolist(),
        }
        for i in range(300)
    ]
    items_import(project=project, rows=rows)
    annotator = world.users["annotator"]
    for _ in range(60):
        task = task_next(project=project, annotator_id=annotator.pk)
        label = str(data.target[int(task.item.external_id[1:])])
        annotation_submit(
            task_id=task.pk, annotator_id=annotator.pk, payload={"label": label}, client_time_ms=5000
        )
    return world


@pytest.fixture(autouse=True)
def _run_on_commit(django_capture_on_commit_callbacks, monkeypatch) -> None:
    """The job is enqueued on commit; the test transaction never commits, so run the callbacks."""
    global _capture
    _capture = django_capture_on_commit_callbacks


_capture = None


def prioritize(world: World, **body) -> dict:
    with _capture(execute=True):
        response = world.client("ml_engineer").post(
            f"/api/v1/projects/{world.project.pk}/prioritize/", body, format="json"
        )
    assert response.status_code == 202, response.json()
    return response.json()


def live_priorities(world: World) -> list[tuple[int, float]]:
    """Every item's priority in the project's live column."""
    world.project.refresh_from_db()
    field = world.project.priority_field
    return list(Item.objects.filter(project=world.project).order_by("pk").values_list("pk", field))


def queue(world: World, **params) -> dict:
    response = world.client("ml_engineer").get(f"/api/v1/projects/{world.project.pk}/queue/", params)
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.mark.parametrize(
    "strategy", ["entropy", "margin", "least_confidence", "vote_entropy", "consensus_kl"]
)
def test_committee_strategy_orders_queue_and_dispatch(digits: World, strategy: str) -> None:
    started = prioritize(digits, strategy=strategy)
    job = digits.client("ml_engineer").get(f"/api/v1/jobs/{started['job_id']}/").json()
    assert job["status"] == "succeeded", job
    assert job["progress"] == 1.0
    assert job["result"]["labels_used"] == 60
    page = queue(digits, limit=240)
    assert page["strategy"] == strategy
    assert page["model_version"].startswith("committee:5x:60-labels:")
    scores = [r["score"] for r in page["results"]]
    assert len(scores) == 240
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) > 5  # a real ordering, not a constant (vote entropy over 5 votes is coarse)
    # Annotators are served in the same order.
    digits.project.refresh_from_db()  # the run flipped its live priority column
    first = task_next(project=digits.project, annotator_id=digits.users["annotator"].pk)
    assert first.item_id == page["results"][0]["item_id"]


def test_queue_pages_with_cursor(digits: World) -> None:
    prioritize(digits, strategy="entropy")
    first = queue(digits, limit=100)
    second = queue(digits, limit=100, cursor=first["next_cursor"])
    third = queue(digits, limit=100, cursor=second["next_cursor"])
    ids = [r["item_id"] for page in (first, second, third) for r in page["results"]]
    assert len(ids) == 240
    assert len(set(ids)) == 240
    assert third["next_cursor"] is None
    assert queue(digits, limit=5)["results"] == first["results"][:5]


def test_diversity_batch_spreads_the_front_of_the_queue(digits: World) -> None:
    prioritize(digits, strategy="entropy", diversity_k=10)
    front = [r["item_id"] for r in queue(digits, limit=10)["results"]]
    features = np.stack(
        [
            np.frombuffer(bytes(f), dtype="<f4")
            for f in Item.objects.filter(pk__in=front).values_list("features", flat=True)
        ]
    )
    distances = np.linalg.norm(features[:, None] - features[None], axis=2)
    assert distances[np.triu_indices(10, 1)].min() > 0  # no two identical items in the batch


def test_too_few_labels_falls_back_and_says_so(world: World) -> None:
    project = world.project
    Item.objects.filter(project=project).delete()
    project.kind = "classification"
    project.labels = ["a", "b"]
    project.save()
    items_import(
        project=project,
        rows=[
            {
                "external_id": f"i{i}",
                "image_url": "https://img.example/x.png",
                "width": 4,
                "height": 4,
                "features": [float(i), 1.0],
            }
            for i in range(20)
        ],
    )
    started = prioritize(world, strategy="entropy")
    job = Job.objects.get(pk=started["job_id"])
    assert job.status == "succeeded"
    assert "labeled items" in job.result["fallback_reason"]
    page = queue(world, limit=3)
    assert page["strategy"] == "import_order"
    assert "instead of entropy" in page["note"]
    assert [r["external_id"] for r in page["results"]] == ["i0", "i1", "i2"]


def test_no_features_or_predictions_keeps_import_order(world: World) -> None:
    started = prioritize(world, strategy="margin")
    job = Job.objects.get(pk=started["job_id"])
    assert "no features or predictions" in job.result["fallback_reason"]
    page = queue(world)
    assert page["strategy"] == "import_order"
    ids = [r["item_id"] for r in page["results"]]
    assert ids == sorted(ids)


def test_detection_uncertainty_from_uploaded_scores(world: World) -> None:
    items = list(Item.objects.filter(project=world.project).order_by("pk"))
    box = {"x": 1, "y": 1, "w": 10, "h": 10, "label": "car"}
    predictions_import(
        project=world.project,
        model_version="det-v1",
        rows=[
            {"external_id": items[0].external_id, "payload": {"boxes": [box]}, "scores": [0.99]},
            {"external_id": items[1].external_id, "payload": {"boxes": [box]}, "scores": [0.5]},
            {"external_id": items[2].external_id, "payload": {"boxes": [box, box]}, "scores": [0.9, 0.6]},
        ],
    )
    prioritize(world, strategy="detection_uncertainty")
    page = queue(world)
    assert page["model_version"] == "predictions:det-v1"
    assert [r["item_id"] for r in page["results"]] == [items[1].pk, items[2].pk, items[0].pk]


def test_detection_disagreement_across_model_versions(world: World) -> None:
    items = list(Item.objects.filter(project=world.project).order_by("pk"))
    box = {"x": 10, "y": 10, "w": 50, "h": 50, "label": "car"}
    moved = {**box, "x": 20}  # IoU 2/3 with the first model's box
    for version, second in (("m1", box), ("m2", moved)):
        predictions_import(
            project=world.project,
            model_version=version,
            rows=[
                {"external_id": items[0].external_id, "payload": {"boxes": [box]}},
                {"external_id": items[1].external_id, "payload": {"boxes": [second]}},
                {"external_id": items[2].external_id, "payload": {"boxes": [box] if version == "m1" else []}},
            ],
        )
    ModelVersion.objects.filter(project=world.project).update(in_committee=True)
    prioritize(world, strategy="detection_disagreement")
    order = [r["item_id"] for r in queue(world)["results"]]
    assert order == [items[2].pk, items[1].pk, items[0].pk]


def test_crashed_run_leaves_previous_order_and_rerun_succeeds(digits: World, monkeypatch) -> None:
    prioritize(digits, strategy="entropy")
    before = live_priorities(digits)
    original = scoring.score_range

    def crash(**kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(scoring, "score_range", crash)
    with pytest.raises(RuntimeError), _capture(execute=True):
        runs.prioritize_start(project=digits.project, strategy="margin", trigger="manual", user_id=None)
    after = live_priorities(digits)
    assert after == before
    assert PriorityRun.objects.get(status="active").strategy == "entropy"
    monkeypatch.setattr(scoring, "score_range", original)
    prioritize(digits, strategy="margin")
    assert PriorityRun.objects.get(status="active").strategy == "margin"
    assert PriorityRun.objects.filter(status="superseded").count() >= 1


def test_failing_chunk_marks_job_failed_and_keeps_order(digits: World, monkeypatch) -> None:
    prioritize(digits, strategy="entropy")
    before = live_priorities(digits)

    def crash(**kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(scoring, "score_range", crash)
    with pytest.raises(RuntimeError):
        prioritize(digits, strategy="margin")
    failed = PriorityRun.objects.exclude(status__in=["active", "superseded"]).get()
    assert failed.status == "failed"
    assert failed.job.status == "failed"
    assert live_priorities(digits) == before


def test_bad_inputs(world: World) -> None:
    client = world.client("ml_engineer")
    response = client.post(
        f"/api/v1/projects/{world.project.pk}/prioritize/", {"strategy": "psychic"}, format="json"
    )
    assert response.status_code == 400
    assert "strategy" in response.json()["errors"]
    response = client.get(f"/api/v1/projects/{world.project.pk}/queue/", {"cursor": "!!!"})
    assert response.status_code == 400
    assert "cursor" in response.json()["errors"]


def test_new_labels_trigger_a_run(digits: World) -> None:
    digits.project.strategy = "entropy"
    digits.project.prioritize_every = 50
    digits.project.save()
    assert prioritize_due_projects() == 1  # 60 labels and never prioritised
    assert prioritize_due_projects() == 0  # nothing new since
    other = ProjectFactory(prioritize_every=1, strategy="entropy")
    assert not Annotation.objects.filter(project=other).exists()
    assert prioritize_due_projects() == 0
    assert Task.objects.filter(project=digits.project).count() == 60
