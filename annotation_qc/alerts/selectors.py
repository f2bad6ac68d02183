from __future__ import annotations

from typing import Literal

from django.db.models import Count, F, Q, QuerySet

from annotation_qc.alerts.models import Alert, AlertRule, Webhook, WebhookDelivery
from annotation_qc.projects.models import Project

AlertStatus = Literal["open", "resolved", "all"]


def alerts_list(*, project: Project, status: AlertStatus = "all") -> QuerySet[Alert]:
    """The project's alerts: open ones first (newest first), then resolved ones (latest resolved first)."""
    alerts = Alert.objects.filter(project=project).select_related("acknowledged_by")
    if status == "open":
        alerts = alerts.filter(resolved_at__isnull=True)
    elif status == "resolved":
        alerts = alerts.filter(resolved_at__isnull=False)
    return alerts.order_by(F("resolved_at").desc(nulls_first=True), "-fired_at", "-pk")


def rules_list(*, project: Project) -> QuerySet[AlertRule]:
    return (
        AlertRule.objects.filter(project=project)
        .annotate(open_alerts=Count("alerts", filter=Q(alerts__resolved_at__isnull=True)))
        .order_by("pk")
    )


def rule_detail(*, project: Project, rule_id: int) -> AlertRule | None:
    return rules_list(project=project).filter(pk=rule_id).first()


def webhooks_list(*, project: Project) -> QuerySet[Webhook]:
    return Webhook.objects.filter(project=project).order_by("pk")


def deliveries_list(*, webhook: Webhook) -> QuerySet[WebhookDelivery]:
    """A webhook's delivery attempts, newest first."""
    return WebhookDelivery.objects.filter(webhook=webhook).order_by("-attempted_at", "-pk")
