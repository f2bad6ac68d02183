"""Security: CSRF on session requests, hashed tokens, the login rate limit, no cross-project access by
id guessing, and production settings that refuse to start insecurely."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from annotation_qc.accounts.models import ApiToken, User
from annotation_qc.accounts.services import api_token_create
from annotation_qc.alerts.models import Alert, AlertRule, Webhook
from annotation_qc.core.jobs import job_create
from annotation_qc.exchange.models import BucketSource, DataImport, ExportSnapshot
from annotation_qc.labeling.models import Annotation, ModelVersion
from annotation_qc.projects.models import Project
from annotation_qc.review.models import Review
from annotation_qc.review.services.reviews import review_enter
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.submit_pipeline import annotation_submit
from tests.api.conftest import World
from tests.factories import ItemFactory, MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)

# CSRF ---------------------------------------------------------------------------------------------


def test_session_requests_need_the_csrf_token_and_token_requests_do_not(world: World) -> None:
    browser = APIClient(enforce_csrf_checks=True)
    login = browser.post("/api/v1/auth/login/", {"username": "annotator", "password": "pw"}, format="json")
    assert login.status_code == 200
    next_url = f"/api/v1/projects/{world.project.pk}/next-task/"

    refused = browser.post(next_url)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]

    csrf = browser.get("/api/v1/auth/csrf/").cookies["csrftoken"].value
    task = browser.post(next_url, HTTP_X_CSRFTOKEN=csrf)
    assert task.status_code == 200
    submit_url = f"/api/v1/tasks/{task.json()['id']}/submit/"
    body: dict[str, Any] = {"payload": {"boxes": []}}
    assert browser.post(submit_url, body, format="json").status_code == 403
    assert browser.post(submit_url, body, format="json", HTTP_X_CSRFTOKEN="forged" * 6).status_code == 403
    assert Annotation.objects.count() == 0
    assert browser.post(submit_url, body, format="json", HTTP_X_CSRFTOKEN=csrf).status_code == 201
    assert Annotation.objects.count() == 1

    # Scripts authenticate with a token header, which a browser never sends by itself: no CSRF.
    _, raw = api_token_create(user=world.users["annotator"], name="script")
    script = APIClient(enforce_csrf_checks=True)
    script.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert script.post(next_url).status_code == 200


# Tokens -------------------------------------------------------------------------------------------


def test_tokens_are_stored_hashed_and_revoked_ones_are_refused(world: World) -> None:
    def issue(name: str) -> tuple[int, str]:
        response = APIClient().post(
            "/api/v1/auth/token/", {"username": "manager", "password": "pw", "name": name}, format="json"
        )
        assert response.status_code == 201
        return response.json()["id"], response.json()["token"]

    token_id, raw = issue("ci")
    other_id, other_raw = issue("laptop")
    row = ApiToken.objects.filter(pk=token_id).values().get()
    assert row["digest"] == hashlib.sha256(raw.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")
        stored = repr(cursor.fetchall())
    assert raw not in stored
    assert other_raw not in stored

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert client.get("/api/v1/auth/me/").json()["username"] == "manager"
    leaked_digest = APIClient()
    leaked_digest.credentials(HTTP_AUTHORIZATION=f"Token {row['digest']}")
    assert leaked_digest.get("/api/v1/auth/me/").status_code == 401  # the stored value is no key

    assert client.delete(f"/api/v1/auth/tokens/{token_id}/").status_code == 204
    assert client.get("/api/v1/auth/me/").status_code == 401
    assert ApiToken.objects.get(pk=token_id).revoked_at is not None
    still = APIClient()
    still.credentials(HTTP_AUTHORIZATION=f"Token {other_raw}")
    assert still.get("/api/v1/auth/me/").status_code == 200  # revoking one token leaves the others
    assert other_id != token_id


# Login rate limit ---------------------------------------------------------------------------------


def test_login_is_rate_limited_per_client(
    world: World, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"login": "3/min"}}
    # DRF reads the rates into the throttle class when it is imported (production sets them from
    # LOGIN_THROTTLE_RATE before that: see the production settings test below).
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "3/min"})
    attacker = APIClient(REMOTE_ADDR="203.0.113.9")
    wrong = {"username": "manager", "password": "guess"}
    for _ in range(3):
        assert attacker.post("/api/v1/auth/login/", wrong, format="json").status_code == 400
    right = {"username": "manager", "password": "pw"}
    blocked = attacker.post("/api/v1/auth/login/", right, format="json")
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert attacker.post("/api/v1/auth/token/", right, format="json").status_code == 429  # same scope
    other = APIClient(REMOTE_ADDR="198.51.100.4")
    assert other.post("/api/v1/auth/login/", right, format="json").status_code == 200


# Cross-project access by id guessing --------------------------------------------------------------


@dataclass
class TwoProjects:
    mine: Project
    probers: dict[str, User]  # members of project A only
    theirs: Project
    owners: dict[str, User]  # members of project B
    ids: dict[str, int]  # B's objects, by path parameter name
    ids_by_path: dict[str, dict[str, int]]  # other objects of B for the paths that need them


@pytest.fixture
def two_projects(db: Any, settings: Any, tmp_path: Any) -> TwoProjects:
    settings.MEDIA_ROOT = tmp_path
    mine, theirs = ProjectFactory.create(name="A"), ProjectFactory.create(name="B")
    probers = {role: UserFactory.create(username=f"a-{role}") for role in ("manager", "annotator")}
    for role, user in probers.items():
        MembershipFactory.create(project=mine, user=user, role=role)
    owners = {
        role: UserFactory.create(username=f"b-{role}") for role in ("manager", "annotator", "ml_engineer")
    }
    for role, user in owners.items():
        MembershipFactory.create(project=theirs, user=user, role=role)
    ItemFactory.create_batch(2, project=mine)
    # An answered item of B under review (before B's open task, so that task gets the other item).
    ItemFactory.create(project=theirs)
    answered = task_next(project=theirs, annotator_id=owners["annotator"].pk)
    assert answered is not None
    annotation, _ = annotation_submit(
        task_id=answered.pk, annotator_id=answered.annotator_id, payload={"boxes": []}, client_time_ms=1
    )
    review = review_enter(annotation=annotation, reason=Review.Reason.SAMPLED)
    Review.objects.filter(pk=review.pk).update(status=Review.Status.REWORK)  # sent back to its annotator
    item = ItemFactory.create(
        project=theirs, image=default_storage.save("items/b.png", ContentFile(PNG)), image_url="", priority=9
    )
    task = task_next(project=theirs, annotator_id=owners["annotator"].pk)
    assert task is not None
    assert task.item_id == item.pk
    job = job_create(kind="prioritize", project_id=theirs.pk, created_by_id=owners["manager"].pk, params={})
    token, _ = api_token_create(user=owners["manager"], name="b")
    rule = AlertRule.objects.create(project=theirs, kind=AlertRule.Kind.QUEUE_DRY, params={})
    alert = Alert.objects.create(
        rule=rule,
        project=theirs,
        kind=rule.kind,
        subject="project",
        message="queue ran dry",
        fired_at=timezone.now(),
    )
    webhook = Webhook.objects.create(project=theirs, url="https://hooks.example/b")
    import_job = job_create(
        kind="import", project_id=theirs.pk, created_by_id=owners["manager"].pk, params={}
    )
    data_import = DataImport.objects.create(
        project=theirs, job=import_job, format="coco", storage_dir="imports/b"
    )
    export_job = job_create(
        kind="export", project_id=theirs.pk, created_by_id=owners["manager"].pk, params={}
    )
    export = ExportSnapshot.objects.create(project=theirs, job=export_job, format="coco")
    version = ModelVersion.objects.create(project=theirs, name="theirs-v1")
    source = BucketSource.objects.create(project=theirs, name="b", bucket="media", prefix="b/")
    ids = {
        "project_id": theirs.pk,
        "item_id": item.pk,
        "token": item.image_token,
        "task_id": task.public_id,
        "job_id": job.pk,
        "user_id": owners["annotator"].pk,
        "token_id": token.pk,
        "rule_id": rule.pk,
        "alert_id": alert.pk,
        "webhook_id": webhook.pk,
        "import_id": data_import.pk,
        "export_id": export.pk,
        "version_id": version.pk,
        "annotation_id": annotation.pk,
        "review_id": review.pk,
        "source_id": source.pk,
    }
    # Only an answered task has an answer to change, and only one sent back a rework: these paths
    # name the answered task.
    ids_by_path = {
        path: {"task_id": answered.public_id}
        for path in ("/api/v1/tasks/{task_id}/answer/", "/api/v1/tasks/{task_id}/rework/")
    }
    return TwoProjects(mine, probers, theirs, owners, ids, ids_by_path)


def _operations_with_ids() -> list[tuple[str, str]]:
    """Every (method, path template) of the API that names an object by id, unsafe methods last."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = [
        (method, path)
        for path, operations in schema["paths"].items()
        if "{" in path
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    ]
    order = {"get": 0, "post": 1, "put": 1, "patch": 1, "delete": 2}
    return sorted(found, key=lambda op: (order[op[0]], op[1]))


