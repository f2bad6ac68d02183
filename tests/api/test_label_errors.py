"""Label-error detection over accepted items: the job, the ranked list (JSON, CSV), bad inputs."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_digits

from annotation_qc.core.models import Job
from annotation_qc.labeling.models import Annotation, Item, Prediction
from annotation_qc.labeling.services.imports import items_import
from annotation_qc.review.models import LabelErrorRun
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import annotation_submit
from tests.api.conftest import World
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FLIPPED = (3, 17, 42, 88, 120, 150)


def _label_all(world: World, label_of: Any, annotator: Any = None) -> None:
    annotator = annotator or world.users["annotator"]
    while (task := task_next(project=world.project, annotator_id=annotator.pk)) is not None:
        annotation_submit(
            task_id=task.pk,
            annotator_id=annotator.pk,
            payload=label_of(task.item),
            client_time_ms=5000,
        )


@pytest.fixture
def digits(world: World) -> World:
    """180 digits (classes 0-4) with pixel features, all labelled; six labels flipped."""
    project = world.project
    Item.objects.filter(project=project).delete()
    project.kind = "classification"
    project.labels = [str(d) for d in range(5)]
    project.save()
    data = load_digits(n_class=5)
    items_import(
        project=project,
        rows=[
            {
                "external_id": f"d{i:03d}",
                "image_url": f"https://img.example/d{i}.png",
                "width": 8,
                "height": 8,
                "features": data.data[i].tolist(),
            }
            for i in range(180)
        ],
    )

    def label_of(item: Item) -> dict[str, str]:
        index = int(item.external_id[1:])
        digit = int(data.target[index])
        return {"label": str((digit + 1) % 5 if index in FLIPPED else digit)}

    _label_all(world, label_of)
    return world


def _start(world: World, capture: Any, role: str = "manager", **body: Any) -> Any:
    with capture(execute=True):
        response = world.client(role).post(
            f"/api/v1/projects/{world.project.pk}/label-errors/", body, format="json"
        )
    assert response.status_code == 202, response.content
    return response.json()


def test_committee_finds_the_flipped_digits_and_explains_them(digits: World, capture: Any) -> None:
    started = _start(digits, capture)
    job = Job.objects.get(pk=started["job_id"])
    assert job.status == Job.Status.SUCCEEDED, job.message
    body = digits.client("ml_engineer").get(f"/api/v1/projects/{digits.project.pk}/label-errors/").json()
    assert body["run"]["status"] == "succeeded"
    assert body["run"]["items"] == 180
    found = {int(row["external_id"][1:]) for row in body["results"]}
    assert len(found & set(FLIPPED)) >= 5
    assert len(found - set(FLIPPED)) <= 3
    top = body["results"][0]
    assert [row["rank"] for row in body["results"]] == list(range(1, len(body["results"]) + 1))
    assert top["score"] >= body["results"][-1]["score"]
    given, suggested = top["given_label"], top["suggested_label"]
    assert given != suggested
    assert top["reason"] == f"labelled {given}, model {top['model_confidence']:.2f} {suggested}"
    assert top["annotator"] == "annotator"
    assert Annotation.objects.filter(pk=top["annotation_id"], item_id=top["item_id"]).exists()


def test_csv_lists_every_suspect(digits: World, capture: Any) -> None:
    _start(digits, capture)
    url = f"/api/v1/projects/{digits.project.pk}/label-errors/"
    listed = digits.client("manager").get(url, {"limit": 2}).json()
    assert len(listed["results"]) == 2
    response = digits.client("manager").get(url, {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == listed["count"]
    assert rows[0]["reason"].startswith("labelled ")
    assert "details" not in rows[0]


def test_uploaded_model_probabilities(digits: World, capture: Any) -> None:
    """A model's own probabilities are used as they are (it did not train on these labels)."""
    items = list(Item.objects.filter(project=digits.project).order_by("pk"))
    data = load_digits(n_class=5)
    Prediction.objects.bulk_create(
        Prediction(
            item=item,
            model_version="resnet-7",
            payload={"label": "0"},
            proba=np.eye(5)[data.target[int(item.external_id[1:])]].clip(0.01, 0.96).tolist(),
        )
        for item in items
    )
    _start(digits, capture, role="ml_engineer", model_version="resnet-7")
    body = digits.client("manager").get(f"/api/v1/projects/{digits.project.pk}/label-errors/").json()
    assert body["run"]["source"] == "model"
    assert {int(row["external_id"][1:]) for row in body["results"]} == set(FLIPPED)
    top = body["results"][0]
    assert top["reason"] == f"labelled {top['given_label']}, model 0.96 {top['suggested_label']}"


