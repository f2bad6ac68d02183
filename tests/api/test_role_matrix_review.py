"""Every review and label-error endpoint against every role; outsiders get 404."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import ROLES, World

pytestmark = pytest.mark.django_db


def base(w: World) -> str:
    return f"/api/v1/projects/{w.project.pk}"


MANAGERS_AND_ML = {"annotator": 403, "manager": 200, "ml_engineer": 200, "outsider": 404, "anonymous": 401}

# (name, method, url builder, body builder, expected status per role)
CASES: list[tuple[str, str, Any, Any, dict[str, int]]] = [
    ("label errors list", "get", lambda w: f"{base(w)}/label-errors/", None, MANAGERS_AND_ML),
    (
        "label errors csv",
        "get",
        lambda w: f"{base(w)}/label-errors/?format=csv",
        None,
        MANAGERS_AND_ML,
    ),
    (
        "label errors start",
        "post",
        lambda w: f"{base(w)}/label-errors/",
        lambda w: {},
        {**MANAGERS_AND_ML, "manager": 202, "ml_engineer": 202},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "url", "body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_role_matrix_review(
    world: World, role: str, name: str, method: str, url: Any, body: Any, expected: dict
) -> None:
    response = getattr(world.client(role), method)(url(world), body(world) if body else None, format="json")
    assert response.status_code == expected[role], (name, role, getattr(response, "data", None))
