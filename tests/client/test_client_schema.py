"""Every endpoint the client calls exists in the server's OpenAPI schema with that method, and the typed
answers' keys exist in the schema's components: a changed endpoint breaks this test, not a user."""

from __future__ import annotations

import re
import typing
from typing import Any

import pytest
from aqc_client import ENDPOINTS
from aqc_client.types import SCHEMA_COMPONENTS
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _normalise(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


@pytest.mark.parametrize(("name", "endpoint"), sorted(ENDPOINTS.items()))
def test_endpoint_in_schema(schema: dict[str, Any], name: str, endpoint: tuple[str, str]) -> None:
    method, path = endpoint
    paths = {_normalise(p): ops for p, ops in schema["paths"].items()}
    assert _normalise(path) in paths, f"{name}: {path} is not in the schema"
    assert method.lower() in paths[_normalise(path)], f"{name}: {method} {path} is not in the schema"


@pytest.mark.parametrize(("component", "typed"), sorted(SCHEMA_COMPONENTS.items()))
def test_typed_answers_match_components(schema: dict[str, Any], component: str, typed: type) -> None:
    properties = set(schema["components"]["schemas"][component]["properties"])
    missing = set(typing.get_type_hints(typed)) - properties
    assert not missing, f"{typed.__name__} expects {sorted(missing)} that {component} does not have"
