"""Registered model versions: the API, their roles, and which versions prioritisation uses."""

from __future__ import annotations

import time
from typing import Any

import pytest

from annotation_qc.core.models import Job
from annotation_qc.labeling.models import Item, ModelVersion, Prediction
from annotation_qc.labeling.services.imports import predictions_import
from tests.api.conftest import ROLES, World
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def classes(world: World) -> World:
    """A classification project of 3 items without features (prioritised from uploaded proba)."""
    project = world.project
    project.kind = "classification"
    project.labels = ["a", "b"]
    project.save()
    return world


def url(world: World, version_id: int | None = None) -> str:
    base = f"/api/v1/projects/{world.project.pk}/model-versions/"
    return base if version_id is None else f"{base}{version_id}/"


def upload(world: World, name: str, proba: dict[int, list[float]]) -> None:
    items = list(Item.objects.filter(project=world.project).order_by("pk"))
    predictions_import(
        project=world.project,
        model_version=name,
        rows=[
            {"external_id": items[i].external_id, "payload": {"label": "a"}, "proba": p}
            for i, p in proba.items()
        ],
        owner_id=world.users["ml_engineer"].pk,
    )
    time.sleep(0.002)  # distinct upload times on coarse clocks


def run(world: World, capture: Any, strategy: str) -> dict[str, Any]:
    with capture(execute=True):
        response = world.client("ml_engineer").post(
            f"/api/v1/projects/{world.project.pk}/prioritize/", {"strategy": strategy}, format="json"
        )
    assert response.status_code == 202, response.json()
    job = Job.objects.get(pk=response.json()["job_id"])
    assert job.status == "succeeded", job.message
    page = world.client("ml_engineer").get(f"/api/v1/projects/{world.project.pk}/queue/").json()
    return {"job": job, "page": page, "order": [r["item_id"] for r in page["results"]]}


#: v9 is sure about item 0 and unsure about item 2; v10 the other way round.
V9 = {0: [0.99, 0.01], 1: [0.8, 0.2], 2: [0.5, 0.5]}
V10 = {0: [0.5, 0.5], 1: [0.8, 0.2], 2: [0.99, 0.01]}


@pytest.mark.parametrize("order", [("v9", "v10"), ("v10", "v9")])
def test_uncertainty_uses_the_newest_upload_not_the_last_name(classes: World, capture: Any, order) -> None:
    for name in order:
        upload(classes, name, V9 if name == "v9" else V10)
    newest = order[-1]
    result = run(classes, capture, "margin")
    ids = list(Item.objects.filter(project=classes.project).order_by("pk").values_list("pk", flat=True))
    assert result["page"]["model_version"] == f"predictions:{newest}"
    assert result["page"]["model_versions"] == [newest]
    most_uncertain = ids[2] if newest == "v9" else ids[0]
    assert result["order"][0] == most_uncertain


