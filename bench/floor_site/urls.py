"""The app's URLs plus ``POST /bench/floor/<project_id>/``: the least an annotator call can do.

A token look-up, then in one transaction one ``SELECT ... FOR UPDATE SKIP LOCKED`` of the best open
item through the queue index and one INSERT: no DRF, no ORM, no membership check. Next-task and
submit are measured against it (``bench/floor.py``).
"""

from __future__ import annotations

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from annotation_qc.accounts.models import token_digest
from config.urls import urlpatterns as app_urlpatterns


@csrf_exempt
def floor(request: HttpRequest, project_id: int) -> JsonResponse:
    key = request.headers.get("Authorization", "").removeprefix("Token ").strip()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT user_id FROM accounts_apitoken WHERE digest = %s AND revoked_at IS NULL",
            [token_digest(key)],
        )
        user = cursor.fetchone()
        if user is None:
            return JsonResponse({"detail": "Invalid token."}, status=401)
        with transaction.atomic():
            cursor.execute(
                "SELECT id FROM labeling_item WHERE project_id = %s AND open_slots > 0 "
                "ORDER BY priority DESC, id ASC LIMIT 1 FOR UPDATE SKIP LOCKED",
                [project_id],
            )
            item = cursor.fetchone()
            if item is None:
                return JsonResponse({}, status=204)
            cursor.execute(
                "INSERT INTO bench_floor (item_id, user_id, at) VALUES (%s, %s, now())", [item[0], user[0]]
            )
    return JsonResponse({"item_id": item[0]})


urlpatterns = [path("bench/floor/<int:project_id>/", floor), *app_urlpatterns]
