"""Alert rules: create, edit and delete a project's rules (parameters validated by the domain)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from annotation_qc.alerts.models import Alert, AlertRule
from annotation_qc.core.exceptions import NotFound, ServiceError
from annotation_qc.domain.alert_params import AlertParamsError, validate_params
from annotation_qc.projects.models import Project


def _params_clean(kind: str, overrides: Any, *, base: dict[str, Any] | None = None) -> dict[str, Any]:
    try:
        return validate_params(kind, overrides, base=base)
    except AlertParamsError as error:
        field = "kind" if error.path == "kind" else ".".join(p for p in ("params", error.path) if p)
        raise ServiceError(
            f"Invalid alert rule: {field}: {error.problem}", errors={field: [error.problem]}
        ) from None


def rule_get(*, project: Project, rule_id: int) -> AlertRule:
    rule = AlertRule.objects.filter(project=project, pk=rule_id).first()
    if rule is None:
        raise NotFound("No such alert rule.")
    return rule


def rule_create(
    *,
    project: Project,
    kind: str,
    params: Any,
    name: str = "",
    severity: str = AlertRule.Severity.WARNING,
    enabled: bool = True,
    user_id: int | None,
) -> AlertRule:
    """A rule with the kind's defaults for every parameter not given."""
    clean = _params_clean(kind, params)
    return AlertRule.objects.create(
        project=project,
        kind=kind,
        name=name,
        params=clean,
        severity=severity,
        enabled=enabled,
        created_by_id=user_id,
    )


def _resolve_open(rule: AlertRule) -> int:
    return Alert.objects.filter(rule=rule, resolved_at__isnull=True).update(resolved_at=timezone.now())


@transaction.atomic
def rule_update(*, rule: AlertRule, changes: dict[str, Any]) -> AlertRule:
    """Apply ``changes`` (``name``, ``severity``, ``enabled``, ``params`` merged onto the current ones).

    Disabling a rule resolves its open alerts: nothing checks them any more.
    """
    if "kind" in changes and changes["kind"] != rule.kind:
        raise ServiceError(
            "The kind of a rule cannot change; create a new rule.",
            errors={"kind": ["cannot be changed; create a new rule instead"]},
        )
    if "params" in changes:
        rule.params = _params_clean(rule.kind, changes["params"], base=rule.params)
    for field in ("name", "severity", "enabled"):
        if field in changes:
            setattr(rule, field, changes[field])
    rule.save()
    if not rule.enabled:
        _resolve_open(rule)
    return rule


@transaction.atomic
def rule_delete(*, rule: AlertRule) -> None:
    """Delete a rule; its alerts stay (with their kind) and the open ones are resolved."""
    _resolve_open(rule)
    rule.delete()
