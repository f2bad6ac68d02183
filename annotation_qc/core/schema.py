"""OpenAPI schema generation tweaks."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    """Every error answer: a summary, and the messages per field path where the request was at fault."""

    detail = serializers.CharField()
    errors = serializers.DictField(  # type: ignore[assignment]  # the metaclass moves fields off the class
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages per field path, e.g. {'payload.boxes[2].w': ['must be > 0']}.",
    )


#: A response that is a JSON array of objects (rows built by selectors rather than serializers), for
#: ``@extend_schema(responses={200: OBJECT_LIST})``.
OBJECT_LIST: dict[str, Any] = {"type": "array", "items": {"type": "object", "additionalProperties": {}}}

ERROR_DESCRIPTIONS = {
    "400": "Bad input: `errors` names each field at fault.",
    "401": "Not signed in, or the token is invalid or revoked.",
    "403": "Signed in, but the role (or a missing CSRF token, for sessions) does not allow this.",
    "404": "No such object, or not visible to this user.",
    "409": "The request conflicts with the current state.",
    "413": "The request body is over the size limit.",
    "415": "The body is not of a media type this operation reads (JSON; multipart where files are uploaded).",
    "429": "Too many requests: retry after the `Retry-After` header's seconds.",
    "503": "The server is overloaded (load shedding) or a store it needs is unreachable: retry after the "
    "`Retry-After` header's seconds where it is given.",
}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class ApiSchema(AutoSchema):
    """Names nested serializers after their API class, and documents the error answers of each operation.

    Every API declares its own ``InputSerializer`` and ``OutputSerializer`` (one per operation), so
    the class name alone would make every request body the same component. Error answers follow
    what the operation can do: 401/403 unless it is open to anyone, 404 when it names objects in its
    path or pages a list, 400/413 when it takes a body, 400 for query parameters, 409 for writes, 429
    where a throttle applies, and 503 everywhere (load shedding, ``annotation_qc/core/overload.py``).
    """

    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        name: str = super().get_serializer_name(serializer, direction)
        inner = getattr(serializer, "child", serializer)
        qualname = type(inner).__qualname__
        if "." in qualname:
            outer = qualname.split(".")[0].removesuffix("Api")
            return f"{outer}{name}"
        return name

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> Any:
        """Request bodies of strict serializers say so: ``additionalProperties: false``."""
        from annotation_qc.core.serializers import StrictSerializer

        schema = super()._map_basic_serializer(serializer, direction)
        target = serializer if isinstance(serializer, type) else type(serializer)
        if direction == "request" and issubclass(target, StrictSerializer):
            schema["additionalProperties"] = False
        return schema

    def map_parsers(self) -> list[str]:
        """Request bodies are documented as JSON, unless the view names its parsers (file uploads)."""
        media_types: list[str] = super().map_parsers()
        if "parser_classes" in vars(type(self.view)):
            return media_types
        return [media for media in media_types if media == "application/json"] or media_types

    def error_codes(self) -> list[str]:
        view = self.view
        codes: set[str] = set()
        permissions = [p if isinstance(p, type) else type(p) for p in getattr(view, "permission_classes", [])]
        is_open = bool(permissions) and all(issubclass(p, AllowAny) for p in permissions)
        if not is_open:
            codes |= {"401", "403"}
        elif self.method in WRITE_METHODS:
            codes.add("403")  # a session without its CSRF token
        has_body = self.method in ("POST", "PUT", "PATCH")
        if has_body:
            codes |= {"400", "413", "415"}
        if self.method in WRITE_METHODS:
            codes.add("409")
        if "{" in self.path:
            codes.add("404")
        if self.method == "GET" and (self._get_paginator() is not None or _has_query(self)):
            codes |= {"400", "404"}
        if getattr(view, "throttle_classes", None) or getattr(view, "throttle_scope", None):
            codes.add("429")
        codes.add("503")  # any request may be shed while the server is saturated
        codes |= {str(c) for c in getattr(view, "extra_error_codes", ())}
        return sorted(codes)

    def _get_response_bodies(self, direction: Any = "response") -> Any:
        responses = super()._get_response_bodies(direction)
        for code in self.error_codes():
            if code in responses:
                continue
            response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
            response["description"] = ERROR_DESCRIPTIONS.get(code, response.get("description", ""))
            responses[code] = response
        return responses


def _has_query(schema: AutoSchema) -> bool:
    return any(p.get("in") == "query" for p in schema._get_parameters())
