"""The audit log: who imported, exported, changed settings, gold or data-health rules."""

from __future__ import annotations

from typing import Any

from annotation_qc.datahealth.models import AuditEvent


def audit_record(
    *,
    project_id: int,
    actor_id: int | None,
    action: str,
    target: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        project_id=project_id, actor_id=actor_id, action=action, target=target[:200], details=details or {}
    )
