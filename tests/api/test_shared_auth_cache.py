"""Token -> user, (user, project) -> role and project settings from a cache shared by every process,
invalidated at once on revocation, deactivation, role change, removal and settings change; with
Redis down every request goes to the database."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from annotation_qc.accounts.cache import token_key
from annotation_qc.accounts.models import ApiToken, User, token_digest
from annotation_qc.accounts.services import api_token_create
from annotation_qc.core import cache as fail_open
from annotation_qc.core import shared_cache
from annotation_qc.core.cache import FailOpenRedisCache
from annotation_qc.projects.models import Membership, Project
from annotation_qc.projects.services import member_remove
from tests.api.conftest import World
from tests.services import redis_url

pytestmark = pytest.mark.django_db


def token_client(user: User) -> tuple[APIClient, str]:
    _, raw = api_token_create(user=user, name="script")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client, raw


def queries(client: APIClient, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        status = client.get(url).status_code
    return status, len(captured.captured_queries)


@pytest.fixture
def shared(settings: Any) -> None:
    """The process-local test cache stands in for Redis (one process: it is shared)."""
    settings.ANNOTATION_QC = {**settings.ANNOTATION_QC, "SHARED_CACHE_ANY_BACKEND": True}


def test_a_cached_request_reads_neither_token_nor_membership(world: World, shared: None) -> None:
    client, _ = token_client(world.users["manager"])
    url = f"/api/v1/projects/{world.project.pk}/"
    first_status, first = queries(client, url)
    second_status, second = queries(client, url)
    assert first_status == second_status == 200
    assert second == first - 2  # the token look-up and the membership + project read


def test_without_a_shared_cache_nothing_is_cached(world: World) -> None:
    client, _ = token_client(world.users["manager"])
    url = f"/api/v1/projects/{world.project.pk}/"
    assert queries(client, url)[1] == queries(client, url)[1]


def test_revoked_token_fails_at_once(world: World, shared: None) -> None:
    client, raw = token_client(world.users["manager"])
    assert client.get("/api/v1/auth/me/").status_code == 200
    token = ApiToken.objects.get(digest=token_digest(raw))
    assert client.delete(f"/api/v1/auth/tokens/{token.pk}/").status_code in (200, 204)
    assert client.get("/api/v1/auth/me/").status_code == 401


@pytest.mark.parametrize("how", ["save", "update"])
def test_deactivated_user_fails_at_once(world: World, shared: None, how: str) -> None:
    user = world.users["manager"]
    client, _ = token_client(user)
    assert client.get(f"/api/v1/projects/{world.project.pk}/").status_code == 200
    if how == "save":
        user.is_active = False
        user.save()
    else:
        User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get(f"/api/v1/projects/{world.project.pk}/").status_code == 401


def test_role_change_and_removal_hold_at_once(world: World, shared: None) -> None:
    client, _ = token_client(world.users["ml_engineer"])
    members = f"/api/v1/projects/{world.project.pk}/members/"
    assert client.get(members).status_code == 403
    Membership.objects.filter(project=world.project, user=world.users["ml_engineer"]).update(role="manager")
    assert client.get(members).status_code == 200
    membership = Membership.objects.get(project=world.project, user=world.users["ml_engineer"])
    membership.role = "annotator"
    membership.save()
    assert client.get(members).status_code == 403
    member_remove(project=world.project, user_id=world.users["ml_engineer"].pk)
    assert client.get(f"/api/v1/projects/{world.project.pk}/").status_code == 404


def test_a_bulk_added_member_is_let_in_at_once(world: World, shared: None) -> None:
    user = world.users["outsider"]
    client, _ = token_client(user)
    url = f"/api/v1/projects/{world.project.pk}/"
    assert client.get(url).status_code == 404  # "not a member" is cached
    Membership.objects.bulk_create([Membership(project=world.project, user=user, role="annotator")])
    assert client.get(url).status_code == 200


def test_settings_change_holds_at_once(world: World, shared: None) -> None:
    client, _ = token_client(world.users["manager"])
    url = f"/api/v1/projects/{world.project.pk}/"
    assert client.get(url).json()["name"] == world.project.name
    assert client.patch(url, {"name": "Renamed"}, format="json").status_code == 200
    assert client.get(url).json()["name"] == "Renamed"
    Project.objects.filter(pk=world.project.pk).update(name="Bulk renamed")
    assert client.get(url).json()["name"] == "Bulk renamed"
    project = Project.objects.get(pk=world.project.pk)
    project.name = "Saved"
    project.save()
    assert client.get(url).json()["name"] == "Saved"


def test_staff_rights_are_not_cached(world: World, shared: None) -> None:
    user = world.users["outsider"]
    client, _ = token_client(user)
    url = f"/api/v1/projects/{world.project.pk}/members/"
    assert client.get(url).status_code == 404
    user.is_staff = True
    user.save()
    assert client.get(url).status_code == 200
    User.objects.filter(pk=user.pk).update(is_staff=False)
    assert client.get(url).status_code == 404


# --- Redis: two clients (two processes' connections), and Redis going down -------------------


@pytest.fixture
def redis_cache(settings: Any) -> Iterator[FailOpenRedisCache]:
    """The app's cache on the real Redis, and a second, separate client to the same server."""
    settings.CACHES = {
        "default": {
            "BACKEND": "annotation_qc.core.cache.FailOpenRedisCache",
            "LOCATION": redis_url(),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    fail_open._down_until.clear()
    other = FailOpenRedisCache(redis_url(), {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}})
    yield other
    fail_open._down_until.clear()
    shared_cache._pending.clear()


def in_redis(key: str) -> bool:
    """Whether Redis itself holds the entry (Django's default key function: ``:1:<key>``)."""
    import redis

    return bool(redis.Redis.from_url(redis_url()).exists(f":1:{key}"))


@pytest.mark.redis
def test_revocation_through_another_client_fails_at_once(
    world: World, redis_cache: FailOpenRedisCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, raw = token_client(world.users["manager"])
    key = token_key(token_digest(raw))
    status, first = queries(client, "/api/v1/auth/me/")
    assert status == 200
    assert redis_cache.get(key) is not None  # cached in Redis, visible to the other client
    assert queries(client, "/api/v1/auth/me/")[1] == first - 1  # the token served from it
    # Another process revokes the token: its invalidation goes through its own client.
    monkeypatch.setattr(shared_cache, "_cache", lambda: redis_cache)
    token = ApiToken.objects.get(digest=token_digest(raw))
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=token.created_at)
    monkeypatch.undo()
    assert redis_cache.get(key) is None
    assert client.get("/api/v1/auth/me/").status_code == 401


@pytest.mark.redis
def test_with_redis_down_requests_go_to_the_database_and_missed_invalidations_replay(
    world: World, redis_cache: FailOpenRedisCache
) -> None:
    client, raw = token_client(world.users["manager"])
    key = token_key(token_digest(raw))
    assert client.get("/api/v1/auth/me/").status_code == 200
    assert in_redis(key)
    location = caches["default"].location
    fail_open._down_until[location] = time.monotonic() + 60  # Redis unreachable for this process
    status, down = queries(client, "/api/v1/auth/me/")
    assert status == 200
    fail_open._down_until[location] = 0.0
    assert queries(client, "/api/v1/auth/me/")[1] == down - 1  # down, the database answered the token
    fail_open._down_until[location] = time.monotonic() + 60
    ApiToken.objects.filter(digest=token_digest(raw)).update(revoked_at=ApiToken.objects.get().created_at)
    assert client.get("/api/v1/auth/me/").status_code == 401
    assert in_redis(key)  # the shared copy could not be deleted yet...
    fail_open._down_until[location] = 0.0  # ...Redis is back:
    assert client.get("/api/v1/auth/me/").status_code == 401
    assert not in_redis(key)  # the missed invalidation was replayed first