def test_the_version_marked_current_wins_over_a_newer_upload(classes: World, capture: Any) -> None:
    upload(classes, "v9", V9)
    upload(classes, "v10", V10)
    v9 = ModelVersion.objects.get(project=classes.project, name="v9")
    response = classes.client("ml_engineer").patch(url(classes, v9.pk), {"current": True}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["current"] is True
    assert run(classes, capture, "entropy")["page"]["model_versions"] == ["v9"]


def test_current_without_predictions_gives_a_clear_reason(classes: World, capture: Any) -> None:
    upload(classes, "v9", V9)
    response = classes.client("ml_engineer").post(
        url(classes), {"name": "v11", "current": True}, format="json"
    )
    assert response.status_code == 201, response.json()
    result = run(classes, capture, "least_confidence")
    reason = result["job"].result["fallback_reason"]
    assert "'v11' is marked current but has no class probabilities" in reason
    assert result["page"]["strategy"] == "import_order"
    assert result["page"]["note"] == reason


def test_query_by_committee_uses_the_marked_members_only(classes: World, capture: Any) -> None:
    upload(classes, "v9", V9)
    upload(classes, "v10", V10)
    upload(classes, "v11", V9)
    result = run(classes, capture, "vote_entropy")
    assert "at least 2 model versions marked as committee members" in result["job"].result["fallback_reason"]
    assert result["page"]["strategy"] == "import_order"
    for name in ("v9", "v10"):
        version = ModelVersion.objects.get(project=classes.project, name=name)
        classes.client("manager").patch(url(classes, version.pk), {"committee": True}, format="json")
    result = run(classes, capture, "vote_entropy")
    assert result["page"]["strategy"] == "vote_entropy"
    assert result["page"]["model_versions"] == ["v9", "v10"]
    assert result["page"]["model_version"] == "predictions:v9,v10"
    # A member without class probabilities is left out, and the run says so.
    classes.client("manager").post(url(classes), {"name": "empty", "committee": True}, format="json")
    result = run(classes, capture, "vote_entropy")
    assert result["page"]["model_versions"] == ["v9", "v10"]
    assert "left out: empty" in result["job"].result["fallback_reason"]


def test_predictions_import_registers_the_version_with_owner_and_upload_time(classes: World) -> None:
    item = Item.objects.filter(project=classes.project).first()
    response = classes.client("ml_engineer").post(
        f"/api/v1/projects/{classes.project.pk}/predictions/",
        {
            "model_version": "v3",
            "predictions": [{"external_id": item.external_id, "payload": {"label": "b"}}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    listed = classes.client("manager").get(url(classes)).json()
    assert [(v["name"], v["owner"]) for v in listed] == [("v3", classes.users["ml_engineer"].username)]
    assert listed[0]["uploaded_at"] is not None
    assert listed[0]["current"] is False
    assert listed[0]["committee"] is False


def test_register_validate_and_manage(classes: World) -> None:
    client = classes.client("ml_engineer")
    first = client.post(url(classes), {"name": "a", "current": True}, format="json")
    assert first.status_code == 201
    assert first.json()["owner"] == classes.users["ml_engineer"].username
    assert client.post(url(classes), {"name": "a"}, format="json").status_code == 409
    blank = client.post(url(classes), {"name": "  "}, format="json")
    assert blank.status_code == 400
    assert "name" in blank.json()["errors"]
    assert client.post(url(classes), {"name": "x" * 101}, format="json").status_code == 400
    bad = client.post(url(classes), {"name": "b", "current": "maybe"}, format="json")
    assert bad.status_code == 400
    assert "current" in bad.json()["errors"]
    # Marking another version current takes the mark from the first: one current per project.
    second = client.post(url(classes), {"name": "b", "current": True}, format="json").json()
    assert ModelVersion.objects.get(pk=first.json()["id"]).is_current is False
    assert ModelVersion.objects.get(pk=second["id"]).is_current is True
    rename = client.patch(url(classes, second["id"]), {"name": "c"}, format="json")
    assert rename.status_code == 400
    assert "name" in rename.json()["errors"]
    # Deleting a version deletes its predictions.
    upload(classes, "b", {0: [0.5, 0.5]})
    assert client.delete(url(classes, second["id"])).status_code == 204
    assert not Prediction.objects.filter(model_version="b").exists()
    assert client.get(url(classes, second["id"])).status_code == 404


def test_a_version_of_another_project_is_not_found(classes: World) -> None:
    other = ModelVersion.objects.create(project=ProjectFactory(), name="theirs")
    client = classes.client("manager")
    assert client.get(url(classes, other.pk)).status_code == 404
    assert client.patch(url(classes, other.pk), {"current": True}, format="json").status_code == 404
    assert client.delete(url(classes, other.pk)).status_code == 404
    assert ModelVersion.objects.filter(pk=other.pk).exists()


EXPECTED = {"annotator": 403, "manager": None, "ml_engineer": None, "outsider": 404, "anonymous": 401}


@pytest.mark.parametrize("role", ROLES)
def test_permissions(world: World, role: str) -> None:
    version = ModelVersion.objects.create(project=world.project, name="v1")
    client = world.client(role)
    calls = [
        ("get", url(world), None, 200),
        ("post", url(world), {"name": f"new-{role}"}, 201),
        ("get", url(world, version.pk), None, 200),
        ("patch", url(world, version.pk), {"committee": True}, 200),
        ("delete", url(world, version.pk), None, 204),
    ]
    for method, path, body, ok in calls:
        response = (
            getattr(client, method)(path, body, format="json") if body else getattr(client, method)(path)
        )
        assert response.status_code == (EXPECTED[role] or ok), (method, path, response.status_code)
