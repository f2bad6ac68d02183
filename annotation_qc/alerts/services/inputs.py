"""The figures each rule kind judges, read from the other engines' tables, handed to the domain checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, Sum

from annotation_qc.agreement.selectors import latest_snapshot
from annotation_qc.alerts.models import AlertRule
from annotation_qc.benchmarks.models import AnnotatorQuality
from annotation_qc.domain import alerts as checks
from annotation_qc.domain.alert_params import validate_params
from annotation_qc.domain.alerts import AlertCondition
from annotation_qc.labeling.models import Annotation, Item, Task
from annotation_qc.linting.models import LintFinding
from annotation_qc.projects.models import Membership, Project


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows of a values_list as columns (``width`` empty lists for no rows)."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


def _accuracy(project: Project, params: dict[str, Any], now: datetime) -> tuple[AlertCondition, ...]:
    members = Membership.objects.filter(project=project).values("user_id")
    rows = list(
        AnnotatorQuality.objects.filter(project=project, annotator_id__in=members, benchmarks__gt=0)
        .order_by("annotator_id")
        .values_list("annotator_id", "annotator__username", "fixed", "benchmarks")
    )
    ids, names, fixed, benchmarks = _columns(rows, 4)
    return checks.accuracy_below(ids, names, fixed, benchmarks, **params)


def _agreement(project: Project, params: dict[str, Any], now: datetime) -> tuple[AlertCondition, ...]:
    snapshot = latest_snapshot(project)
    if snapshot is None:
        return ()
    conditions = checks.agreement_below(
        alpha=snapshot.alpha, alpha_high=snapshot.alpha_high, n_items=snapshot.n_items, **params
    )
    extra = {"snapshot_id": snapshot.pk, "computed_at": snapshot.computed_at.isoformat()}
    return tuple(replace(c, data={**c.data, **extra}) for c in conditions)


def _lint(project: Project, params: dict[str, Any], now: datetime) -> tuple[AlertCondition, ...]:
    since = now - timedelta(hours=params["window_hours"])
    rows = list(
        Annotation.objects.filter(project=project, submitted_at__gte=since, submitted_at__lte=now)
        .annotate(has_finding=Exists(LintFinding.objects.filter(annotation_id=OuterRef("pk"))))
        .values("annotator_id", "annotator__username")
        .annotate(n=Count("pk"), flagged=Count("pk", filter=Q(has_finding=True)))
        .order_by("annotator_id")
        .values_list("annotator_id", "annotator__username", "n", "flagged")
    )
    ids, names, submissions, flagged = _columns(rows, 4)
    return checks.lint_rate_above(ids, names, submissions, flagged, **params)


def _label_shift(project: Project, params: dict[str, Any], now: datetime) -> tuple[AlertCondition, ...]:
    window = params["window_annotations"]
    payloads = list(
        Annotation.objects.filter(project=project, is_benchmark=False, submitted_at__lte=now)
        .order_by("-submitted_at", "-pk")
        .values_list("payload", flat=True)[: 2 * window]
    )
    if len(payloads) < 2 * window:
        return ()  # the window before the last one is not complete yet
    recent = checks.label_counts(payloads[:window], project.labels)
    previous = checks.label_counts(payloads[window:], project.labels)
    return checks.label_shift(project.labels, previous, recent, **params)


def _queue(project: Project, params: dict[str, Any], now: datetime) -> tuple[AlertCondition, ...]:
    items = Item.objects.filter(project=project, is_gold=False).aggregate(
        items=Count("pk"), open_slots=Sum("open_slots", default=0)
    )
    annotators = Membership.objects.filter(project=project, role=Membership.Role.ANNOTATOR).count()
    return checks.queue_dry(
        open_slots=items["open_slots"], items=items["items"], annotators=annotators, **params
    )


def _skipping(project: Project, params: dict[str, Any], now: datetime) -> tuple[AlertCondition, ...]:
    members = Membership.objects.filter(project=project).values("user_id")
    finished = Q(status__in=[Task.Status.SUBMITTED, Task.Status.SKIPPED])
    skipped = Q(status=Task.Status.SKIPPED)
    bench, work = Q(kind=Task.Kind.BENCHMARK), Q(kind=Task.Kind.REGULAR)
    rows = list(
        Task.objects.filter(finished, project=project, annotator_id__in=members)
        .values("annotator_id", "annotator__username")
        .annotate(
            bn=Count("pk", filter=bench),
            bs=Count("pk", filter=bench & skipped),
            wn=Count("pk", filter=work),
            ws=Count("pk", filter=work & skipped),
        )
        .order_by("annotator_id")
        .values_list("annotator_id", "annotator__username", "bn", "bs", "wn", "ws")
    )
    ids, names, bn, bs, wn, ws = _columns(rows, 6)
    return checks.selective_skipping(ids, names, bn, bs, wn, ws, **params)


def _drift(project: Project, params: dict[str, Any], now: datetime) -> tuple[AlertCondition, ...]:
    from annotation_qc.datahealth.selectors import drift_conditions

    return drift_conditions(project=project, batches=params["batches"], min_effect=params["min_effect"])


def _first_pass(project: Project, params: dict[str, Any], now: datetime) -> tuple[AlertCondition, ...]:
    from annotation_qc.review.selectors import first_pass_conditions

    return first_pass_conditions(project=project, **params)


def _audit(project: Project, params: dict[str, Any], now: datetime) -> tuple[AlertCondition, ...]:
    from annotation_qc.benchmarks.selectors import latest_audit
    from annotation_qc.benchmarks.services.audit import benchmark_audit_run

    audit = latest_audit(project=project)
    if audit is None or audit.computed_at < now - timedelta(hours=params["refresh_hours"]):
        audit = benchmark_audit_run(project=project, now=now)
    conditions = checks.audit_auc_above(
        auc=audit.auc,
        low=audit.auc_low,
        high=audit.auc_high,
        n_benchmarks=audit.n_benchmarks,
        features=audit.result.get("features", []),
        threshold=params["threshold"],
        statistic=params["statistic"],
        min_benchmarks=params["min_benchmarks"],
    )
    return tuple(replace(c, data={**c.data, "audit_id": audit.pk}) for c in conditions)


INPUTS: dict[str, Callable[[Project, dict[str, Any], datetime], tuple[AlertCondition, ...]]] = {
    AlertRule.Kind.ANNOTATOR_ACCURACY_BELOW: _accuracy,
    AlertRule.Kind.AGREEMENT_BELOW: _agreement,
    AlertRule.Kind.LINT_ERROR_RATE_ABOVE: _lint,
    AlertRule.Kind.LABEL_DISTRIBUTION_SHIFT: _label_shift,
    AlertRule.Kind.QUEUE_DRY: _queue,
    AlertRule.Kind.SELECTIVE_SKIPPING: _skipping,
    AlertRule.Kind.DATA_DRIFT: _drift,
    AlertRule.Kind.FIRST_PASS_ACCEPTANCE_BELOW: _first_pass,
    AlertRule.Kind.BENCHMARK_AUDIT_AUC_ABOVE: _audit,
}


def rule_conditions(*, rule: AlertRule, project: Project, now: datetime) -> tuple[AlertCondition, ...]:
    """The conditions of ``rule`` that hold at ``now``."""
    # Re-validated so that a rule saved before a parameter was added gets its default.
    params = validate_params(rule.kind, None, base=rule.params)
    return INPUTS[rule.kind](project, params, now)
