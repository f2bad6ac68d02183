"""Every alerts and webhooks endpoint against every role: managers only; outsiders get 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from annotation_qc.alerts.models import Alert, AlertRule, Webhook
from tests.api.conftest import ROLES, World

pytestmark = pytest.mark.django_db

MANAGER_ONLY = {"annotator": 403, "manager": 200, "ml_engineer": 403, "outsider": 404, "anonymous": 401}


def only_manager(status: int) -> dict[str, int]:
    return {**MANAGER_ONLY, "manager": status}


def _rule(world: World) -> int:
    return AlertRule.objects.create(project=world.project, kind="queue_dry", params={}).pk


def _webhook(world: World) -> int:
    return Webhook.objects.create(project=world.project, url="https://hooks.example/a").pk


def _alert(world: World) -> int:
    return Alert.objects.create(
        project=world.project, kind="queue_dry", subject="project", message="Dry.", fired_at=timezone.now()
    ).pk


def base(w: World) -> str:
    return f"/api/v1/projects/{w.project.pk}"


# (name, method, url builder, body builder, expected status per role)
CASES: list[tuple[str, str, Any, Any, dict[str, int]]] = [
    ("alert rules list", "get", lambda w: f"{base(w)}/alert-rules/", None, MANAGER_ONLY),
    (
        "alert rule create",
        "post",
        lambda w: f"{base(w)}/alert-rules/",
        lambda w: {"kind": "queue_dry"},
        only_manager(201),
    ),
    ("alert rule kinds", "get", lambda w: f"{base(w)}/alert-rules/kinds/", None, MANAGER_ONLY),
    ("alert rule detail", "get", lambda w: f"{base(w)}/alert-rules/{_rule(w)}/", None, MANAGER_ONLY),
    (
        "alert rule update",
        "patch",
        lambda w: f"{base(w)}/alert-rules/{_rule(w)}/",
        lambda w: {"enabled": False},
        MANAGER_ONLY,
    ),
    ("alert rule delete", "delete", lambda w: f"{base(w)}/alert-rules/{_rule(w)}/", None, only_manager(204)),
    ("alerts list", "get", lambda w: f"{base(w)}/alerts/", None, MANAGER_ONLY),
    ("alerts check", "post", lambda w: f"{base(w)}/alerts/check/", None, MANAGER_ONLY),
    (
        "alert acknowledge",
        "post",
        lambda w: f"{base(w)}/alerts/{_alert(w)}/acknowledge/",
        None,
        MANAGER_ONLY,
    ),
    ("webhooks list", "get", lambda w: f"{base(w)}/webhooks/", None, MANAGER_ONLY),
    (
        "webhook create",
        "post",
        lambda w: f"{base(w)}/webhooks/",
        lambda w: {"url": "https://hooks.example/b"},
        only_manager(201),
    ),
    ("webhook detail", "get", lambda w: f"{base(w)}/webhooks/{_webhook(w)}/", None, MANAGER_ONLY),
    (
        "webhook update",
        "patch",
        lambda w: f"{base(w)}/webhooks/{_webhook(w)}/",
        lambda w: {"active": False},
        MANAGER_ONLY,
    ),
    ("webhook delete", "delete", lambda w: f"{base(w)}/webhooks/{_webhook(w)}/", None, only_manager(204)),
    (
        "webhook deliveries",
        "get",
        lambda w: f"{base(w)}/webhooks/{_webhook(w)}/deliveries/",
        None,
        MANAGER_ONLY,
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "url", "body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_role_matrix_alerts(
    world: World, role: str, name: str, method: str, url: Any, body: Any, expected: dict
) -> None:
    response = getattr(world.client(role), method)(url(world), body(world) if body else None, format="json")
    assert response.status_code == expected[role], (name, role, getattr(response, "data", None))


def test_an_outsider_managing_another_project_cannot_reach_these_objects(world: World) -> None:
    """The outsider is a manager elsewhere: objects of this project stay 404 under their project too."""
    other_project = world.users["outsider"].memberships.get().project
    client = world.client("outsider")
    rule, webhook, alert = _rule(world), _webhook(world), _alert(world)
    other = f"/api/v1/projects/{other_project.pk}"
    assert client.get(f"{other}/alert-rules/{rule}/").status_code == 404
    assert client.patch(f"{other}/webhooks/{webhook}/", {"active": False}, format="json").status_code == 404
    assert client.post(f"{other}/alerts/{alert}/acknowledge/").status_code == 404
    assert client.get(f"{other}/webhooks/{webhook}/deliveries/").status_code == 404
    assert Webhook.objects.get(pk=webhook).active is True
