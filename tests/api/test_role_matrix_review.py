"""Every review and label-error endpoint against every role, the reviewer included; outsiders get 404."""

from __future__ import annotations

from typing import Any

import pytest

from annotation_qc.review.models import Review, ReviewConfig
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import after_submit, annotation_submit
from tests.api.conftest import ROLES, World
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES_WITH_REVIEWER = (*ROLES, "reviewer")
BOX = {"x": 1, "y": 1, "w": 3, "h": 3, "label": "car"}


@pytest.fixture
def rworld(world: World) -> World:
    return prepare_world(world)


def prepare_world(world: World) -> World:
    """The shared world plus a reviewer and review of every submission (also used by the generated matrix)."""
    world.users["reviewer"] = UserFactory(username="reviewer")
    MembershipFactory(project=world.project, user=world.users["reviewer"], role="reviewer")
    ReviewConfig.objects.create(
        project=world.project, enabled=True, base_rate=1.0, max_rate=1.0, calibration_rate=1.0
    )
    return world


def base(w: World) -> str:
    return f"/api/v1/projects/{w.project.pk}"


def _annotation(w: World) -> Any:
    task = task_next(project=w.project, annotator_id=w.users["annotator"].pk)
    assert task is not None
    annotation, _ = annotation_submit(
        task_id=task.pk, annotator_id=task.annotator_id, payload={"boxes": [BOX]}, client_time_ms=1
    )
    after_submit(task_id=task.pk)  # review sampling follows the submit in a worker
    return annotation


def _review(w: World) -> int:
    return Review.objects.get(annotation=_annotation(w)).pk


def _rejected_task(w: World) -> str:
    annotation = _annotation(w)
    review = Review.objects.get(annotation=annotation)
    Review.objects.filter(pk=review.pk).update(status=Review.Status.REWORK)
    return annotation.task.public_id


def statuses(**overrides: int) -> dict[str, int]:
    default = {"annotator": 403, "manager": 403, "ml_engineer": 403, "reviewer": 403}
    return {**default, "outsider": 404, "anonymous": 401, **overrides}


MANAGERS_AND_ML = statuses(manager=200, ml_engineer=200)
REVIEWERS = statuses(manager=200, reviewer=200)

# (name, method, url builder, body builder, expected status per role)
CASES: list[tuple[str, str, Any, Any, dict[str, int]]] = [
    ("label errors list", "get", lambda w: f"{base(w)}/label-errors/", None, MANAGERS_AND_ML),
    ("label errors csv", "get", lambda w: f"{base(w)}/label-errors/?format=csv", None, MANAGERS_AND_ML),
    (
        "label errors start",
        "post",
        lambda w: f"{base(w)}/label-errors/",
        lambda w: {},
        statuses(manager=202, ml_engineer=202),
    ),
    ("review settings read", "get", lambda w: f"{base(w)}/review-settings/", None, REVIEWERS),
    (
        "review settings update",
        "patch",
        lambda w: f"{base(w)}/review-settings/",
        lambda w: {"base_rate": 0.2},
        statuses(manager=200),
    ),
    ("review queue", "get", lambda w: f"{base(w)}/review-queue/", None, REVIEWERS),
    ("review detail", "get", lambda w: f"{base(w)}/reviews/{_review(w)}/", None, REVIEWERS),
    ("review open", "post", lambda w: f"{base(w)}/reviews/{_review(w)}/open/", lambda w: {}, REVIEWERS),
    ("review accept", "post", lambda w: f"{base(w)}/reviews/{_review(w)}/accept/", lambda w: {}, REVIEWERS),
    (
        "review fix",
        "post",
        lambda w: f"{base(w)}/reviews/{_review(w)}/fix/",
        lambda w: {"payload": {"boxes": [BOX]}},
        REVIEWERS,
    ),
    (
        "review reject",
        "post",
        lambda w: f"{base(w)}/reviews/{_review(w)}/reject/",
        lambda w: {"comments": [{"text": "redo"}]},
        REVIEWERS,
    ),
    (
        "review decide",
        "post",
        lambda w: f"{base(w)}/reviews/{_review(w)}/decide/",
        lambda w: {"objects": [{"box": 0, "verdict": "accepted"}]},
        REVIEWERS,
    ),
    ("review scorecard", "get", lambda w: f"{base(w)}/review-scorecard/", None, statuses(manager=200)),
    (
        "review scorecard csv",
        "get",
        lambda w: f"{base(w)}/review-scorecard/?format=csv",
        None,
        statuses(manager=200),
    ),
    ("reviewer scorecard", "get", lambda w: f"{base(w)}/reviewer-scorecard/", None, statuses(manager=200)),
    ("my rework", "get", lambda w: f"{base(w)}/my-rework/", None, statuses(annotator=200)),
    # Task endpoints answer 404 for anyone but the task's annotator (no probing by id).
    (
        "task rework read",
        "get",
        lambda w: f"/api/v1/tasks/{_rejected_task(w)}/rework/",
        None,
        {**statuses(annotator=200), "manager": 404, "ml_engineer": 404, "reviewer": 404},
    ),
    (
        "task rework submit",
        "post",
        lambda w: f"/api/v1/tasks/{_rejected_task(w)}/rework/",
        lambda w: {"payload": {"boxes": [BOX]}},
        {**statuses(annotator=200), "manager": 404, "ml_engineer": 404, "reviewer": 404},
    ),
    # The reviewer role on the foundation endpoints: sees the project, gets no annotator task.
    (
        "project detail",
        "get",
        lambda w: f"{base(w)}/",
        None,
        statuses(annotator=200, manager=200, ml_engineer=200, reviewer=200),
    ),
    ("next task", "post", lambda w: f"{base(w)}/next-task/", None, statuses(annotator=200)),
    (
        "prioritize",
        "post",
        lambda w: f"{base(w)}/prioritize/",
        lambda w: {},
        statuses(manager=202, ml_engineer=202),
    ),
]


@pytest.mark.parametrize("role", ROLES_WITH_REVIEWER)
@pytest.mark.parametrize(("name", "method", "url", "body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_role_matrix_review(
    rworld: World, role: str, name: str, method: str, url: Any, body: Any, expected: dict
) -> None:
    response = getattr(rworld.client(role), method)(
        url(rworld), body(rworld) if body else None, format="json"
    )
    assert response.status_code == expected[role], (name, role, getattr(response, "data", None))


def test_a_reviewer_can_be_added_as_a_member(world: World) -> None:
    UserFactory(username="newreviewer")
    response = world.client("manager").post(
        f"{base(world)}/members/", {"username": "newreviewer", "role": "reviewer"}, format="json"
    )
    assert response.status_code == 201
