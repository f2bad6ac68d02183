"""Every foundation endpoint against every role: annotator, manager, ml_engineer, outsider, anonymous."""

from __future__ import annotations

from typing import Any

import pytest

from annotation_qc.labeling.models import Task
from annotation_qc.workflow.dispatch_pipeline import task_next
from tests.api.conftest import ROLES, World

pytestmark = pytest.mark.django_db

ITEM = {"external_id": "new-1", "image_url": "https://images.example/new-1.png", "width": 10, "height": 10}
BOX = {"x": 1, "y": 1, "w": 3, "h": 3, "label": "car"}


def _annotator_task(world: World) -> Task:
    task = task_next(project=world.project, annotator_id=world.users["annotator"].pk)
    assert task is not None
    return task


def _submitted_annotation(world: World) -> int:
    from annotation_qc.workflow.submit_pipeline import annotation_submit

    task = _annotator_task(world)
    annotation, _ = annotation_submit(
        task_id=task.pk, annotator_id=task.annotator_id, payload={"boxes": [BOX]}, client_time_ms=1
    )
    return annotation.pk


def _job(world: World) -> int:
    from annotation_qc.core.jobs import job_create

    return job_create(kind="test", project_id=world.project.pk, created_by_id=None, params={}).pk


# (name, method, url builder, body builder, expected status per role)
CASES: list[tuple[str, str, Any, Any, dict[str, int]]] = [
    (
        "api version",
        "get",
        lambda w: "/api/v1/version/",
        None,
        {"annotator": 200, "manager": 200, "ml_engineer": 200, "outsider": 200, "anonymous": 200},
    ),
    (
        "project list",
        "get",
        lambda w: "/api/v1/projects/",
        None,
        {"annotator": 200, "manager": 200, "ml_engineer": 200, "outsider": 200, "anonymous": 401},
    ),
    (
        "project detail",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/",
        None,
        {"annotator": 200, "manager": 200, "ml_engineer": 200, "outsider": 404, "anonymous": 401},
    ),
    (
        "project update",
        "patch",
        lambda w: f"/api/v1/projects/{w.project.pk}/",
        lambda w: {"name": "Renamed"},
        {"annotator": 403, "manager": 200, "ml_engineer": 403, "outsider": 404, "anonymous": 401},
    ),
    (
        "progress",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/progress/",
        None,
        {"annotator": 200, "manager": 200, "ml_engineer": 200, "outsider": 404, "anonymous": 401},
    ),
    (
        "members list",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/members/",
        None,
        {"annotator": 403, "manager": 200, "ml_engineer": 403, "outsider": 404, "anonymous": 401},
    ),
    (
        "member add",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/members/",
        lambda w: {"username": "outsider", "role": "annotator"},
        {"annotator": 403, "manager": 201, "ml_engineer": 403, "outsider": 404, "anonymous": 401},
    ),
    (
        "member remove",
        "delete",
        lambda w: f"/api/v1/projects/{w.project.pk}/members/{w.users['ml_engineer'].pk}/",
        None,
        {"annotator": 403, "manager": 204, "ml_engineer": 403, "outsider": 404, "anonymous": 401},
    ),
    (
        "item import",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/items/",
        lambda w: {"items": [ITEM]},
        {"annotator": 403, "manager": 201, "ml_engineer": 201, "outsider": 404, "anonymous": 401},
    ),
    (
        "prediction import",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/predictions/",
        lambda w: {
            "model_version": "m1",
            "predictions": [
                {"external_id": w.project.items.first().external_id, "payload": {"boxes": [BOX]}}
            ],
        },
        {"annotator": 403, "manager": 201, "ml_engineer": 201, "outsider": 404, "anonymous": 401},
    ),
    (
        "next task",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/next-task/",
        None,
        {"annotator": 200, "manager": 403, "ml_engineer": 403, "outsider": 404, "anonymous": 401},
    ),
    (
        "my tasks",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/my-tasks/",
        None,
        {"annotator": 200, "manager": 403, "ml_engineer": 403, "outsider": 404, "anonymous": 401},
    ),
    (
        "submit",
        "post",
        lambda w: f"/api/v1/tasks/{_annotator_task(w).public_id}/submit/",
        lambda w: {"payload": {"boxes": [BOX]}, "time_spent_ms": 5000},
        {"annotator": 201, "manager": 404, "ml_engineer": 404, "outsider": 404, "anonymous": 401},
    ),
    (
        "skip",
        "post",
        lambda w: f"/api/v1/tasks/{_annotator_task(w).public_id}/skip/",
        lambda w: {"reason": "blurry"},
        {"annotator": 200, "manager": 404, "ml_engineer": 404, "outsider": 404, "anonymous": 401},
    ),
    (
        "lint draft",
        "post",
        lambda w: f"/api/v1/tasks/{_annotator_task(w).public_id}/lint/",
        lambda w: {"payload": {"boxes": [BOX]}},
        {"annotator": 200, "manager": 404, "ml_engineer": 404, "outsider": 404, "anonymous": 401},
    ),
    (
        "findings",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/findings/",
        None,
        {"annotator": 403, "manager": 200, "ml_engineer": 403, "outsider": 404, "anonymous": 401},
    ),
    (
        "finding rates",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/findings/rates/",
        None,
        {"annotator": 403, "manager": 200, "ml_engineer": 403, "outsider": 404, "anonymous": 401},
    ),
    (
        "gold list",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/gold/",
        None,
        {"annotator": 403, "manager": 200, "ml_engineer": 403, "outsider": 404, "anonymous": 401},
    ),
    (
        "gold import",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/gold/",
        lambda w: {"items": [{**ITEM, "external_id": "g1", "payload": {"boxes": [BOX]}}]},
        {"annotator": 403, "manager": 201, "ml_engineer": 403, "outsider": 404, "anonymous": 401},
    ),
    (
        "gold promote",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/gold/promote/",
        lambda w: {"annotation_id": _submitted_annotation(w)},
        {"annotator": 403, "manager": 201, "ml_engineer": 403, "outsider": 404, "anonymous": 401},
    ),
    (
        "scorecards",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/annotators/",
        None,
        {"annotator": 403, "manager": 200, "ml_engineer": 403, "outsider": 404, "anonymous": 401},
    ),
    (
        "annotator benchmarks",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/annotators/{w.users['annotator'].pk}/benchmarks/",
        None,
        {"annotator": 403, "manager": 200, "ml_engineer": 403, "outsider": 404, "anonymous": 401},
    ),
    (
        "own score",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/my-score/",
        None,
        {"annotator": 403, "manager": 403, "ml_engineer": 403, "outsider": 404, "anonymous": 401},
    ),
    (
        "benchmark audit",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/benchmark-audit/",
        None,
        {"annotator": 403, "manager": 200, "ml_engineer": 403, "outsider": 404, "anonymous": 401},
    ),
    (
        "benchmark audit run",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/benchmark-audit/",
        None,
        {"annotator": 403, "manager": 201, "ml_engineer": 403, "outsider": 404, "anonymous": 401},
    ),
    (
        "job detail",
        "get",
        lambda w: f"/api/v1/jobs/{_job(w)}/",
        None,
        {"annotator": 404, "manager": 200, "ml_engineer": 200, "outsider": 404, "anonymous": 401},
    ),
    (
        "prioritize",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/prioritize/",
        lambda w: {"strategy": "random"},
        {"annotator": 403, "manager": 202, "ml_engineer": 202, "outsider": 404, "anonymous": 401},
    ),
    (
        "queue",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/queue/",
        None,
        {"annotator": 403, "manager": 200, "ml_engineer": 200, "outsider": 404, "anonymous": 401},
    ),
    (
        "agreement",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/agreement/",
        None,
        {"annotator": 403, "manager": 200, "ml_engineer": 200, "outsider": 404, "anonymous": 401},
    ),
    (
        "agreement compute",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/agreement/compute/",
        None,
        {"annotator": 403, "manager": 202, "ml_engineer": 403, "outsider": 404, "anonymous": 401},
    ),
    (
        "agreement items",
        "get",
        lambda w: f"/api/v1/projects/{w.project.pk}/agreement/items/",
        None,
        {"annotator": 403, "manager": 200, "ml_engineer": 403, "outsider": 404, "anonymous": 401},
    ),
    (
        "agreement resolve",
        "post",
        lambda w: f"/api/v1/projects/{w.project.pk}/agreement/items/{w.project.items.first().pk}/resolve/",
        lambda w: {"payload": {"boxes": [BOX]}},
        {"annotator": 403, "manager": 200, "ml_engineer": 403, "outsider": 404, "anonymous": 401},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "url", "body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_role_matrix(
    world: World, role: str, name: str, method: str, url: Any, body: Any, expected: dict
) -> None:
    response = getattr(world.client(role), method)(url(world), body(world) if body else None, format="json")
    assert response.status_code == expected[role], (name, role, getattr(response, "data", None))


def test_outsider_sees_only_their_projects(world: World) -> None:
    names = {p["name"] for p in world.client("outsider").get("/api/v1/projects/").json()}
    assert world.project.name not in names
    assert len(names) == 1


def test_settings_shown_to_managers_not_annotators(world: World) -> None:
    url = f"/api/v1/projects/{world.project.pk}/"
    assert "settings" in world.client("manager").get(url).json()
    body = world.client("annotator").get(url).json()
    assert "settings" not in body
    assert "benchmark_rate" not in str(body)
