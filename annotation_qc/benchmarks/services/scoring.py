"""Scoring a submitted or skipped benchmark and keeping the annotator's status current (inside the
submit or skip transaction).

The status comes from the sequential tests of :mod:`annotation_qc.domain.flagging` over the
annotator's benchmark outcomes (a skipped benchmark is a miss) and its peer evidence (each regular
annotation judged against the others of its item, ``benchmarks.services.evidence``), in time order.
A change is recorded as an :class:`AnnotatorStatusChange`; with the project's ``flag_action``
"alert", turning ``flagged`` opens an alert (sent to the project's webhooks) and leaving it resolves
the alert.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from django.utils import timezone

from annotation_qc.benchmarks.models import (
    AnnotatorQuality,
    AnnotatorStatusChange,
    BenchmarkTask,
)
from annotation_qc.benchmarks.services.evidence import PeerEvidence, annotator_peer_evidence
from annotation_qc.domain.flagging import (
    FlagDecision,
    FlagRule,
    benchmark_evidence,
    evidence_flag,
    flag_status,
)
from annotation_qc.domain.scoring import score_submission
from annotation_qc.domain.skill import wilson_interval
from annotation_qc.projects.models import Project

#: Thresholds are clamped into the range where the tests are defined.
THRESHOLD_RANGE = (0.02, 0.94)


def benchmark_outcome_record(
    *, task_id: int, project: Project, payload: dict[str, Any], now: datetime
) -> None:
    """Score the submission against the gold answer and update the annotator's status.

    A changed answer is scored again: the new outcome replaces the old one and keeps its place
    (``scored_at``) in the annotator's sequence of outcomes.
    """
    benchmark = BenchmarkTask.objects.select_for_update().get(task_id=task_id)
    outcome = score_submission(benchmark.gold_payload, payload, min_iou=project.benchmark_min_iou)
    benchmark.fixed = outcome.fixed
    benchmark.outcome = outcome.to_dict()
    benchmark.scored_at = benchmark.scored_at or now
    benchmark.save(update_fields=["fixed", "outcome", "scored_at"])
    annotator_status_refresh(project=project, annotator_id=benchmark.annotator_id, now=now)


def benchmark_skip_record(*, task_id: int, project_id: int, annotator_id: int, now: datetime) -> bool:
    """A skipped task: if it was a benchmark, score it as a miss; refresh the annotator's status.

    Called for every skipped task, work or benchmark alike, and runs the same statements for
    both (an update that matches no row for work), so the skip path does not tell them apart.
    Returns whether a benchmark was scored.
    """
    scored = BenchmarkTask.objects.filter(task_id=task_id, fixed__isnull=True).update(
        fixed=False, skipped=True, outcome={"fixed": False, "skipped": True}, scored_at=now
    )
    # A skipped benchmark keeps its place in its gold item's exposure: the annotator saw the item, as
    # the skipper of a work item did, and the exposure targets are drawn from work items' annotators
    # skippers included (see domain.gold_exposure), so gold is shared as often as work either way.
    project = Project.objects.get(pk=project_id)
    annotator_status_refresh(project=project, annotator_id=annotator_id, now=now)
    return scored > 0


def project_flag_rule(project: Project) -> FlagRule | None:
    """The project's flag rule; None when its threshold is 0 (flagging off)."""
    if project.flag_threshold <= 0.0:
        return None
    low, high = THRESHOLD_RANGE
    return FlagRule(threshold=min(max(project.flag_threshold, low), high))


def annotator_status_refresh(
    *, project: Project, annotator_id: int, now: datetime | None = None
) -> AnnotatorQuality:
    """Recompute an annotator's status from their scored benchmarks; record any change."""
    now = now or timezone.now()
    quality, _ = AnnotatorQuality.objects.select_for_update().get_or_create(
        project=project, annotator_id=annotator_id
    )
    rows = list(
        BenchmarkTask.objects.filter(project=project, annotator_id=annotator_id, fixed__isnull=False)
        .order_by("scored_at", "pk")
        .values_list("fixed", "skipped", "scored_at")
    )
    fixed = [bool(f) for f, _, _ in rows]
    n, correct, skipped = len(rows), sum(fixed), sum(bool(s) for _, s, _ in rows)
    rule = project_flag_rule(project)
    min_benchmarks = max(1, project.calibration_benchmarks)
    if rule is None:
        status = "calibrating" if n < min_benchmarks else "ok"
        evidence: dict[str, Any] = {"n": n, "flagged": False, "reason": None}
    else:
        peer = annotator_peer_evidence(project=project, annotator_id=annotator_id)
        decision = _decision_with_peers(fixed, [(t or now).timestamp() for _, _, t in rows], peer, rule)
        status = flag_status(decision, min_benchmarks=min_benchmarks)
        evidence = {
            **decision.to_dict(),
            "peer_rows": len(peer.a),
            "peer_shared_rows": peer.shared,
            "peer_model": peer.model.to_dict(),
        }
    evidence = {**evidence, "benchmarks": n, "fixed": correct, "skipped": skipped}
    if quality.status != status:
        _, high = wilson_interval(correct, n)
        AnnotatorStatusChange.objects.create(
            project=project,
            annotator_id=annotator_id,
            previous=quality.status,
            status=status,
            benchmarks=n,
            accuracy_high=high,
            reason=evidence.get("reason") or "",
            evidence=evidence,
        )
        _flag_alert(project=project, quality=quality, status=status, evidence=evidence, now=now)
    quality.status, quality.benchmarks, quality.fixed = status, n, correct
    quality.skipped, quality.flag = skipped, evidence
    quality.save(update_fields=["status", "benchmarks", "fixed", "skipped", "flag", "updated_at"])
    return quality


def _decision_with_peers(
    fixed: list[bool], scored_at: list[float], peer: PeerEvidence, rule: FlagRule
) -> FlagDecision:
    """The sequential tests over benchmarks and peer evidence interleaved in time order."""
    bench_a, bench_b = benchmark_evidence(fixed)
    a = np.concatenate([bench_a, peer.a])
    b = np.concatenate([bench_b, peer.b])
    at = np.concatenate([np.asarray(scored_at, dtype=np.float64), peer.at])
    is_benchmark = np.concatenate([np.ones(len(bench_a), bool), np.zeros(len(peer.a), bool)])
    order = np.argsort(at, kind="stable")
    return evidence_flag(a[order], b[order], rule, is_benchmark=is_benchmark[order])


def _flag_alert(
    *, project: Project, quality: AnnotatorQuality, status: str, evidence: dict[str, Any], now: datetime
) -> None:
    from annotation_qc.alerts.services.flags import annotator_flag_alert, annotator_flag_resolve

    if status == AnnotatorQuality.Status.FLAGGED and project.flag_action == Project.FlagAction.ALERT:
        annotator_flag_alert(
            project_id=project.pk,
            annotator_id=quality.annotator_id,
            username=quality.annotator.username,
            decision=evidence,
            now=now,
        )
    elif quality.status == AnnotatorQuality.Status.FLAGGED:
        annotator_flag_resolve(project_id=project.pk, annotator_id=quality.annotator_id, now=now)
