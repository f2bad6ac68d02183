"""End-to-end tests: Debian's Chromium driven by Playwright against pytest-django's live server.

The live server serves the built UI (``frontend/dist``: ``index.html`` at ``/`` through
``annotation_qc.core.views.frontend_index``, the assets from ``STATICFILES_DIRS`` at ``/static/``), so
``cd frontend && npm run build`` must have run; ``tests/conftest.py`` skips these tests with the reason
when Chromium, Playwright or the build is missing (a failed run under ``AQC_REQUIRE_SERVICES=1``).

Playwright's sync API runs an event loop in the test thread, which Django would take for async
code; the database work here is synchronous test set-up, so that check is switched off.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 720}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    """Keep each phase's report on the test item, for the page fixture's finalizer."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Path) -> None:
    """Item images go to a temporary MEDIA_ROOT (set before any test data is stored)."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest, live_server: Any) -> Iterator[Any]:
    """A fresh page at 1280x720.

    When the test fails, a full-page screenshot and the page's HTML go to ``test-artifacts/<test>.png|.html``,
    with the browser console's errors in ``<test>.console.txt``.
    """
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(15_000)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    yield page
    failed = any(
        getattr(getattr(request.node, f"report_{phase}", None), "failed", False)
        for phase in ("setup", "call")
    )
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = request.node.name
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            (ARTIFACTS / f"{name}.html").write_text(page.content())
        finally:
            (ARTIFACTS / f"{name}.console.txt").write_text("\n".join(console) + "\n")
    context.close()


@pytest.fixture(autouse=True)
def _one_request_at_a_time_on_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the embedded SQLite the test database lives in memory and every live-server thread shares
    it: two requests at once (the page reloads its queue while it opens a review) can meet a
    "database table is locked" error that no deployment has (PostgreSQL, or SQLite on disk). There,
    the live server handles one request at a time; on PostgreSQL requests stay concurrent."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    lock = threading.Lock()
    handle = WSGIHandler.__call__

    def serialised(self: WSGIHandler, environ: Any, start_response: Any) -> Any:
        with lock:
            return handle(self, environ, start_response)

    monkeypatch.setattr(WSGIHandler, "__call__", serialised)
