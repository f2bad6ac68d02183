"""Reads for review and label-error detection."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from annotation_qc.projects.models import Project
from annotation_qc.review.models import LabelErrorRun, LabelErrorSuspect


def label_error_latest_run(*, project: Project) -> LabelErrorRun | None:
    return LabelErrorRun.objects.filter(project=project).order_by("-created_at", "-pk").first()


def label_error_current_run(*, project: Project) -> LabelErrorRun | None:
    """The newest run that succeeded: the one whose suspects are shown."""
    return (
        LabelErrorRun.objects.filter(project=project, status=LabelErrorRun.Status.SUCCEEDED)
        .order_by("-created_at", "-pk")
        .first()
    )


def label_error_suspects(*, run: LabelErrorRun) -> QuerySet[LabelErrorSuspect]:
    return (
        LabelErrorSuspect.objects.filter(run=run)
        .select_related("item", "annotation__annotator")
        .order_by("rank")
    )


def run_summary(run: LabelErrorRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "id": run.pk,
        "job_id": run.job_id,
        "status": run.status,
        "source": run.source,
        "model_version": run.model_version,
        "items": run.n_items,
        "suspects": run.n_suspects,
        "message": run.message,
        "result": run.result,
        "created_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


def suspect_row(suspect: LabelErrorSuspect) -> dict[str, Any]:
    annotation = suspect.annotation
    return {
        "rank": suspect.rank,
        "item_id": suspect.item_id,
        "external_id": suspect.item.external_id,
        "score": round(suspect.score, 4),
        "kind": suspect.kind,
        "given_label": suspect.given_label,
        "suggested_label": suspect.suggested_label,
        "model_confidence": None if suspect.model_confidence is None else round(suspect.model_confidence, 4),
        "reason": suspect.reason,
        "annotation_id": suspect.annotation_id,
        "annotator": annotation.annotator.username if annotation is not None else None,
        "details": suspect.details,
    }
