"""One error shape for every API response: ``{"detail": ..., "errors": {field path: [messages]}}``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ServiceError(Exception):
    """Raised by services for a request that cannot be carried out; APIs map it to a 4xx."""

    status_code: int = status.HTTP_400_BAD_REQUEST

    def __init__(self, detail: str, *, errors: dict[str, list[str]] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}
        self.extra = extra


class Conflict(ServiceError):
    status_code = status.HTTP_409_CONFLICT


class NotFound(ServiceError):
    status_code = status.HTTP_404_NOT_FOUND


class Forbidden(ServiceError):
    status_code = status.HTTP_403_FORBIDDEN


class Gone(ServiceError):
    status_code = status.HTTP_410_GONE


def flatten_errors(data: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error structure into ``{"payload.boxes[2].w": ["..."]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "non_field_errors":
                path = prefix
            elif isinstance(key, int):
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for sub_path, messages in flatten_errors(value, path).items():
                flat.setdefault(sub_path, []).extend(messages)
    elif isinstance(data, list):
        if all(not isinstance(v, dict | list) for v in data):
            flat[prefix or "non_field_errors"] = [str(v) for v in data]
        else:
            for index, value in enumerate(data):
                if value:
                    flat.update(flatten_errors(value, f"{prefix}[{index}]"))
    else:
        flat[prefix or "non_field_errors"] = [str(data)]
    return flat


def _summary(errors: dict[str, list[str]]) -> str:
    first_field, messages = next(iter(errors.items()))
    summary = f"{first_field}: {messages[0]}" if first_field != "non_field_errors" else messages[0]
    more = len(errors) - 1
    return summary + (f" (and {more} more)" if more > 0 else "")


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ServiceError):
        body: dict[str, Any] = {"detail": exc.detail}
        if exc.errors:
            body["errors"] = exc.errors
        body.update(exc.extra)
        return Response(body, status=exc.status_code)
    if isinstance(exc, IntegrityError):
        # Two requests raced for the same row (a unique constraint held): the loser may simply retry.
        return Response(
            {"detail": "A concurrent request changed the same data; retry the request.", "errors": {}},
            status=status.HTTP_409_CONFLICT,
            headers={"Retry-After": "1"},
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": "The request body is too large.", "errors": {"body": [str(exc) or "too large"]}},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, SuspiciousOperation):
        return Response(
            {"detail": f"Bad request: {exc}", "errors": {"body": [str(exc) or "refused"]}},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(response.data)
        response.data = {"detail": _summary(errors) if errors else "Invalid input.", "errors": errors}
    elif isinstance(exc, exceptions.ParseError):
        response.data = {"detail": str(exc.detail), "errors": {"body": [str(exc.detail)]}}
    return response
