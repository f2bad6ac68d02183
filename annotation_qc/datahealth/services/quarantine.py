"""Releasing quarantined items into the queue, or discarding them for good."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from annotation_qc.core.exceptions import ServiceError
from annotation_qc.datahealth.models import AuditEvent, Quarantine
from annotation_qc.datahealth.services.audit import audit_record
from annotation_qc.labeling.models import Item
from annotation_qc.projects.models import Project

MAX_IDS = 5000


@transaction.atomic
def quarantine_decide(*, project: Project, ids: Sequence[int], action: str, user_id: int | None) -> int:
    """``release`` gives each item back the open slots it had; ``discard`` keeps it out for good.

    Every id must be a held quarantine of this project, else nothing changes (400 naming the ids).
    """
    if action not in ("release", "discard"):
        raise ServiceError("Unknown action.", errors={"action": ["must be release or discard"]})
    wanted = sorted(set(ids))
    if not wanted or len(wanted) > MAX_IDS:
        raise ServiceError("Bad ids.", errors={"ids": [f"between 1 and {MAX_IDS} quarantine ids"]})
    rows = list(
        Quarantine.objects.select_for_update()
        .filter(project=project, pk__in=wanted, status=Quarantine.Status.HELD)
        .values_list("pk", "item_id", "held_slots")
    )
    missing = sorted(set(wanted) - {pk for pk, _, _ in rows})
    if missing:
        raise ServiceError(
            "Some ids are not held quarantines of this project; nothing was changed.",
            errors={"ids": [f"not held here: {', '.join(map(str, missing[:20]))}"]},
        )
    now = timezone.now()
    status = Quarantine.Status.RELEASED if action == "release" else Quarantine.Status.DISCARDED
    Quarantine.objects.filter(pk__in=wanted).update(status=status, decided_at=now, decided_by_id=user_id)
    if action == "release":
        by_slots: dict[int, list[int]] = {}
        for _, item, slots in rows:
            by_slots.setdefault(slots, []).append(item)
        for slots, items in by_slots.items():  # one update per distinct slot count (usually one or two)
            Item.objects.filter(pk__in=items).update(open_slots=slots)
    audit_record(
        project_id=project.pk,
        actor_id=user_id,
        action=AuditEvent.Action.QUARANTINE,
        target=f"{action} {len(rows)} item(s)",
        details={"action": action, "quarantine_ids": wanted[:500]},
    )
    return len(rows)