def test_unknown_model_version_fails_with_a_reason(digits: World, capture: Any) -> None:
    started = _start(digits, capture, model_version="nope")
    job = Job.objects.get(pk=started["job_id"])
    assert job.status == Job.Status.FAILED
    assert "model version 'nope'" in job.message
    body = digits.client("manager").get(f"/api/v1/projects/{digits.project.pk}/label-errors/").json()
    assert body["run"] is None
    assert body["latest_run"]["status"] == "failed"
    assert body["results"] == []


def test_too_few_labels_or_one_class_give_a_clear_reason(world: World, capture: Any) -> None:
    project = world.project
    project.kind = "classification"
    project.feature_dim = 2
    project.save()
    Item.objects.filter(project=project).update(features=np.zeros(2, dtype="<f4").tobytes())
    _label_all(world, lambda item: {"label": "car"})
    started = _start(world, capture)
    run = LabelErrorRun.objects.get(pk=started["run_id"])
    assert run.status == LabelErrorRun.Status.FAILED
    assert run.message == "only 3 labelled items, label-error detection needs at least 10"
    items_import(
        project=project,
        rows=[
            {
                "external_id": f"x{i}",
                "image_url": f"https://img.example/x{i}.png",
                "width": 4,
                "height": 4,
                "features": [0.0, float(i)],
            }
            for i in range(12)
        ],
    )
    _label_all(world, lambda item: {"label": "car"})
    started = _start(world, capture)
    run = LabelErrorRun.objects.get(pk=started["run_id"])
    assert run.status == LabelErrorRun.Status.FAILED
    assert "same class" in run.message


def test_no_features_and_no_model_says_what_to_do(world: World, capture: Any) -> None:
    world.project.kind = "classification"
    world.project.save()
    _label_all(world, lambda item: {"label": "car"})
    started = _start(world, capture)
    assert "no accepted item has features" in Job.objects.get(pk=started["job_id"]).message


def test_crowd_flags_a_consensus_the_model_and_annotators_doubt(digits: World, capture: Any) -> None:
    """Double-labelled items: a stored consensus that the annotators plus the model outweigh."""
    from django.utils import timezone

    from annotation_qc.agreement.models import Consensus

    second = UserFactory(username="second")
    digits.project.memberships.create(user=second, role="annotator")
    items = list(Item.objects.filter(project=digits.project).order_by("pk")[:40])
    data = load_digits(n_class=5)
    from annotation_qc.labeling.models import Task

    for item in items:
        truth = str(int(data.target[int(item.external_id[1:])]))
        task = Task.objects.create(
            project=digits.project,
            item=item,
            annotator=second,
            status="submitted",
            served_at=timezone.now(),
            lease_expires_at=timezone.now(),
            finished_at=timezone.now(),
        )
        Annotation.objects.create(
            task=task,
            project=digits.project,
            item=item,
            annotator=second,
            payload={"label": truth},
            server_time_ms=1000,
            submitted_at=timezone.now(),
        )
        first = Annotation.objects.get(item=item, annotator=digits.users["annotator"]).payload["label"]
        # A wrong consensus on item 0 (a manager's slip); the others take the true label.
        chosen = str((int(truth) + 2) % 5) if item == items[0] else truth
        if first == truth or item == items[0]:
            Consensus.objects.create(
                project=digits.project,
                item=item,
                payload={"label": chosen},
                method="manual",
                n_annotations=2,
                computed_at=timezone.now(),
            )
    _start(digits, capture)
    body = (
        digits.client("manager")
        .get(f"/api/v1/projects/{digits.project.pk}/label-errors/", {"limit": 1000})
        .json()
    )
    rows = {row["item_id"]: row for row in body["results"]}
    assert items[0].pk in rows
    assert body["run"]["result"]["annotators"]