def _path(two_projects: TwoProjects, template: str) -> str:
    return template.format(**{**two_projects.ids, **two_projects.ids_by_path.get(template, {})})


def _call(user: User, method: str, path: str) -> int:
    client = APIClient()
    client.force_authenticate(user)
    body: dict[str, Any] | None = {"payload": {"boxes": []}} if method != "get" else None
    return getattr(client, method)(path, body, format="json").status_code


@pytest.mark.parametrize("prober_role", ["manager", "annotator"])
def test_members_of_one_project_get_404_for_every_object_of_another(
    two_projects: TwoProjects, prober_role: str
) -> None:
    operations = _operations_with_ids()
    assert len(operations) >= 20, "the schema lost its id-addressed operations"
    prober = two_projects.probers[prober_role]
    leaks = []
    for method, template in operations:
        path = _path(two_projects, template)
        status = _call(prober, method, path)
        if status != 404:
            leaks.append(f"{method.upper()} {path} -> {status}")
    assert not leaks, f"a member of project A reached project B's objects: {leaks}"

    # The same requests from B's own members are not 404s: the ids are real, the 404s above are
    # the access check (GETs first, deletions last, since these calls change B).
    for method, template in operations:
        path = _path(two_projects, template)
        statuses = [_call(owner, method, path) for owner in two_projects.owners.values()]
        assert any(status != 404 for status in statuses), f"{method.upper()} {path}: {statuses}"


