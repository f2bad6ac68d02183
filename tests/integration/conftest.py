"""Sending Celery tasks from the test process to a real (or a dead) broker instead of eagerly."""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

from config.celery_app import app as celery_app
from tests.services import redis_url

#: The Redis database the worker tests own (flushed before and after each of them, nothing else).
TEST_REDIS_DB = 14
#: Held while an integration test runs: test runs of other checkouts on this machine (a second
#: session, CI) share Redis database 14 and would take each other's tasks or flush them.
REDIS_DB_LOCK = Path("/tmp/aqc-integration-redis-14.lock")
#: Nothing listens here: a broker "down" for the outage tests.
DEAD_REDIS_URL = "redis://127.0.0.1:6390/0"


def redis_db_url(db: int = TEST_REDIS_DB) -> str:
    """The reachable Redis of ``tests.services.redis_url`` with the database number replaced."""
    parts = urlsplit(redis_url())
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", "", ""))


def database_url() -> str:
    """The pytest-django test database (``test_`` + the configured name), as a URL for subprocesses."""
    from django.db import connection

    db = connection.settings_dict
    user = quote(db.get("USER") or "postgres")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{quote(db['NAME'])}"


def _drop_connections() -> None:
    """Forget the app's cached broker connections and result backend, so new settings apply.

    The pools themselves stay open: kombu keeps them in a registry keyed by broker URL, and the next
    switch back to that URL reuses them.
    """
    app: Any = celery_app  # private attributes, as Celery's own after-fork reset uses them
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


@contextmanager
def _sending_to(
    settings: Any,
    broker: str,
    result_backend: str | None,
    transport_options: dict[str, Any] | None = None,
) -> Iterator[None]:
    # The Celery app reads the Django settings live (``config_from_object`` with the CELERY
    # namespace), so re-pointing the settings re-points the app; /healthz reads them too.
    wanted: dict[str, Any] = {
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": result_backend,
        "CELERY_TASK_ALWAYS_EAGER": False,
    }
    if transport_options is not None:
        wanted["CELERY_BROKER_TRANSPORT_OPTIONS"] = transport_options
    saved = {name: getattr(settings, name) for name in wanted}
    for name, value in wanted.items():
        setattr(settings, name, value)
    _drop_connections()
    assert celery_app.conf.broker_url == broker, "CELERY_BROKER_URL in the environment overrides the test"
    assert not celery_app.conf.task_always_eager
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(settings, name, value)
        _drop_connections()


@pytest.fixture
def celery_sending_to(settings: Any) -> Callable[..., AbstractContextManager[None]]:
    """``with celery_sending_to(url):`` tasks this process sends go to ``url``, not run eagerly."""

    def sending_to(broker: str, result_backend: str | None = None) -> AbstractContextManager[None]:
        return _sending_to(settings, broker, result_backend)

    return sending_to


@pytest.fixture(autouse=True)
def _redis_db_to_ourselves() -> Iterator[None]:
    """One integration test at a time on this machine, whichever checkout runs it (a file lock)."""
    with REDIS_DB_LOCK.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
