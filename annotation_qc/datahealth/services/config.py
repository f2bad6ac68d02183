"""Reading and changing a project's data-health settings."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from annotation_qc.core.exceptions import ServiceError
from annotation_qc.datahealth.models import AuditEvent, HealthConfig
from annotation_qc.datahealth.services.audit import audit_record
from annotation_qc.domain.data_health.config import ConfigError, validate_config
from annotation_qc.projects.models import Project

MAX_RETENTION_DAYS = 36_500


def health_settings(project: Project) -> HealthConfig:
    """The stored settings (unsaved defaults when the project has none), config merged onto the defaults."""
    stored = HealthConfig.objects.filter(project=project).first() or HealthConfig(project=project)
    stored.config = validate_config(None, base=stored.config)
    return stored


def project_config(project_id: int) -> dict[str, Any]:
    stored = HealthConfig.objects.filter(project_id=project_id).values_list("config", flat=True).first()
    return validate_config(None, base=stored or {})


@transaction.atomic
def health_settings_update(
    *,
    project: Project,
    user_id: int | None,
    config: Any = None,
    pseudonymise_exports: bool | None = None,
    retention_days: int | None = None,
    clear_retention: bool = False,
) -> HealthConfig:
    """Merge ``config`` onto the stored configuration; 400 naming the field (``config.checks.x.y``)."""
    current, _ = HealthConfig.objects.select_for_update().get_or_create(project=project)
    try:
        merged = validate_config(config, base=current.config)
    except ConfigError as exc:
        field = f"config.{exc.path}" if exc.path else "config"
        raise ServiceError(f"Bad data-health configuration: {exc}", errors={field: [exc.problem]}) from None
    if retention_days is not None and not 1 <= retention_days <= MAX_RETENTION_DAYS:
        raise ServiceError(
            "Bad retention period.",
            errors={"retention_days": [f"must be between 1 and {MAX_RETENTION_DAYS}"]},
        )
    before = {
        "config": current.config,
        "pseudonymise_exports": current.pseudonymise_exports,
        "retention_days": current.retention_days,
    }
    current.config = merged
    if pseudonymise_exports is not None:
        current.pseudonymise_exports = pseudonymise_exports
    if retention_days is not None:
        current.retention_days = retention_days
    elif clear_retention:
        current.retention_days = None
    current.updated_by_id = user_id
    current.save()
    audit_record(
        project_id=project.pk,
        actor_id=user_id,
        action=AuditEvent.Action.HEALTH_CONFIG,
        target="data health settings",
        details={
            "changed": {
                "config": config,
                "pseudonymise_exports": pseudonymise_exports,
                "retention_days": retention_days if not clear_retention else None,
            },
            "before": {k: v for k, v in before.items() if k != "config"},
        },
    )
    return current