def _bbox_world(world: World) -> list[Item]:
    items = list(Item.objects.filter(project=world.project).order_by("pk"))
    car = {"x": 10.0, "y": 10.0, "w": 50.0, "h": 40.0}
    person = {"x": 200.0, "y": 100.0, "w": 30.0, "h": 80.0}
    for item in items:
        Prediction.objects.create(
            item=item,
            model_version="det-1",
            payload={"boxes": [{**car, "label": "car"}, {**person, "label": "person"}]},
            scores=[0.95, 0.9],
        )
    answers = {
        items[0].pk: [{**car, "label": "car"}, {**person, "label": "person"}],  # right
        items[1].pk: [{**car, "label": "bike"}, {**person, "label": "person"}],  # wrong class
        items[2].pk: [{**car, "label": "car"}],  # person overlooked
    }
    _label_all(world, lambda item: {"boxes": answers[item.pk]})
    return items


def test_boxes_against_model_predictions(world: World, capture: Any) -> None:
    items = _bbox_world(world)
    _register(world, "det-1")
    _start(world, capture)
    body = world.client("manager").get(f"/api/v1/projects/{world.project.pk}/label-errors/").json()
    assert body["run"]["model_version"] == "det-1"
    rows = {row["item_id"]: row for row in body["results"]}
    assert set(rows) == {items[1].pk, items[2].pk}
    assert rows[items[1].pk]["kind"] == "wrong_class"
    assert rows[items[1].pk]["reason"] == "box labelled bike, model 0.95 car"
    assert rows[items[1].pk]["details"][0]["box"] == 0
    assert rows[items[2].pk]["kind"] == "overlooked"
    assert rows[items[2].pk]["details"][0]["predicted_box"]["label"] == "person"
    only = (
        world.client("manager")
        .get(f"/api/v1/projects/{world.project.pk}/label-errors/", {"kind": "overlooked"})
        .json()
    )
    assert [row["item_id"] for row in only["results"]] == [items[2].pk]


def test_boxes_without_predictions_fail_with_a_reason(world: World, capture: Any) -> None:
    _label_all(world, lambda item: {"boxes": []})
    started = _start(world, capture)
    assert "no model predictions with box scores" in Job.objects.get(pk=started["job_id"]).message


def test_bad_input_names_the_field(world: World) -> None:
    url = f"/api/v1/projects/{world.project.pk}/label-errors/"
    response = world.client("manager").get(url, {"limit": 0})
    assert response.status_code == 400
    assert "limit" in response.json()["errors"]
    response = world.client("manager").post(url, {"model_version": "x" * 101}, format="json")
    assert response.status_code == 400
    assert "model_version" in response.json()["errors"]
    assert not LabelErrorRun.objects.exists()


def test_beat_starts_a_run_once_labeling_is_done(digits: World, capture: Any) -> None:
    from annotation_qc.review.services.label_errors import label_errors_due_projects

    with capture(execute=True):
        assert label_errors_due_projects() == [digits.project.pk]
    assert LabelErrorRun.objects.get().status == LabelErrorRun.Status.SUCCEEDED
    with capture(execute=True):
        assert label_errors_due_projects() == []  # nothing new since


