"""The Redis cache falls back to a process-local one while Redis is down, and stops retrying for a while."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from redis.connection import ConnectionPool
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from annotation_qc.core import cache as fail_open
from annotation_qc.core.cache import FailOpenRedisCache
from tests.api.conftest import World

DEAD_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the connections the cache asks redis-py's pool for (one per command it tries; the
    cache reuses one client per server, so the clients it makes would not count the tries)."""
    seen: list[int] = []
    real = ConnectionPool.get_connection

    def counting(self: ConnectionPool, *args: Any, **kwargs: Any) -> Any:
        seen.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ConnectionPool, "get_connection", counting)
    fail_open._down_until.clear()
    yield seen
    fail_open._down_until.clear()


def dead_cache() -> FailOpenRedisCache:
    return FailOpenRedisCache(DEAD_REDIS_URL, {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}})


def test_while_redis_is_down_values_live_in_the_process(attempts: list[int]) -> None:
    cache = dead_cache()
    cache.set("k", 41)
    assert cache.get("k") == 41
    assert cache.incr("k") == 42
    assert cache.add("guard", 1, 30) is True
    assert cache.add("guard", 1, 30) is False  # a "once per interval" guard still guards
    assert dead_cache().get("k") == 42  # another instance (thread) of the same process sees it


def test_after_a_failure_redis_is_left_alone_until_the_retry_time(attempts: list[int]) -> None:
    cache = dead_cache()
    for _ in range(20):
        cache.get("anything")
    assert len(attempts) == 1
    fail_open._down_until[DEAD_REDIS_URL] = 0.0  # the retry time has come
    cache.get("anything")
    assert len(attempts) == 2


@pytest.mark.django_db
def test_the_login_limit_holds_while_redis_is_down(
    world: World, settings: Any, monkeypatch: pytest.MonkeyPatch, attempts: list[int]
) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "annotation_qc.core.cache.FailOpenRedisCache",
            "LOCATION": DEAD_REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "3/min"})
    attacker = APIClient(REMOTE_ADDR="203.0.113.9")
    wrong = {"username": "manager", "password": "guess"}
    for _ in range(3):
        assert attacker.post("/api/v1/auth/login/", wrong, format="json").status_code == 400
    blocked = attacker.post("/api/v1/auth/login/", {"username": "manager", "password": "pw"}, format="json")
    assert blocked.status_code == 429
    assert attempts  # Redis was tried, and failed
