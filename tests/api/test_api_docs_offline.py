"""Swagger UI and ReDoc are served from the app's own static files (drf-spectacular-sidecar): no CDN asset."""

import re

import pytest
from django.contrib.staticfiles import finders
from rest_framework.test import APIClient

ASSET = re.compile(r"""<(?:script|link|img)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_reference_only_local_assets(url: str) -> None:
    response = APIClient().get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assets = ASSET.findall(html)
    assert assets, "the page loads its viewer from somewhere"
    for asset in assets:
        assert asset.startswith("/static/"), f"{url} references a non-local asset: {asset}"
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not among the static files"
    # Nothing anywhere on the page points at another host (inline scripts included).
    assert not re.search(r"https?://(?!127\.0\.0\.1|localhost|testserver)", html), html