def _register(world: World, name: str, **roles: Any) -> None:
    from django.utils import timezone

    from annotation_qc.labeling.models import ModelVersion

    ModelVersion.objects.create(project=world.project, name=name, uploaded_at=timezone.now(), **roles)


def test_boxes_use_the_registered_current_version_not_the_newest_upload(world: World, capture: Any) -> None:
    """The detector marked current scores the boxes, though a newer version uploaded predictions."""
    items = _bbox_world(world)
    _register(world, "det-1", is_current=True)
    _register(world, "det-2")
    for item in items:  # a newer upload that agrees with every answer given
        answer = Annotation.objects.get(item=item).payload
        Prediction.objects.create(
            item=item,
            model_version="det-2",
            payload=answer,
            scores=[0.99] * len(answer["boxes"]),
        )
    _start(world, capture)
    body = world.client("manager").get(f"/api/v1/projects/{world.project.pk}/label-errors/").json()
    assert body["run"]["model_version"] == "det-1"
    assert {row["item_id"] for row in body["results"]} == {items[1].pk, items[2].pk}


def test_boxes_with_a_current_version_without_scores_fail_with_a_reason(world: World, capture: Any) -> None:
    _bbox_world(world)
    _register(world, "det-1")
    _register(world, "det-0", is_current=True)  # registered, no predictions uploaded
    started = _start(world, capture)
    message = Job.objects.get(pk=started["job_id"]).message
    assert "'det-0' is marked current" in message


def test_classification_uses_the_current_version_probabilities(digits: World, capture: Any) -> None:
    """With no version named, the current model's probabilities are used instead of the committee
    trained on features (here the features are constant, so only the model can find the flips)."""
    items = list(Item.objects.filter(project=digits.project).order_by("pk"))
    Item.objects.filter(project=digits.project).update(features=np.zeros(64, dtype="<f4").tobytes())
    data = load_digits(n_class=5)
    Prediction.objects.bulk_create(
        Prediction(
            item=item,
            model_version="resnet-7",
            payload={"label": "0"},
            proba=np.eye(5)[data.target[int(item.external_id[1:])]].clip(0.01, 0.96).tolist(),
        )
        for item in items
    )
    _register(digits, "resnet-7", is_current=True)
    _start(digits, capture)
    body = digits.client("manager").get(f"/api/v1/projects/{digits.project.pk}/label-errors/").json()
    assert body["run"]["source"] == "model"
    assert body["run"]["model_version"] == "resnet-7"
    assert {int(row["external_id"][1:]) for row in body["results"]} == set(FLIPPED)


def test_classification_averages_the_registered_committee(digits: World, capture: Any) -> None:
    """No current version: the versions marked as committee members, their probabilities averaged."""
    items = list(Item.objects.filter(project=digits.project).order_by("pk"))
    Item.objects.filter(project=digits.project).update(features=np.zeros(64, dtype="<f4").tobytes())
    data = load_digits(n_class=5)
    for name, sharp in (("m-a", 0.9), ("m-b", 0.8)):
        Prediction.objects.bulk_create(
            Prediction(
                item=item,
                model_version=name,
                payload={"label": "0"},
                proba=(
                    np.eye(5)[data.target[int(item.external_id[1:])]] * (sharp - (1 - sharp) / 4)
                    + (1 - sharp) / 4
                ).tolist(),
            )
            for item in items
        )
        _register(digits, name, in_committee=True)
    _register(digits, "unrelated")  # registered, not in the committee: ignored
    _start(digits, capture)
    body = digits.client("manager").get(f"/api/v1/projects/{digits.project.pk}/label-errors/").json()
    assert body["run"]["source"] == "committee_models"
    assert body["run"]["model_version"] == "m-a,m-b"
    assert {int(row["external_id"][1:]) for row in body["results"]} == set(FLIPPED)
    assert body["results"][0]["model_confidence"] == pytest.approx(0.85)
