"""The project set-up, member, label, chart, draft and account endpoints against every role."""

from __future__ import annotations

from typing import Any

import pytest

from annotation_qc.workflow.dispatch_pipeline import task_next
from tests.api.conftest import ROLES, World

pytestmark = pytest.mark.django_db

MANAGER_ONLY = {"annotator": 403, "manager": 200, "ml_engineer": 403, "outsider": 404, "anonymous": 401}
DASHBOARD = {**MANAGER_ONLY, "ml_engineer": 200}
OWN_TASK = {"annotator": 200, "manager": 404, "ml_engineer": 404, "outsider": 404, "anonymous": 401}
ANY_USER = {"annotator": 200, "manager": 200, "ml_engineer": 200, "outsider": 200, "anonymous": 401}


def base(w: World) -> str:
    return f"/api/v1/projects/{w.project.pk}"


def _task_url(w: World) -> str:
    task = task_next(project=w.project, annotator_id=w.users["annotator"].pk)
    assert task is not None
    return f"/api/v1/tasks/{task.public_id}/draft/"


def _answer_url(w: World) -> str:
    from annotation_qc.workflow.submit_pipeline import annotation_submit

    task = task_next(project=w.project, annotator_id=w.users["annotator"].pk)
    assert task is not None
    annotation_submit(
        task_id=task.pk, annotator_id=task.annotator_id, payload={"boxes": []}, client_time_ms=5000
    )
    return f"/api/v1/tasks/{task.public_id}/answer/"


CASES: list[tuple[str, str, Any, Any, dict[str, int]]] = [
    (
        "member role change",
        "patch",
        lambda w: f"{base(w)}/members/{w.users['ml_engineer'].pk}/",
        lambda w: {"role": "annotator"},
        MANAGER_ONLY,
    ),
    ("member candidates", "get", lambda w: f"{base(w)}/member-candidates/?q=o", None, MANAGER_ONLY),
    (
        "label rename",
        "post",
        lambda w: f"{base(w)}/labels/rename/",
        lambda w: {"from": "bike", "to": "bicycle"},
        MANAGER_ONLY,
    ),
    ("draft get (none yet)", "get", _task_url, None, {**OWN_TASK, "annotator": 204}),
    (
        "my answers",
        "get",
        lambda w: f"{base(w)}/my-answers/",
        None,
        {"annotator": 200, "manager": 403, "ml_engineer": 403, "outsider": 404, "anonymous": 401},
    ),
    ("answer revise", "put", _answer_url, lambda w: {"payload": {"boxes": []}}, OWN_TASK),
    (
        "annotation view",
        "get",
        lambda w: f"{base(w)}/annotations/{_answer_url(w).split('/')[4] and w.project.annotations.get().pk}/",
        None,
        MANAGER_ONLY,
    ),
    ("draft save", "put", _task_url, lambda w: {"payload": {"boxes": []}, "elapsed_ms": 1200}, OWN_TASK),
    (
        "account create",
        "post",
        lambda w: "/api/v1/accounts/",
        lambda w: {"username": "newcomer"},
        {"annotator": 403, "manager": 403, "ml_engineer": 403, "outsider": 403, "anonymous": 401},
    ),
    (
        "set password (bad link)",
        "post",
        lambda w: "/api/v1/auth/set-password/",
        lambda w: {"uid": "xx", "token": "nope", "password": "a-long-passphrase"},
        dict.fromkeys(ROLES, 400),
    ),
    (
        "preferences",
        "patch",
        lambda w: "/api/v1/auth/me/preferences/",
        lambda w: {"hotkeys": {str(w.project.pk): {"car": "q"}}},
        ANY_USER,
    ),
] + [
    (
        f"chart {name}",
        "get",
        (lambda n: lambda w: f"{base(w)}/charts/{n}/")(name),
        None,
        DASHBOARD
        if name
        in {
            "throughput",
            "agreement",
            "label-mix",
            "queue-scores",
            "metadata-attributes",
            "box-sizes",
            "boxes-per-image",
        }
        else MANAGER_ONLY,
    )
    for name in (
        "throughput",
        "skill",
        "agreement",
        "label-mix",
        "lint-rules",
        "benchmark-outcomes",
        "queue-scores",
        "metadata-attributes",
        "box-sizes",
        "boxes-per-image",
    )
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "url", "body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_role_matrix_ui(
    world: World, role: str, name: str, method: str, url: Any, body: Any, expected: dict
) -> None:
    response = getattr(world.client(role), method)(url(world), body(world) if body else None, format="json")
    assert response.status_code == expected[role], (name, role, getattr(response, "data", None))


def test_staff_create_accounts(world: World) -> None:
    from tests.factories import UserFactory

    staff = UserFactory(username="root", is_staff=True)
    world.users["staff"] = staff
    response = world.client("staff").post("/api/v1/accounts/", {"username": "newcomer"}, format="json")
    assert response.status_code == 201, response.json()
