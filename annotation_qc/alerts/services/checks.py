"""Checking a project's rules: one alert per episode of a condition, resolved when it clears.

A condition that holds for a subject with no open alert fires a new alert (and is sent to the
project's active webhooks once the transaction commits); an open alert whose condition no longer
holds is resolved; an open alert whose condition still holds is left alone, so a condition alerts
once while it stays true. Checks of the same rule are serialised by a row lock on the rule, and a
partial unique index allows one open alert per (rule, subject).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from annotation_qc.alerts.models import Alert, AlertRule, Webhook
from annotation_qc.alerts.services.inputs import rule_conditions
from annotation_qc.core.exceptions import NotFound
from annotation_qc.core.queue import enqueue_on_commit
from annotation_qc.domain.alerts import AlertCondition, episode_changes
from annotation_qc.projects.models import Project

logger = logging.getLogger(__name__)

MESSAGE_MAX = 1000


@dataclass(frozen=True)
class CheckSummary:
    rules: int
    fired: list[int] = field(default_factory=list)
    resolved: int = 0
    open: int = 0
    failed: dict[int, str] = field(default_factory=dict)


def _episodes_record(
    *, rule: AlertRule, conditions: tuple[AlertCondition, ...], now: datetime
) -> tuple[list[int], int]:
    """Fire, resolve and keep the episodes of one rule; returns the new alert ids and the resolved count."""
    from annotation_qc.alerts.tasks import webhook_deliver

    holding = {c.subject: c for c in conditions}
    with transaction.atomic():
        locked = AlertRule.objects.select_for_update().filter(pk=rule.pk, enabled=True).first()
        if locked is None:  # deleted or disabled while its figures were read
            return [], 0
        open_alerts = dict(
            Alert.objects.filter(rule=rule, resolved_at__isnull=True).values_list("subject", "pk")
        )
        changes = episode_changes(open_alerts, holding)
        resolved = Alert.objects.filter(pk__in=[open_alerts[s] for s in changes.resolve]).update(
            resolved_at=now
        )
        created = Alert.objects.bulk_create(
            Alert(
                rule=rule,
                project_id=rule.project_id,
                kind=rule.kind,
                severity=locked.severity,
                subject=subject,
                message=holding[subject].message[:MESSAGE_MAX],
                data=dict(holding[subject].data),
                fired_at=now,
            )
            for subject in changes.fire
        )
        AlertRule.objects.filter(pk=rule.pk).update(last_checked_at=now)
        if created:
            webhooks = list(
                Webhook.objects.filter(project_id=rule.project_id, active=True).values_list("pk", flat=True)
            )
            for alert in created:
                for webhook_id in webhooks:
                    enqueue_on_commit(webhook_deliver, alert.pk, webhook_id)
    return [alert.pk for alert in created], resolved


def alerts_check(*, project: Project, now: datetime | None = None) -> CheckSummary:
    """Check every enabled rule of ``project``; a rule that fails to evaluate is logged and skipped."""
    now = now or timezone.now()
    rules = list(AlertRule.objects.filter(project=project, enabled=True).order_by("pk"))
    fired: list[int] = []
    resolved = 0
    failed: dict[int, str] = {}
    for rule in rules:
        try:
            conditions = rule_conditions(rule=rule, project=project, now=now)
        except Exception as exc:  # one broken rule must not silence the others
            logger.exception("alert rule %s of project %s failed to evaluate", rule.pk, project.pk)
            failed[rule.pk] = f"{type(exc).__name__}: {exc}"
            continue
        new, cleared = _episodes_record(rule=rule, conditions=conditions, now=now)
        fired.extend(new)
        resolved += cleared
    return CheckSummary(
        rules=len(rules),
        fired=fired,
        resolved=resolved,
        open=Alert.objects.filter(project=project, resolved_at__isnull=True).count(),
        failed=failed,
    )


def projects_to_check() -> list[int]:
    """Projects with at least one enabled rule."""
    return list(
        AlertRule.objects.filter(enabled=True)
        .order_by("project_id")
        .values_list("project_id", flat=True)
        .distinct()
    )


@transaction.atomic
def alert_acknowledge(*, project: Project, alert_id: int, user_id: int) -> Alert:
    """Mark an alert as seen (the first acknowledgement stands; acknowledging again changes nothing)."""
    alert = Alert.objects.select_for_update().filter(project=project, pk=alert_id).first()
    if alert is None:
        raise NotFound("No such alert.")
    if alert.acknowledged_at is None:
        alert.acknowledged_by_id = user_id
        alert.acknowledged_at = timezone.now()
        alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
    return Alert.objects.select_related("acknowledged_by").get(pk=alert.pk)
