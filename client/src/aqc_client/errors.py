"""Exceptions the client raises: every server refusal carries the server's sentence and field errors."""

from __future__ import annotations

from typing import Any


class AQCError(Exception):
    """Base class of everything this client raises."""


class ConnectionFailed(AQCError):
    """The server could not be reached (after the retries)."""


class IncompatibleServer(AQCError):
    """The server speaks an API version this client does not know."""


class ChecksumMismatch(AQCError):
    """A downloaded export does not hash to the sha256 its manifest states."""


class JobFailed(AQCError):
    """A background job ended in failure; ``job`` is the server's job record."""

    def __init__(self, job: dict[str, Any]) -> None:
        self.job = job
        message = job.get("message") or "no message"
        super().__init__(f"job {job.get('id')} ({job.get('kind')}) failed: {message}")


class JobTimeout(AQCError):
    """A job was still running when the wait gave up."""


class APIError(AQCError):
    """The server answered with an error status.

    ``detail`` is the server's sentence, ``errors`` maps field paths (``items[3].width``) to messages, and
    ``body`` is the whole decoded answer (``findings`` of a rejected submission live there).
    """

    status: int = 0

    def __init__(self, status: int, detail: str, errors: dict[str, list[str]] | None, body: Any) -> None:
        self.status = status
        self.detail = detail
        self.errors = errors or {}
        self.body = body
        fields = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in self.errors.items())
        super().__init__(f"HTTP {status}: {detail}" + (f" ({fields})" if fields else ""))


class BadRequest(APIError):
    status = 400


class AuthenticationFailed(APIError):
    status = 401


class PermissionDenied(APIError):
    status = 403


class NotFound(APIError):
    status = 404


class Conflict(APIError):
    status = 409


class PayloadTooLarge(APIError):
    status = 413


class RateLimited(APIError):
    status = 429


class ServerError(APIError):
    status = 500


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequest,
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    429: RateLimited,
}


def error_for(status: int, body: Any) -> APIError:
    """The exception for an error answer, with the server's ``detail`` and field ``errors`` if sent."""
    detail, errors = f"HTTP {status}", None
    if isinstance(body, dict):
        detail = str(body.get("detail") or detail)
        raw = body.get("errors")
        if isinstance(raw, dict):
            errors = {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in raw.items()}
    elif isinstance(body, str) and body.strip():
        detail = body.strip()[:300]
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else APIError)
    error = cls(status, detail, errors, body)
    error.status = status
    return error
