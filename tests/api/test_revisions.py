"""Going back to own answers: editable within the project's window, a version kept, alike for every task."""

from __future__ import annotations

from datetime import timedelta

import pytest

from annotation_qc.drafts.models import AnnotationRevision
from annotation_qc.labeling.models import Annotation
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import annotation_submit
from tests.api.conftest import World

pytestmark = pytest.mark.django_db

BOX = {"x": 1, "y": 1, "w": 3, "h": 3, "label": "car"}


def _answer(world: World) -> str:
    """Submit one task; its public id (what the annotator's client knows it by)."""
    task = task_next(project=world.project, annotator_id=world.users["annotator"].pk)
    assert task is not None
    annotation_submit(
        task_id=task.pk, annotator_id=task.annotator_id, payload={"boxes": [BOX]}, client_time_ms=4000
    )
    return task.public_id


def test_change_a_recent_answer_keeps_the_old_version(world: World) -> None:
    task_id = _answer(world)
    client = world.client("annotator")
    listed = client.get(f"/api/v1/projects/{world.project.pk}/my-answers/").json()["results"]
    assert [(r["task_id"], r["editable"], r["payload"]) for r in listed] == [
        (task_id, True, {"boxes": [BOX]})
    ]
    moved = {**BOX, "x": 5, "label": "person"}
    response = client.put(f"/api/v1/tasks/{task_id}/answer/", {"payload": {"boxes": [moved]}}, format="json")
    assert response.status_code == 200
    assert response.json()["versions"] == 2
    assert Annotation.objects.get(task__public_id=task_id).payload == {"boxes": [moved]}
    (old,) = AnnotationRevision.objects.filter(annotation__task__public_id=task_id)
    assert (old.number, old.payload) == (1, {"boxes": [BOX]})


def test_bad_payload_after_window_and_others_answers(world: World) -> None:
    task_id = _answer(world)
    client = world.client("annotator")
    url = f"/api/v1/tasks/{task_id}/answer/"
    bad = client.put(url, {"payload": {"boxes": [{**BOX, "label": "boat"}]}}, format="json")
    assert bad.status_code == 400
    assert any(k.startswith("payload.boxes[0]") for k in bad.json()["errors"])
    assert world.client("manager").put(url, {"payload": {"boxes": []}}, format="json").status_code == 404
    Annotation.objects.filter(task__public_id=task_id).update(
        submitted_at=Annotation.objects.get(task__public_id=task_id).submitted_at - timedelta(hours=1)
    )
    late = client.put(url, {"payload": {"boxes": []}}, format="json")
    assert late.status_code == 409
    assert "task" in late.json()["errors"]
    listed = client.get(f"/api/v1/projects/{world.project.pk}/my-answers/").json()["results"]
    assert listed[0]["editable"] is False
    world.project.edit_window_seconds = 0
    world.project.save()
    assert client.put(url, {"payload": {"boxes": []}}, format="json").status_code == 409
    assert not AnnotationRevision.objects.exists()


def test_answers_look_alike_whatever_the_task(world: World) -> None:
    _answer(world)
    row = (
        world.client("annotator").get(f"/api/v1/projects/{world.project.pk}/my-answers/").json()["results"][0]
    )
    assert set(row) == {
        "task_id",
        "kind",
        "labels",
        "item",
        "payload",
        "submitted_at",
        "editable_until",
        "editable",
    }
    assert set(row["item"]) == {"id", "image_url", "width", "height"}


def test_managers_view_an_answer_with_its_image_and_findings(world: World) -> None:
    task = task_next(project=world.project, annotator_id=world.users["annotator"].pk)
    assert task is not None
    big = {"x": 0, "y": 0, "w": task.item.width, "h": task.item.height, "label": "car"}
    annotation, _ = annotation_submit(
        task_id=task.pk, annotator_id=task.annotator_id, payload={"boxes": [big]}, client_time_ms=9000
    )
    body = (
        world.client("manager")
        .get(f"/api/v1/projects/{world.project.pk}/annotations/{annotation.pk}/")
        .json()
    )
    assert body["payload"] == {"boxes": [big]}
    assert body["annotator"] == "annotator"
    assert body["item"]["width"] == task.item.width
    assert [f["code"] for f in body["findings"]] == list(
        annotation.findings.order_by("pk").values_list("code", flat=True)
    )
    other = world.client("outsider").get(f"/api/v1/projects/{world.project.pk}/annotations/{annotation.pk}/")
    assert other.status_code == 404
