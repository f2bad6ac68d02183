"""docker-compose.yml: MinIO lets the app's own pages (and only them) upload straight to the bucket."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yml"


def _default(value: str) -> str:
    """The value of ``${NAME:-default}`` when NAME is not set."""
    match = re.fullmatch(r"\$\{(\w+):-([^}]*)\}", value)
    assert match, value
    return match.group(2)


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def test_minio_allows_direct_uploads_from_the_apps_origins_only() -> None:
    services = _compose()["services"]
    minio = services["minio"]["environment"]
    web = services["web"]["environment"]
    cors = minio["MINIO_API_CORS_ALLOW_ORIGIN"]
    # The same variable as the origins Django trusts, so the two cannot drift apart.
    assert cors == web["DJANGO_CSRF_TRUSTED_ORIGINS"]
    origins = _default(cors).split(",")
    assert origins == ["http://localhost:8000"]
    assert "*" not in origins
    assert minio["MINIO_API_CORS_ALLOW_CREDENTIALS_WITH_WILDCARD"] == "off"
    # The origin is where the web app is published.
    assert services["web"]["ports"] == ["${WEB_PORT:-8000}:8000"]


def test_the_bucket_is_private_and_created_before_the_app_starts() -> None:
    services = _compose()["services"]
    command = " ".join(services["bucket"]["command"])
    assert "mc mb --ignore-existing" in command
    assert "mc anonymous set none" in command
    assert services["web"]["depends_on"]["bucket"]["condition"] == "service_completed_successfully"
