"""``/healthz``: 200 "ok" while the database and the broker answer, 503 "degraded" when one does not."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from tests.integration.conftest import DEAD_REDIS_URL, redis_db_url

pytestmark = pytest.mark.django_db


def test_ok_on_the_test_database_with_the_embedded_broker() -> None:
    response = Client().get("/healthz")  # no credentials: load balancers call it
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "embedded (tasks run in-process)",
    }


@pytest.mark.redis
def test_ok_with_a_reachable_redis_broker(settings: Any) -> None:
    settings.CELERY_BROKER_URL = redis_db_url()
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "ok"


def test_degraded_when_the_broker_is_unreachable(settings: Any) -> None:
    settings.CELERY_BROKER_URL = DEAD_REDIS_URL
    started = time.monotonic()
    response = Client().get("/healthz")
    assert time.monotonic() - started < 2.0  # a health check that hangs is no health check
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"] == "ok"
    assert body["broker"].startswith("unreachable")


def test_degraded_when_the_database_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db.backends.utils import CursorWrapper

    def broken(self: Any, sql: str, params: Any = None) -> Any:
        raise ConnectionError("database gone")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable: ConnectionError"


def test_healthz_with_the_file_broker_of_make_run(client, settings, tmp_path) -> None:
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "queue")}
    assert client.get("/healthz").status_code == 503  # the queue folder does not exist yet
    (tmp_path / "queue").mkdir()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"].startswith("file broker at")
