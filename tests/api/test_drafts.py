"""Drafts: saved as the annotator works, restored with the time spent, refused clearly after the lease."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from annotation_qc.labeling.models import Task
from annotation_qc.workflow.dispatch_pipeline import task_next
from tests.api.conftest import World

pytestmark = pytest.mark.django_db

DRAFT = {"boxes": [{"x": 1, "y": 2, "w": 3, "h": 4, "label": "car"}]}


def _task(world: World) -> Task:
    task = task_next(project=world.project, annotator_id=world.users["annotator"].pk)
    assert task is not None
    return task


def test_draft_round_trip_and_restore_after_reload(world: World) -> None:
    task = _task(world)
    client = world.client("annotator")
    url = f"/api/v1/tasks/{task.public_id}/draft/"
    assert client.get(url).status_code == 204
    saved = client.put(url, {"payload": DRAFT, "elapsed_ms": 5300}, format="json")
    assert saved.status_code == 200
    client.put(url, {"payload": {"boxes": []}, "elapsed_ms": 6100}, format="json")
    client.put(url, {"payload": DRAFT, "elapsed_ms": 7000}, format="json")
    # Another device: same user, fresh client; the same open task comes back with its draft.
    other = world.client("annotator")
    again = task_next(project=world.project, annotator_id=world.users["annotator"].pk)
    assert again is not None
    assert again.pk == task.pk
    restored = other.get(url).json()
    assert restored["payload"] == DRAFT
    assert restored["elapsed_ms"] == 7000


def test_draft_after_the_lease_expired_is_a_clear_409(world: World) -> None:
    task = _task(world)
    Task.objects.filter(pk=task.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    response = world.client("annotator").put(
        f"/api/v1/tasks/{task.public_id}/draft/", {"payload": DRAFT, "elapsed_ms": 10}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["reason"] == "lease_expired"
    assert "lease expired" in body["detail"]
    assert "task" in body["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"payload": [1], "elapsed_ms": 1}, "payload"),
        ({"payload": DRAFT, "elapsed_ms": -1}, "elapsed_ms"),
        ({"payload": DRAFT}, "elapsed_ms"),
        ({"payload": {"x": "y" * 600_000}, "elapsed_ms": 1}, "payload"),
    ],
)
def test_bad_drafts_are_400(world: World, body: dict, field: str) -> None:
    task = _task(world)
    response = world.client("annotator").put(f"/api/v1/tasks/{task.public_id}/draft/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_submitted_task_has_no_draft(world: World) -> None:
    from annotation_qc.workflow.submit_pipeline import annotation_submit

    task = _task(world)
    client = world.client("annotator")
    url = f"/api/v1/tasks/{task.public_id}/draft/"
    client.put(url, {"payload": DRAFT, "elapsed_ms": 10}, format="json")
    annotation_submit(task_id=task.pk, annotator_id=task.annotator_id, payload=DRAFT, client_time_ms=4000)
    assert client.get(url).status_code == 204
    assert client.put(url, {"payload": DRAFT, "elapsed_ms": 10}, format="json").status_code == 409
