"""A retired label: refused in every new answer (submit, lint, draft, revision, review fix) with a 400
naming the field; answers stored before it was retired stay valid and are exported as they are."""

from __future__ import annotations

import json
from typing import Any

import pytest

from annotation_qc.domain.payloads import PayloadError, validate_payload
from annotation_qc.drafts.models import TaskDraft
from annotation_qc.labeling.models import Annotation
from annotation_qc.review.models import Review, ReviewConfig
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import after_submit, annotation_submit
from tests.api.conftest import World
from tests.factories import MembershipFactory, UserFactory

CAR = {"x": 10.0, "y": 10.0, "w": 30.0, "h": 20.0, "label": "car"}
BIKE = {**CAR, "x": 50.0, "label": "bike"}


def test_the_domain_names_each_box_with_a_retired_label() -> None:
    with pytest.raises(PayloadError) as caught:
        validate_payload(
            {"boxes": [CAR, BIKE]},
            kind="bbox",
            labels=["car", "bike"],
            width=640,
            height=480,
            retired={"bike"},
        )
    assert list(caught.value.errors) == ["boxes[1].label"]
    assert "retired" in caught.value.errors["boxes[1].label"][0]
    with pytest.raises(PayloadError) as caught:
        validate_payload(
            {"label": "bike"},
            kind="classification",
            labels=["car", "bike"],
            width=1,
            height=1,
            retired={"bike"},
        )
    assert list(caught.value.errors) == ["label"]
    # Without retired labels (an old answer) the same payload is valid.
    assert validate_payload({"boxes": [BIKE]}, kind="bbox", labels=["car", "bike"], width=640, height=480)


def _retire(world: World, label: str) -> None:
    response = world.client("manager").patch(
        f"/api/v1/projects/{world.project.pk}/", {"label_config": {label: {"retired": True}}}, format="json"
    )
    assert response.status_code == 200, response.json()
    world.project.refresh_from_db()


def _answered(world: World, payload: dict[str, Any]) -> Annotation:
    task = task_next(project=world.project, annotator_id=world.users["annotator"].pk)
    assert task is not None
    annotation, _ = annotation_submit(
        task_id=task.pk, annotator_id=task.annotator_id, payload=payload, client_time_ms=4000
    )
    after_submit(task_id=task.pk)
    return annotation


@pytest.mark.django_db
def test_submit_lint_draft_and_revision_refuse_a_retired_label(world: World) -> None:
    old = _answered(world, {"boxes": [BIKE]})
    _retire(world, "bike")
    client = world.client("annotator")
    task = client.post(f"/api/v1/projects/{world.project.pk}/next-task/").json()
    body = {"payload": {"boxes": [CAR, BIKE]}, "time_spent_ms": 5000}
    for url, method in (
        (f"/api/v1/tasks/{task['id']}/lint/", client.post),
        (f"/api/v1/tasks/{task['id']}/submit/", client.post),
        (f"/api/v1/tasks/{old.task.public_id}/answer/", client.put),
    ):
        response = method(url, body, format="json")
        assert response.status_code == 400, (url, response.json())
        assert list(response.json()["errors"]) == ["payload.boxes[1].label"], url
        assert "retired" in response.json()["errors"]["payload.boxes[1].label"][0]
    draft = client.put(
        f"/api/v1/tasks/{task['id']}/draft/", {"payload": {"boxes": [BIKE]}, "elapsed_ms": 10}, format="json"
    )
    assert draft.status_code == 400
    assert list(draft.json()["errors"]) == ["payload.boxes[0].label"]
    assert not TaskDraft.objects.exists()
    # The active labels still go through everywhere.
    good = {"payload": {"boxes": [CAR]}}
    assert client.post(f"/api/v1/tasks/{task['id']}/lint/", good, format="json").status_code == 200
    saved = client.put(f"/api/v1/tasks/{task['id']}/draft/", {**good, "elapsed_ms": 10}, format="json")
    assert saved.status_code == 200
    assert client.post(f"/api/v1/tasks/{task['id']}/submit/", good, format="json").status_code == 201
    # The answer made before the label was retired is unchanged and exported as it was.
    old.refresh_from_db()
    assert old.payload == {"boxes": [BIKE]}
    assert old.revisions.count() == 0


@pytest.mark.django_db
def test_a_review_fix_with_a_retired_label_is_refused_but_an_old_answer_can_be_accepted(world: World) -> None:
    world.users["reviewer"] = UserFactory(username="reviewer")
    MembershipFactory(project=world.project, user=world.users["reviewer"], role="reviewer")
    ReviewConfig.objects.create(
        project=world.project, enabled=True, base_rate=1.0, max_rate=1.0, calibration_rate=1.0
    )
    _answered(world, {"boxes": [BIKE]})
    _retire(world, "bike")
    review = Review.objects.get()
    url = f"/api/v1/projects/{world.project.pk}/reviews/{review.pk}/"
    reviewer = world.client("reviewer")
    fix = reviewer.post(f"{url}fix/", {"payload": {"boxes": [CAR, BIKE]}}, format="json")
    assert fix.status_code == 400
    assert list(fix.json()["errors"]) == ["payload.boxes[1].label"]
    review.refresh_from_db()
    assert review.status == Review.Status.PENDING
    accepted = reviewer.post(f"{url}accept/", {}, format="json")
    assert accepted.status_code == 200, accepted.json()


@pytest.mark.django_db
def test_old_answers_with_a_retired_label_are_exported(world: World, capture: Any) -> None:
    from tests.api.test_exchange_exports import content_of, export

    world.project.overlap_fraction = 0.0
    world.project.save()
    _answered(world, {"boxes": [BIKE]})
    _retire(world, "bike")
    snapshot = export(world, capture, format="jsonl")
    rows = [json.loads(line) for line in content_of(world, snapshot["id"]).decode().splitlines()]
    assert [r["annotation"] for r in rows if r["label_status"] == "single"] == [{"boxes": [BIKE]}]
