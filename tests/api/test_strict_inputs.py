"""Every input serializer of every endpoint refuses unknown fields (a new one that does not fails here)."""

from __future__ import annotations

import inspect
import sys

from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import serializers

from annotation_qc.core.serializers import StrictSerializer


def _views(patterns: list[URLPattern | URLResolver]) -> set[type]:
    found: set[type] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found |= _views(pattern.url_patterns)
        else:
            view = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
            if view is not None:
                found.add(view)
    return found


def _reads_input(name: str) -> bool:
    return "Input" in name or "Update" in name


def _input_serializers(view: type) -> list[type]:
    """Serializers a view reads input with: its ``*Input*`` classes, nested ones, and its module's."""
    found: list[type] = []
    pending = [cls for name, cls in vars(view).items() if _reads_input(name) and inspect.isclass(cls)]
    module = sys.modules[view.__module__]
    pending += [cls for name, cls in vars(module).items() if inspect.isclass(cls) and _reads_input(name)]
    while pending:
        cls = pending.pop()
        if not issubclass(cls, serializers.Serializer) or cls in found:
            continue
        found.append(cls)
        for field in cls().fields.values():
            child = getattr(field, "child", field)
            if isinstance(child, serializers.Serializer):
                pending.append(type(child))
        pending += [c for c in vars(cls).values() if inspect.isclass(c)]
    return found


def test_every_input_serializer_is_strict() -> None:
    views = _views(get_resolver().url_patterns)
    assert len(views) > 30
    checked = [cls for view in views for cls in _input_serializers(view)]
    assert len(checked) > 20
    loose = sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in checked
        if not issubclass(cls, StrictSerializer | serializers.ModelSerializer)
    )
    assert not loose, f"input serializers that ignore unknown fields (base them on StrictSerializer): {loose}"


def test_a_number_is_not_a_string() -> None:
    """A JSON number sent for a text field is a 400 naming it (DRF alone would store ``42`` as ``"42"``,
    which the schema, ``type: string``, does not allow); strings and form fields pass as before."""
    from django.http import QueryDict

    class Named(StrictSerializer):
        name = serializers.CharField(max_length=20)

    for value in (42, 4.2, True):
        refused = Named(data={"name": value})
        assert not refused.is_valid()
        assert list(refused.errors) == ["name"]
    assert Named(data={"name": "42"}).is_valid()
    assert Named(data=QueryDict("name=42")).is_valid()


def test_the_label_error_run_refuses_a_numeric_model_version(world) -> None:  # type: ignore[no-untyped-def]
    response = world.client("manager").post(
        f"/api/v1/projects/{world.project.pk}/label-errors/", {"model_version": 42677462}, format="json"
    )
    assert response.status_code == 400
    assert "model_version" in response.json()["errors"]
