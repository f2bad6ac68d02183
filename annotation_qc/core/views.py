"""Plain Django views: the health check and the single-page app's index."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.views.decorators.csrf import csrf_exempt


def _broker_ok() -> tuple[bool, str]:
    url = settings.CELERY_BROKER_URL
    if url.startswith("memory://"):
        return True, "embedded (tasks run in-process)"
    if url.startswith("filesystem://"):
        folder = Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]))
        return folder.is_dir(), f"file broker at {folder}" + ("" if folder.is_dir() else " (missing)")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except Exception as exc:  # any failure means "down" for a health check
        return False, f"unreachable: {exc.__class__.__name__}"
    return True, "ok"


def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = (True, "ok")
    except Exception as exc:
        database = (False, f"unreachable: {exc.__class__.__name__}")
    broker = _broker_ok()
    healthy = database[0] and broker[0]
    body = {"status": "ok" if healthy else "degraded", "database": database[1], "broker": broker[1]}
    return JsonResponse(body, status=200 if healthy else 503)


def frontend_index(request: HttpRequest) -> HttpResponseBase:
    index = settings.FRONTEND_DIST / "index.html"
    if not index.exists():
        return HttpResponse(
            "The web UI is not built yet: run `make build-ui` (or `make run`).",
            status=503,
            content_type="text/plain",
        )
    return FileResponse(index.open("rb"), content_type="text/html")


def server_error(request: HttpRequest) -> JsonResponse:
    """Django's last resort (an exception outside any view): JSON with the request id, like the rest."""
    from annotation_qc.core.middleware import current_request_id, server_error_body

    return JsonResponse(server_error_body(current_request_id()), status=500)


def bad_request(request: HttpRequest, exception: Exception) -> JsonResponse:
    return JsonResponse(
        {"detail": "Bad request.", "errors": {"body": [str(exception) or "refused"]}}, status=400
    )


@csrf_exempt  # it changes nothing; an unsafe method must get this JSON 404, not the CSRF failure page
def api_not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """No route matched under /api/ (an unknown path, or an id out of range: core.converters)."""
    return JsonResponse({"detail": f"No API endpoint at {request.path}."}, status=404)
