"""Reads of the datahealth app."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from django.db.models import F, QuerySet
from numpy.typing import NDArray

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


def priority_adjustments(*, item_ids: Sequence[int] | NDArray[np.int64]) -> NDArray[np.float64]:
    """What data health adds to each item's queue priority (coverage boost + outlier placement), in the
    order of ``item_ids`` (0 for items without a row)."""
    ids = np.asarray(item_ids, dtype=np.int64)
    out = np.zeros(len(ids), dtype=np.float64)
    if not len(ids):
        return out
    rows = (
        ItemHealth.objects.filter(item_id__in=ids.tolist())
        .exclude(priority_boost=0.0, placement_shift=0.0)
        .annotate(total=F("priority_boost") + F("placement_shift"))
        .values_list("item_id", "total")
    )
    found = np.array(list(rows), dtype=np.float64).reshape(-1, 2)
    if len(found):
        order = np.argsort(ids, kind="stable")
        positions = order[np.searchsorted(ids, found[:, 0].astype(np.int64), sorter=order)]
        out[positions] = found[:, 1]
    return out
