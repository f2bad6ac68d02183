"""Reachability checks for the real services the integration tests need."""

from __future__ import annotations

import os

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


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


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
