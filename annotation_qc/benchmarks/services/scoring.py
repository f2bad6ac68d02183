"""Scoring a submitted benchmark and keeping the annotator's status current (inside the submit
transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Q

from annotation_qc.benchmarks.models import AnnotatorQuality, AnnotatorStatusChange, BenchmarkTask
from annotation_qc.domain.scoring import score_submission
from annotation_qc.domain.skill import annotator_status, estimate_accuracy
from annotation_qc.projects.models import Project


def benchmark_outcome_record(
    *, task_id: int, project: Project, payload: dict[str, Any], now: datetime
) -> None:
    """Score the submission against the gold answer and update the annotator's status."""
    benchmark = BenchmarkTask.objects.select_for_update().get(task_id=task_id)
    outcome = score_submission(benchmark.gold_payload, payload, min_iou=project.benchmark_min_iou)
    benchmark.fixed = outcome.fixed
    benchmark.outcome = outcome.to_dict()
    benchmark.scored_at = now
    benchmark.save(update_fields=["fixed", "outcome", "scored_at"])
    annotator_status_refresh(project=project, annotator_id=benchmark.annotator_id)


def annotator_status_refresh(*, project: Project, annotator_id: int) -> AnnotatorQuality:
    """Recompute an annotator's status from their scored benchmarks; record any change."""
    counts = BenchmarkTask.objects.filter(
        project=project, annotator_id=annotator_id, fixed__isnull=False
    ).aggregate(n=Count("pk"), fixed=Count("pk", filter=Q(fixed=True)))
    estimate = estimate_accuracy(counts["fixed"], counts["n"])
    status = annotator_status(
        estimate, threshold=project.flag_threshold, min_benchmarks=max(1, project.calibration_benchmarks)
    )
    quality, _ = AnnotatorQuality.objects.select_for_update().get_or_create(
        project=project, annotator_id=annotator_id
    )
    if quality.status != status:
        AnnotatorStatusChange.objects.create(
            project=project,
            annotator_id=annotator_id,
            previous=quality.status,
            status=status,
            benchmarks=estimate.n,
            accuracy_high=estimate.high,
        )
    quality.status, quality.benchmarks, quality.fixed = status, estimate.n, estimate.correct
    quality.save(update_fields=["status", "benchmarks", "fixed", "updated_at"])
    return quality
