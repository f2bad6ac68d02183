"""Shared fixtures.

Service-backed tests (marked ``postgres`` or ``redis``) skip with a reason when the service is
unreachable, unless ``AQC_REQUIRE_SERVICES=1`` (set by ``.ci/run``) makes that a failed run.
"""

from __future__ import annotations

import os

import pytest

from tests.s3 import moto_server, s3_bucket  # noqa: F401  (fixtures for every test folder)
from tests.services import browser_problem, postgres_problem, redis_problem

REQUIRE_SERVICES = os.environ.get("AQC_REQUIRE_SERVICES") == "1"
SERVICE_CHECKS = {"postgres": postgres_problem, "redis": redis_problem, "browser": browser_problem}


@pytest.hookimpl(trylast=True)  # after `-m` has deselected what this run does not include
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for marker, check in SERVICE_CHECKS.items():
        marked = [item for item in items if item.get_closest_marker(marker) is not None]
        if not marked:
            continue
        problem = check()
        if problem is None:
            continue
        if REQUIRE_SERVICES:
            raise pytest.UsageError(
                f"{len(marked)} {marker} test(s) must run here (AQC_REQUIRE_SERVICES=1), but {problem}"
            )
        for item in marked:
            item.add_marker(pytest.mark.skip(reason=problem))


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Each test starts with an empty cache (dispatch keeps throttling keys there)."""
    from django.core.cache import cache

    cache.clear()
