"""Reachability checks for the real services the integration tests need."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings


def postgres_problem() -> str | None:
    """None when the configured database is a reachable PostgreSQL, else why not."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        return "needs PostgreSQL: run with DATABASE_URL=postgresql://... (make test does)"
    try:
        import psycopg

        psycopg.connect(
            host=database.get("HOST") or "127.0.0.1",
            port=int(database.get("PORT") or 5432),
            user=database.get("USER") or "postgres",
            password=database.get("PASSWORD") or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except Exception as exc:
        return f"PostgreSQL unreachable: {exc}"
    return None


#: Redis database numbers the tests never hand to a pytest-xdist worker: 14 belongs to the worker
#: (integration) tests, which take it under a file lock whichever process they run in.
_RESERVED_REDIS_DBS = frozenset({14})


def redis_url() -> str:
    """The Redis the tests may use: ``REDIS_URL``, with a database of this process's own under xdist.

    Tests clear and inspect the database they are given, so two test processes (``pytest -n 2``)
    must not share one: worker ``gw0`` keeps the configured number and each further worker counts
    down from it, past the reserved numbers.
    """
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker.removeprefix("gw") or 0)
    if index == 0:
        return url
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0)
    for _ in range(index):
        database = (database - 1) % 16
        while database in _RESERVED_REDIS_DBS:
            database = (database - 1) % 16
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def redis_problem() -> str | None:
    try:
        import redis

        redis.Redis.from_url(redis_url(), socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as exc:
        return f"Redis unreachable at {redis_url()}: {exc}"
    return None


def browser_problem() -> str | None:
    """None when Chromium, Playwright and the built UI are all there, else what is missing."""
    from pathlib import Path

    if not Path("/usr/bin/chromium").exists():
        return "needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs the playwright Python package"
    if not (Path(__file__).resolve().parent.parent / "frontend" / "dist" / "index.html").exists():
        return "needs the built UI: cd frontend && npm run build"
    return None
