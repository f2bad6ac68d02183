from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from annotation_qc.labeling.models import Annotation, Item, Task
from annotation_qc.labeling.services.dispatch import leases_reclaim
from annotation_qc.workflow.dispatch_pipeline import task_next
from tests.api.conftest import World
from tests.factories import ItemFactory, MembershipFactory, PredictionFactory, UserFactory

pytestmark = pytest.mark.django_db

BOX = {"x": 10, "y": 10, "w": 30, "h": 30, "label": "car"}


def next_task(world: World, role: str = "annotator"):
    return world.client(role).post(f"/api/v1/projects/{world.project.pk}/next-task/")


def test_next_task_shape_and_open_task_comes_back_first(world: World) -> None:
    first = next_task(world)
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {
        "id",
        "project_id",
        "kind",
        "labels",
        "item",
        "pre_annotation",
        "phase",
        "status",
        "served_at",
        "lease_expires_at",
    }
    assert set(body["item"]) == {"id", "image_url", "width", "height"}
    assert body["labels"] == ["car", "person", "bike"]
    assert next_task(world).json()["id"] == body["id"]


def test_items_served_in_priority_order_ties_by_id(world: World) -> None:
    Item.objects.filter(project=world.project).delete()
    low = ItemFactory(project=world.project, priority=0.1)
    tie_a = ItemFactory(project=world.project, priority=0.9)
    tie_b = ItemFactory(project=world.project, priority=0.9)
    high = ItemFactory(project=world.project, priority=5.0)
    client = world.client("annotator")
    served = []
    for _ in range(4):
        task = next_task(world).json()
        served.append(task["item"]["id"])
        assert (
            client.post(
                f"/api/v1/tasks/{task['id']}/submit/", {"payload": {"boxes": []}}, format="json"
            ).status_code
            == 201
        )
    assert served == [high.public_id, tie_a.public_id, tie_b.public_id, low.public_id]
    assert next_task(world).status_code == 204


def test_pre_annotation_is_the_latest_prediction(world: World) -> None:
    Item.objects.filter(project=world.project).delete()
    item = ItemFactory(project=world.project)
    PredictionFactory(item=item, model_version="v1")
    newest = PredictionFactory(item=item, model_version="v2", payload={"boxes": [{**BOX, "label": "bike"}]})
    assert next_task(world).json()["pre_annotation"] == newest.payload


def test_overlap_item_goes_to_distinct_annotators(world: World) -> None:
    Item.objects.filter(project=world.project).delete()
    item = ItemFactory(project=world.project, required_annotations=2)
    second = UserFactory(username="second")
    third = UserFactory(username="third")
    for user in (second, third):
        MembershipFactory(project=world.project, user=user, role="annotator")
    tasks = [
        task_next(project=world.project, annotator_id=u.pk) for u in (world.users["annotator"], second, third)
    ]
    assert tasks[0].item_id == item.pk
    assert tasks[1].item_id == item.pk
    assert tasks[2] is None
    item.refresh_from_db()
    assert item.open_slots == 0


def test_submit_stores_annotation_with_server_time(world: World) -> None:
    task = next_task(world).json()
    response = world.client("annotator").post(
        f"/api/v1/tasks/{task['id']}/submit/",
        {"payload": {"boxes": [BOX]}, "time_spent_ms": 4200},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert set(response.json()) == {"task_id", "findings"}
    annotation = Annotation.objects.get(task__public_id=response.json()["task_id"])
    assert annotation.payload == {"boxes": [{"x": 10.0, "y": 10.0, "w": 30.0, "h": 30.0, "label": "car"}]}
    assert annotation.client_time_ms == 4200
    assert annotation.server_time_ms >= 0
    assert Task.objects.get(public_id=task["id"]).status == "submitted"


def test_second_submit_is_409_and_changes_nothing(world: World) -> None:
    task = next_task(world).json()
    url = f"/api/v1/tasks/{task['id']}/submit/"
    client = world.client("annotator")
    assert client.post(url, {"payload": {"boxes": [BOX]}}, format="json").status_code == 201
    again = client.post(url, {"payload": {"boxes": []}}, format="json")
    assert again.status_code == 409
    assert "already submitted" in again.json()["detail"]
    assert Annotation.objects.get().payload["boxes"][0]["label"] == "car"


def test_skip_returns_the_slot_to_others_not_to_the_skipper(world: World) -> None:
    Item.objects.filter(project=world.project).delete()
    item = ItemFactory(project=world.project)
    task = next_task(world).json()
    response = world.client("annotator").post(
        f"/api/v1/tasks/{task['id']}/skip/", {"reason": "blurry"}, format="json"
    )
    assert response.json() == {"task_id": task["id"], "status": "skipped"}
    assert next_task(world).status_code == 204
    other = UserFactory(username="other")
    MembershipFactory(project=world.project, user=other, role="annotator")
    assert task_next(project=world.project, annotator_id=other.pk).item_id == item.pk


def test_expired_lease_returns_to_queue(world: World) -> None:
    Item.objects.filter(project=world.project).delete()
    item = ItemFactory(project=world.project)
    first = task_next(project=world.project, annotator_id=world.users["annotator"].pk)
    other = UserFactory(username="other")
    MembershipFactory(project=world.project, user=other, role="annotator")
    assert task_next(project=world.project, annotator_id=other.pk) is None
    later = timezone.now() + timedelta(seconds=world.project.lease_seconds + 1)
    taken = task_next(project=world.project, annotator_id=other.pk, now=later)
    assert taken is not None
    assert taken.item_id == item.pk
    first.refresh_from_db()
    assert first.status == "expired"


def test_late_submit_keeps_work_when_slot_still_free(world: World) -> None:
    Item.objects.filter(project=world.project).delete()
    item = ItemFactory(project=world.project)
    task = task_next(project=world.project, annotator_id=world.users["annotator"].pk)
    later = timezone.now() + timedelta(seconds=world.project.lease_seconds + 1)
    leases_reclaim(project_id=world.project.pk, now=later, force=True)
    item.refresh_from_db()
    assert item.open_slots == 1
    response = world.client("annotator").post(
        f"/api/v1/tasks/{task.public_id}/submit/", {"payload": {"boxes": []}}, format="json"
    )
    assert response.status_code == 201
    item.refresh_from_db()
    assert item.open_slots == 0


def test_late_submit_after_slot_reassigned_is_409(world: World) -> None:
    Item.objects.filter(project=world.project).delete()
    ItemFactory(project=world.project)
    task = task_next(project=world.project, annotator_id=world.users["annotator"].pk)
    other = UserFactory(username="other")
    MembershipFactory(project=world.project, user=other, role="annotator")
    later = timezone.now() + timedelta(seconds=world.project.lease_seconds + 1)
    assert task_next(project=world.project, annotator_id=other.pk, now=later).item_id == task.item_id
    response = world.client("annotator").post(
        f"/api/v1/tasks/{task.public_id}/submit/", {"payload": {"boxes": []}}, format="json"
    )
    assert response.status_code == 409
    assert "expired" in response.json()["detail"]
    assert not Annotation.objects.exists()


def test_another_annotators_task_is_404(world: World) -> None:
    task = next_task(world).json()
    other = UserFactory(username="other")
    MembershipFactory(project=world.project, user=other, role="annotator")
    client = world.client("annotator")
    client.force_authenticate(other)
    response = client.post(f"/api/v1/tasks/{task['id']}/submit/", {"payload": {"boxes": []}}, format="json")
    assert response.status_code == 404
    assert not Annotation.objects.exists()
