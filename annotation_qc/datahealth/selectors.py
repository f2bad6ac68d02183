"""Reads of the datahealth app."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from annotation_qc.datahealth.models import AuditEvent, BatchReport, ItemHealth, Quarantine, RetentionRun
from annotation_qc.domain.alerts import AlertCondition
from annotation_qc.domain.data_health.drift import drift_condition
from annotation_qc.projects.models import Project


def batch_reports(*, project: Project) -> QuerySet[BatchReport]:
    return (
        BatchReport.objects.filter(project=project).select_related("data_import").order_by("-data_import_id")
    )


def batch_report(*, project: Project, import_id: int) -> BatchReport | None:
    return batch_reports(project=project).filter(data_import_id=import_id).first()


def quarantines(*, project: Project, status: str) -> QuerySet[Quarantine]:
    rows = Quarantine.objects.filter(project=project).select_related("item").order_by("-pk")
    return rows if status == "all" else rows.filter(status=status)


def outliers(*, project: Project) -> QuerySet[ItemHealth]:
    return (
        ItemHealth.objects.filter(project=project, is_outlier=True)
        .select_related("item")
        .order_by("-outlier_score", "item_id")
    )


def audit_events(*, project: Project, action: str | None) -> QuerySet[AuditEvent]:
    rows = AuditEvent.objects.filter(project=project).select_related("actor").order_by("-at", "-pk")
    return rows.filter(action=action) if action else rows


def retention_runs(*, project: Project) -> QuerySet[RetentionRun]:
    return RetentionRun.objects.filter(project=project).order_by("-ran_at", "-pk")


def drift_series(*, project: Project, limit: int = 50) -> list[dict[str, Any]]:
    """Per batch (oldest first): whether it drifted, its largest effect and smallest corrected p-value,
    and the effect per statistic, for the dashboard's drift chart."""
    rows = list(
        BatchReport.objects.filter(project=project, drift_checked_at__isnull=False)
        .order_by("-data_import_id")
        .values_list("data_import_id", "created_at", "items", "drift", "drifted", "quarantined")[:limit]
    )
    series = []
    for import_id, created_at, items, drift, drifted, quarantined in reversed(rows):
        tested = [t for t in drift.get("tests", []) if t.get("status") == "tested"]
        series.append(
            {
                "batch": import_id,
                "created_at": created_at.isoformat(),
                "items": items,
                "quarantined": quarantined,
                "status": drift.get("status"),
                "drifted": drifted,
                "drifted_statistics": drift.get("drifted", []),
                "max_effect": max((t["effect"] for t in tested), default=None),
                "min_p_adjusted": min((t["p_adjusted"] for t in tested), default=None),
                "effects": {t["statistic"]: t["effect"] for t in tested},
            }
        )
    return series


def drift_conditions(*, project: Project, batches: int, min_effect: float) -> tuple[AlertCondition, ...]:
    """One alert condition per drifted batch among the latest ``batches`` checked ones."""
    rows = (
        BatchReport.objects.filter(project=project, drift_checked_at__isnull=False)
        .order_by("-data_import_id")
        .values_list("data_import_id", "drift")[:batches]
    )
    conditions = []
    for import_id, drift in rows:
        tests = [
            t for t in drift.get("tests", []) if t.get("drifted") and (t.get("effect") or 0) >= min_effect
        ]
        found = drift_condition(import_id, f"import {import_id}", {"tests": tests})
        if found is not None:
            conditions.append(
                AlertCondition(subject=found["subject"], message=found["message"], data=found["data"])
            )
    return tuple(sorted(conditions, key=lambda c: c.subject))
