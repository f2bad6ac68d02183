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