# Production settings ------------------------------------------------------------------------------

_SETTINGS_ENV_PREFIXES = ("DJANGO_", "SESSION_", "CSRF_", "SECURE_", "LOGIN_THROTTLE")


def _production(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(_SETTINGS_ENV_PREFIXES)}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings.production", **env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "secret", [None, "", "insecure-local-development-key-change-me"], ids=["unset", "empty", "dev-default"]
)
def test_production_refuses_to_start_without_a_real_secret_key(secret: str | None) -> None:
    env = {"DJANGO_ALLOWED_HOSTS": "qc.example.org"}
    if secret is not None:
        env["DJANGO_SECRET_KEY"] = secret
    result = _production(env, "import config.settings.production")
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_requires_allowed_hosts() -> None:
    result = _production({"DJANGO_SECRET_KEY": "s" * 50}, "import config.settings.production")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_production_sets_secure_cookies_strict_hosts_and_the_login_rate() -> None:
    code = (
        "import django, json; django.setup()\n"
        "from django.conf import settings as s\n"
        "from rest_framework.throttling import ScopedRateThrottle\n"
        "print(json.dumps({name: getattr(s, name) for name in ("
        "'DEBUG', 'ALLOWED_HOSTS', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY',"
        "'SECURE_CONTENT_TYPE_NOSNIFF', 'X_FRAME_OPTIONS', 'SECURE_PROXY_SSL_HEADER')}"
        " | {'login_rate': ScopedRateThrottle.THROTTLE_RATES['login']}))"
    )
    env = {
        "DJANGO_SECRET_KEY": "s" * 50,
        "DJANGO_ALLOWED_HOSTS": "qc.example.org",
        "LOGIN_THROTTLE_RATE": "5/min",
    }
    result = _production(env, code)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "DEBUG": False,
        "ALLOWED_HOSTS": ["qc.example.org"],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "login_rate": "5/min",
    }
