"""The permission matrix, checked against the URL conf, and every rule again for removed and deactivated users

Every ``test_role_matrix*.py`` module declares ``CASES``: (name, method, url builder, body builder,
expected status per role). Here:

- every (method, route) the URL conf serves under ``/api/v1/`` must have a case, so a new endpoint
  without a permission rule fails this test;
- every case runs again as an annotator who was just removed from the project (what an outsider
  gets, and 403 on their own tasks: their open work ended with the membership), as one whose role
  was changed to ML engineer, and with the token of a user who was just deactivated or whose token
  was just revoked (401 wherever an anonymous caller gets 401).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from rest_framework.test import APIClient

import tests.api
from annotation_qc.accounts.services import api_token_create
from annotation_qc.labeling.models import Task
from annotation_qc.projects.models import Membership
from annotation_qc.projects.services import member_add, member_remove, member_set_role
from tests.api.conftest import World

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

MATRIX_MODULES = [
    "test_role_matrix",
    *sorted(
        name
        for _, name, _ in pkgutil.iter_modules(tests.api.__path__)
        if name.startswith("test_role_matrix_") and name != "test_role_matrix_generated"
    ),
]
#: Every case of every matrix module, with the module's ``prepare_world`` (a module may set up more
#: than the shared world, e.g. a reviewer) or None.
CASES: list[tuple[Any, str, str, Any, Any, dict[str, int]]] = [
    (getattr(module, "prepare_world", None), *case)
    for module in (importlib.import_module(f"tests.api.{name}") for name in MATRIX_MODULES)
    for case in module.CASES
]
CASE_IDS = [
    f"{name}:{case[0]}"
    for name in MATRIX_MODULES
    for case in importlib.import_module(f"tests.api.{name}").CASES
]
PARAMS = ("prepare", "name", "method", "url", "body", "expected")
#: Endpoints outside any project role (signing in and out, one's own account): their rules are here.
ACCOUNT_ROUTES = {
    ("GET", "api/v1/auth/csrf/"),
    ("POST", "api/v1/auth/login/"),
    ("POST", "api/v1/auth/logout/"),
    ("GET", "api/v1/auth/me/"),
    ("POST", "api/v1/auth/token/"),
    ("DELETE", "api/v1/auth/tokens/<id:token_id>/"),
    ("GET", "api/v1/version/"),
}
METHODS = ("get", "post", "put", "patch", "delete")


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found |= _routes(pattern.url_patterns, route)
            continue
        view = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
        if view is None or not route.startswith("api/v1/"):
            continue
        found |= {(method.upper(), route) for method in METHODS if hasattr(view, method)}
    return found


def _route_of(path: str) -> str:
    return resolve(path.split("?")[0]).route


def test_every_endpoint_of_the_url_conf_has_a_permission_rule(world: World) -> None:
    served = _routes(get_resolver().url_patterns)
    assert len(served) > 50
    covered = set()
    for prepare, _, method, url, _, _ in CASES:
        with transaction.atomic():  # each builder sees the shared world as its own test would
            covered.add((method.upper(), _route_of(url(prepare(world) if prepare else world))))
            transaction.set_rollback(True)
    missing = sorted(served - covered - ACCOUNT_ROUTES)
    assert not missing, f"endpoints without a rule in any test_role_matrix*.py CASES: {missing}"


def _expected_removed(url: str, expected: dict[str, int]) -> int:
    """A removed annotator is an outsider, except on their own tasks, where their role is checked: 403."""
    return 403 if _route_of(url).startswith("api/v1/tasks/") else expected["outsider"]


def _call(client: APIClient, method: str, url: str, body: Any) -> Any:
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize(PARAMS, CASES, ids=CASE_IDS)
def test_a_removed_annotator_loses_access_at_once(
    prepare: Any, world: World, name: str, method: str, url: Any, body: Any, expected: dict[str, int]
) -> None:
    world = prepare(world) if prepare is not None else world
    path, data = url(world), body(world) if body else None
    annotator = world.users["annotator"]
    member_remove(project=world.project, user_id=annotator.pk)
    assert not Task.objects.filter(annotator=annotator, status=Task.Status.ASSIGNED).exists()
    response = _call(world.client("annotator"), method, path, data)
    assert response.status_code == _expected_removed(path, expected), (name, getattr(response, "data", None))


@pytest.mark.parametrize(PARAMS, CASES, ids=CASE_IDS)
def test_an_annotator_made_ml_engineer_gets_what_ml_engineers_get(
    prepare: Any, world: World, name: str, method: str, url: Any, body: Any, expected: dict[str, int]
) -> None:
    world = prepare(world) if prepare is not None else world
    path, data = url(world), body(world) if body else None
    annotator = world.users["annotator"]
    member_set_role(project=world.project, user_id=annotator.pk, role=Membership.Role.ML_ENGINEER)
    response = _call(world.client("annotator"), method, path, data)
    want = 403 if _route_of(path).startswith("api/v1/tasks/") else expected["ml_engineer"]
    assert response.status_code == want, (name, getattr(response, "data", None))


@pytest.mark.parametrize("state", ["deactivated", "token revoked"])
@pytest.mark.parametrize(PARAMS, CASES, ids=CASE_IDS)
def test_deactivated_users_and_revoked_tokens_fail_at_once(
    prepare: Any,
    world: World,
    state: str,
    name: str,
    method: str,
    url: Any,
    body: Any,
    expected: dict[str, int],
) -> None:
    world = prepare(world) if prepare is not None else world
    path, data = url(world), body(world) if body else None
    user = world.users["manager"]
    token, raw = api_token_create(user=user, name="matrix")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert client.get("/api/v1/auth/me/").status_code == 200
    if state == "deactivated":
        user.is_active = False
        user.save(update_fields=["is_active"])
    else:
        token.revoked_at = token.created_at
        token.save(update_fields=["revoked_at"])
    response = _call(client, method, path, data)
    # A bad token is 401 even where anyone may call (signing in with a new password is not a token's job).
    allowed = {401} if expected["anonymous"] == 401 else {401, expected["anonymous"]}
    assert response.status_code in allowed, (name, state, response.status_code)


def test_a_deactivated_users_session_ends_at_once(world: World) -> None:
    user = world.users["manager"]
    client = APIClient()
    client.force_login(user)
    assert client.get("/api/v1/auth/me/").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get("/api/v1/auth/me/").status_code in (401, 403)
    assert client.get(f"/api/v1/projects/{world.project.pk}/").status_code in (401, 403)


def test_removal_and_role_change_give_the_open_task_back_to_the_queue(world: World) -> None:
    from annotation_qc.workflow.dispatch_pipeline import task_next

    annotator = world.users["annotator"]
    held = task_next(project=world.project, annotator_id=annotator.pk)
    assert held is not None
    slots = type(held.item).objects.get(pk=held.item_id).open_slots
    client = world.client("annotator")
    box = {"x": 1, "y": 1, "w": 3, "h": 3, "label": "car"}
    member_set_role(project=world.project, user_id=annotator.pk, role=Membership.Role.ML_ENGINEER)
    held.refresh_from_db()
    assert held.status == Task.Status.EXPIRED
    assert type(held.item).objects.get(pk=held.item_id).open_slots == slots + 1
    for suffix, body in (("submit", {"payload": {"boxes": [box]}}), ("lint", {"payload": {"boxes": []}})):
        response = client.post(f"/api/v1/tasks/{held.public_id}/{suffix}/", body, format="json")
        assert response.status_code == 403
        assert "no longer an annotator" in response.json()["detail"]
    assert client.post(f"/api/v1/tasks/{held.public_id}/skip/", {}, format="json").status_code == 403
    # Another annotator can take the freed item.
    other = type(annotator).objects.create_user(username="other-annotator", password="x")
    member_add(project=world.project, user=other, role=Membership.Role.ANNOTATOR)
    ids = set()
    while (task := task_next(project=world.project, annotator_id=other.pk)) is not None:
        ids.add(task.item_id)
        task.status = Task.Status.SUBMITTED
        task.save(update_fields=["status"])
    assert held.item_id in ids
