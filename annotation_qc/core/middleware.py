"""Request ids, JSON failure pages and body limits for every request.

Every response carries ``X-Request-ID``: a sane incoming one (letters, digits, ``.-_:``, at most 128
characters) is kept so a proxy's id follows the request, anything else is replaced by a new one. Every
log line written while the request runs carries it (``RequestIdFilter``), and a 5xx is logged with it
and answered with a JSON body that names it, so a user's report can be traced to the log.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import HttpRequest, HttpResponseBase, JsonResponse

logger = logging.getLogger("annotation_qc.request")

HEADER = "X-Request-ID"
_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def current_request_id() -> str:
    """The id of the request being served ("" outside a request)."""
    return _current.get()


def request_id_for(incoming: str | None) -> str:
    return incoming if incoming and _SANE.match(incoming) else uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record logged while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = _current.get()
        if request_id and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True


def server_error_body(request_id: str) -> dict[str, Any]:
    return {
        "detail": "Server error: the request could not be completed. Quote the request id when reporting it.",
        "request_id": request_id,
    }


def _is_multipart(request: HttpRequest) -> bool:
    return (request.META.get("CONTENT_TYPE") or "").startswith("multipart/")


def too_large_response(length: int, limit: int) -> JsonResponse:
    return JsonResponse(
        {
            "detail": f"The request body is {length} bytes; at most {limit} bytes are accepted here. "
            "Send files as multipart uploads.",
            "errors": {"body": [f"larger than {limit} bytes"]},
        },
        status=413,
    )


class RequestIdMiddleware:
    """Outermost middleware: the request id, body-size refusal, and JSON for unhandled errors."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_for(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _current.set(request_id)
        try:
            response = self._checked(request)
            # Django logs 4xx/5xx after the middleware chain, once the request id is gone: log 5xx here.
            if response.status_code >= 500 and not getattr(response, "_has_been_logged", False):
                logger.error(
                    "%s %s answered %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={"status": response.status_code, "path": request.path},
                )
                response._has_been_logged = True  # type: ignore[attr-defined]
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response

    def _checked(self, request: HttpRequest) -> HttpResponseBase:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        # Multipart uploads carry files up to the import limits; their own checks answer 413.
        if limit is not None and length > limit and not _is_multipart(request):
            return too_large_response(length, limit)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponseBase | None:
        """Exceptions a view let through: JSON 4xx for refused bodies, a logged JSON 500 for the rest."""
        if isinstance(exception, RequestDataTooBig):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
            return too_large_response(int(request.META.get("CONTENT_LENGTH") or 0), limit)
        if isinstance(exception, TooManyFieldsSent | SuspiciousOperation):
            body = {"detail": f"Bad request: {exception}", "errors": {"body": [str(exception) or "refused"]}}
            return JsonResponse(body, status=400)
        if settings.DEBUG and not request.path.startswith("/api/"):
            return None  # Django's debug page
        request_id = getattr(request, "request_id", "") or current_request_id()
        logger.error(
            "unhandled %s on %s %s",
            exception.__class__.__name__,
            request.method,
            request.path,
            exc_info=exception,
            extra={"status": 500, "path": request.path},
        )
        response = JsonResponse(server_error_body(request_id), status=500)
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response
