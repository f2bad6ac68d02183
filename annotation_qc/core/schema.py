"""OpenAPI schema generation tweaks."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema


class ApiSchema(AutoSchema):
    """Names nested ``InputSerializer``/``OutputSerializer`` components after their API class.

    Every API declares its own ``InputSerializer`` and ``OutputSerializer`` (one per operation), so
    the class name alone would make every request body the same component.
    """

    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        name: str = super().get_serializer_name(serializer, direction)
        inner = getattr(serializer, "child", serializer)
        qualname = type(inner).__qualname__
        if "." in qualname:
            outer = qualname.split(".")[0].removesuffix("Api")
            return f"{outer}{name}"
        return name
