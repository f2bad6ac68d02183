"""The prioritised queue as ML teams pull it: keyset pagination over (priority desc, id)."""

from __future__ import annotations

import base64
import json
from typing import Any

from django.db.models import F, Q

from annotation_qc.core.exceptions import ServiceError
from annotation_qc.labeling.models import Item, ModelVersion
from annotation_qc.prioritization.models import PriorityRun
from annotation_qc.projects.models import Project


def encode_cursor(priority: float, item_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([priority, item_id]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[float, int]:
    try:
        priority, item_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return float(priority), int(item_id)
    except (ValueError, TypeError) as exc:
        raise ServiceError(
            "Invalid cursor.", errors={"cursor": ["not a cursor from a previous page"]}
        ) from exc


def queue_page(*, project: Project, limit: int, cursor: str | None) -> dict[str, Any]:
    field = project.priority_field
    items = Item.objects.filter(project=project, open_slots__gt=0)
    if cursor:
        priority, item_id = decode_cursor(cursor)
        items = items.filter(Q(**{f"{field}__lt": priority}) | Q(**{field: priority, "pk__gt": item_id}))
    rows = list(
        items.order_by(f"-{field}", "pk").values("pk", "external_id", "open_slots", score=F(field))[
            : limit + 1
        ]
    )
    run = PriorityRun.objects.filter(project=project, status=PriorityRun.Status.ACTIVE).first()
    next_cursor = (
        encode_cursor(rows[limit - 1]["score"], rows[limit - 1]["pk"]) if len(rows) > limit else None
    )
    return {
        "strategy": run.used_strategy if run else "import_order",
        "requested_strategy": run.strategy if run else None,
        "model_version": run.model_version if run else None,
        "model_versions": list(run.prediction_versions) if run else [],
        "computed_at": run.activated_at if run else None,
        "note": (run.fallback_reason or None) if run else "Never prioritised: the queue is in import order.",
        "results": [
            {
                "item_id": r["pk"],
                "external_id": r["external_id"],
                "score": r["score"],
                "open_slots": r["open_slots"],
            }
            for r in rows[:limit]
        ],
        "next_cursor": next_cursor,
    }


def model_version_list(*, project: Project) -> list[ModelVersion]:
    return list(
        ModelVersion.objects.filter(project=project)
        .select_related("owner")
        .order_by(F("uploaded_at").desc(nulls_last=True), "-pk")
    )
