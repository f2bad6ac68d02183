"""Out-of-range integers in URL paths answer a JSON 404, on every route of the URL conf

Huge ids (``/items/99999999999999999999/``, past PostgreSQL's ``bigint``) used to reach the database
and answer 500; ``/items/007/`` served item 7 under a second address. Every integer path parameter
is now an ``<id:...>`` (annotation_qc/core/converters.py). The routes and their parameters are read
from the URL conf, so a new route with a plain ``<int:...>`` fails here, and every ``<id:...>`` of
every route is tried with each bad spelling, the route's other parameters valid.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import IntConverter
from django.urls.resolvers import RoutePattern
from rest_framework.test import APIClient

from annotation_qc.accounts.services import api_token_create
from annotation_qc.core.converters import MAX_ID, IdConverter
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db]

BAD_IDS = ["99999999999999999999", str(MAX_ID + 1), "-1", "007", "0", "1e3", "1.0", "+5"]
METHODS = ("get", "post", "put", "patch", "delete")


def _routes(
    patterns: list[URLPattern | URLResolver], prefix: str = "", converters: dict[str, Any] | None = None
) -> list[tuple[str, dict[str, Any], Any]]:
    """(route, {parameter: converter}, view) of every URL pattern, with its includes' parameters."""
    found = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        here = dict(converters or {})
        if isinstance(pattern.pattern, RoutePattern):
            here.update(pattern.pattern.converters)
        if isinstance(pattern, URLResolver):
            found += _routes(pattern.url_patterns, route, here)
        else:
            found.append((route, here, pattern.callback))
    return found


ROUTES = _routes(get_resolver().url_patterns)
ID_ROUTES = [
    (route, converters, callback)
    for route, converters, callback in ROUTES
    if any(isinstance(c, IdConverter | IntConverter) for c in converters.values())
]


def _methods(callback: Any) -> list[str]:
    view = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    return [m for m in METHODS if view is None or hasattr(view, m)]


def _url(route: str, converters: dict[str, Any], values: dict[str, str]) -> str:
    url = route
    for name, converter in converters.items():
        numeric = isinstance(converter, IdConverter | IntConverter)
        kind = {IdConverter: "id", IntConverter: "int"}.get(type(converter), "str")
        url = url.replace(f"<{kind}:{name}>", values.get(name, "1" if numeric else "x"))
    assert "<" not in url, f"unfilled parameter in {route}"
    return "/" + url


def test_no_route_takes_an_unbounded_integer() -> None:
    unbounded = [
        f"{route} ({name})"
        for route, converters, _ in ROUTES
        for name, converter in converters.items()
        if isinstance(converter, IntConverter)
    ]
    assert not unbounded, f"use <id:...> (annotation_qc.core.converters) instead of <int:...>: {unbounded}"
    # The API's routes with ids are all covered below (a sanity check that the walk found them).
    assert len(ID_ROUTES) >= 40
    assert {name for _, c, _ in ID_ROUTES for name in c} >= {"project_id", "item_id", "job_id", "export_id"}


@pytest.mark.parametrize(
    ("route", "converters", "callback"), ID_ROUTES, ids=[route for route, _, _ in ID_ROUTES]
)
def test_every_id_parameter_refuses_out_of_range_values_with_a_json_404(
    route: str, converters: dict[str, Any], callback: Any, world: Any
) -> None:
    """As staff signed in with a token, the other parameters naming the project (so the view's own
    checks would pass). CSRF is enforced as in production: an unsafe method gets the JSON 404 too."""
    client = APIClient(enforce_csrf_checks=True)
    staff = UserFactory.create(is_staff=True, is_superuser=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=staff, name='ids')[1]}")
    id_names = [name for name, c in converters.items() if isinstance(c, IdConverter | IntConverter)]
    for name in id_names:
        for bad in BAD_IDS:
            url = _url(route, converters, {"project_id": str(world.project.pk), name: bad})
            for method in _methods(callback):
                response = getattr(client, method)(url, {}, format="json")
                assert response.status_code == 404, (method, url, response.status_code)
                assert response["Content-Type"].startswith("application/json"), (method, url)
                assert "detail" in response.json(), (method, url)


def test_a_valid_id_still_resolves_as_an_integer() -> None:
    match = resolve(f"/api/v1/jobs/{MAX_ID}/")
    assert match.kwargs == {"job_id": MAX_ID}
    assert resolve("/api/v1/jobs/1/").kwargs == {"job_id": 1}


def test_a_huge_item_id_is_a_404_for_a_member_too(world: Any) -> None:
    """The issue's example, as the project's manager: no query runs, no 500."""
    response = world.client("manager").get("/api/v1/items/99999999999999999999/image/")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("No API endpoint")
