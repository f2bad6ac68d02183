"""Reads for managers (scorecards, benchmark drill-down) and for annotators (their own aggregate score)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
from django.db.models import Count, Q

from annotation_qc.benchmarks.models import AnnotatorQuality, BenchmarkAudit, BenchmarkTask, GoldAnnotation
from annotation_qc.domain.flagging import benchmark_evidence
from annotation_qc.domain.peer_skill import peer_skill_of_annotations
from annotation_qc.domain.seeding import BOX_ERROR_KINDS, CLASS_ERROR_KINDS
from annotation_qc.domain.skill import (
    estimate_accuracy,
    evidence_log_likelihood,
    population_prior,
    shrunk_estimates,
    skill_summary,
)
from annotation_qc.domain.skipping import skip_signals
from annotation_qc.labeling.models import Annotation, Item, Task
from annotation_qc.labeling.selectors import item_image_url
from annotation_qc.projects.models import Membership, Project

TREND_WINDOW = 20
#: Peer estimates read the regular annotations of at most this many of the latest shared items.
PEER_ITEMS = 5000


def _error_kinds(project: Project) -> tuple[str, ...]:
    kinds = BOX_ERROR_KINDS if project.kind == Project.Kind.BBOX else CLASS_ERROR_KINDS
    return (*kinds, BenchmarkTask.UNASSISTED)


def _median_seconds(project: Project) -> dict[int, dict[str, float | None]]:
    """Median server-measured and client-reported seconds per task, per annotator."""
    rows = np.array(
        Annotation.objects.filter(project=project).values_list(
            "annotator_id", "server_time_ms", "client_time_ms"
        ),
        dtype=object,
    )
    medians: dict[int, dict[str, float | None]] = {}
    if len(rows) == 0:
        return medians
    annotators = rows[:, 0].astype(np.int64)
    server = rows[:, 1].astype(np.float64)
    client = np.array([np.nan if v is None else v for v in rows[:, 2]], dtype=np.float64)
    order = np.argsort(annotators, kind="stable")
    ids, starts = np.unique(annotators[order], return_index=True)
    for annotator_id, server_group, client_group in zip(
        ids.tolist(), np.split(server[order], starts[1:]), np.split(client[order], starts[1:]), strict=True
    ):
        client_known = client_group[~np.isnan(client_group)]
        medians[annotator_id] = {
            "server": round(float(np.median(server_group)) / 1000, 2),
            "client": round(float(np.median(client_known)) / 1000, 2) if len(client_known) else None,
        }
    return medians


def _benchmark_summaries(project: Project) -> dict[int, dict[str, Any]]:
    rows = list(
        BenchmarkTask.objects.filter(project=project, fixed__isnull=False)
        .order_by("annotator_id", "scored_at")
        .values_list("annotator_id", "fixed", "error_kind", "error_label", "scored_at")
    )
    grouped: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row[1:])
    summaries = {}
    for annotator_id, group in grouped.items():
        fixed, kinds, labels, times = zip(*group, strict=True)
        summaries[annotator_id] = skill_summary(
            fixed,
            error_kinds=kinds,
            labels=[label or None for label in labels],
            submitted_at=[t.timestamp() for t in times],
            window=TREND_WINDOW,
        ).to_dict()
    return summaries


def _extra_columns(project: Project) -> dict[int, dict[str, Any]]:
    """Columns from the other quality engines: lint-finding rates and agreement with peers."""
    from annotation_qc.agreement.selectors import agreement_by_annotator
    from annotation_qc.linting.selectors import finding_rates

    columns: dict[int, dict[str, Any]] = defaultdict(dict)
    for annotator_id, rates in finding_rates(project=project).items():
        columns[annotator_id]["lint_finding_rate"] = rates["lint_finding_rate"]
    for annotator_id, agreement in agreement_by_annotator(project).items():
        columns[annotator_id]["agreement"] = agreement
    return columns


def _peer(project: Project) -> dict[int, dict[str, Any]]:
    """Peer agreement as evidence (``domain.peer_skill``) over the latest items with two or more answers."""
    regular = Q(annotations__is_benchmark=False)
    shared = (
        Item.objects.filter(project=project)
        .annotate(n=Count("annotations", filter=regular))
        .filter(n__gte=2)
        .order_by("-pk")
        .values_list("pk", flat=True)[:PEER_ITEMS]
    )
    rows = list(
        Annotation.objects.filter(project=project, is_benchmark=False, item_id__in=list(shared)).values_list(
            "item_id", "annotator_id", "payload", "task__pre_annotation"
        )
    )
    if not rows:
        return {}
    items, annotators, payloads, pre = zip(*rows, strict=True)
    return peer_skill_of_annotations(
        kind=project.payload_kind,
        labels=list(project.labels),
        item_ids=items,
        annotator_ids=annotators,
        payloads=payloads,
        pre_annotations=pre,
        min_iou=project.benchmark_min_iou,
    )


def _skill(project: Project) -> dict[int, dict[str, Any]]:
    """Each annotator's fix rate from benchmarks and peer evidence together, shrunk toward the
    project's population (``domain.skill.shrunk_estimates`` under ``population_prior``)."""
    from annotation_qc.benchmarks.services.evidence import scorecard_evidence

    bench = np.array(
        BenchmarkTask.objects.filter(project=project, fixed__isnull=False).values_list(
            "annotator_id", "fixed"
        ),
        dtype=np.int64,
    ).reshape(-1, 2)
    found = scorecard_evidence(project)
    peer_people = found[0].table.people if found is not None else np.zeros(0, dtype=np.int64)
    people = np.union1d(bench[:, 0], peer_people)
    if len(people) == 0:
        return {}
    bench_a, bench_b = benchmark_evidence(bench[:, 1].astype(bool))
    owners = [np.searchsorted(people, bench[:, 0])]
    a_parts, b_parts = [bench_a], [bench_b]
    peer_rows = np.zeros(len(people), dtype=np.int64)
    if found is not None:
        rows, fit = found
        peer_owner = np.searchsorted(people, rows.table.people[rows.table.rows.annotator])
        owners.append(peer_owner)
        a_parts.append(fit.row_a)
        b_parts.append(fit.row_b)
        peer_rows = np.bincount(peer_owner, minlength=len(people))
    log_lik = evidence_log_likelihood(
        np.concatenate(owners), np.concatenate(a_parts), np.concatenate(b_parts), n_owners=len(people)
    )
    shrunk = shrunk_estimates(log_lik, population_prior(log_lik))
    return {
        int(person): {**shrunk.row(index), "peer_rows": int(peer_rows[index])}
        for index, person in enumerate(people.tolist())
    }


def _skipping(project: Project) -> dict[int, dict[str, Any]]:
    """Skip counts on benchmarks and on work per annotator, with the selective-skipping test."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    finished = (Task.Status.SUBMITTED, Task.Status.SKIPPED)
    for annotator_id, kind, task_status, n in (
        Task.objects.filter(project=project, status__in=finished)
        .values("annotator_id", "kind", "status")
        .annotate(n=Count("pk"))
        .values_list("annotator_id", "kind", "status", "n")
    ):
        offset = 0 if kind == Task.Kind.BENCHMARK else 2
        counts[annotator_id][offset] += n
        if task_status == Task.Status.SKIPPED:
            counts[annotator_id][offset + 1] += n
    if not counts:
        return {}
    ids = list(counts)
    table = np.array([counts[i] for i in ids], dtype=np.int64)
    signals = skip_signals(table[:, 0], table[:, 1], table[:, 2], table[:, 3])
    return {i: signal.to_dict() for i, signal in zip(ids, signals, strict=True)}


def scorecards(*, project: Project) -> list[dict[str, Any]]:
    """One row per annotator of the project."""
    annotators = dict(
        Membership.objects.filter(project=project, role=Membership.Role.ANNOTATOR).values_list(
            "user_id", "user__username"
        )
    )
    annotators.update(
        Task.objects.filter(project=project).values_list("annotator_id", "annotator__username").distinct()
    )
    done = dict(
        Task.objects.filter(project=project, status=Task.Status.SUBMITTED)
        .values_list("annotator_id")
        .annotate(n=Count("pk"))
    )
    medians = _median_seconds(project)
    summaries = _benchmark_summaries(project)
    qualities = {
        annotator_id: (status, flag)
        for annotator_id, status, flag in AnnotatorQuality.objects.filter(project=project).values_list(
            "annotator_id", "status", "flag"
        )
    }
    skipping = _skipping(project)
    peer = _peer(project)
    skill = _skill(project)
    extra = _extra_columns(project)
    reviewed = _review_evidence(project)
    has_gold = GoldAnnotation.objects.filter(project=project).exists()
    note = None
    if not has_gold:
        note = "No gold annotations in this project: benchmarks are skipped until gold is imported."
    elif project.benchmark_rate == 0 and project.calibration_benchmarks == 0:
        note = "Benchmarks are switched off (benchmark rate and calibration are 0)."
    empty = estimate_accuracy(0, 0).to_dict()
    rows = []
    for user_id, username in sorted(annotators.items(), key=lambda kv: kv[1]):
        summary = summaries.get(user_id)
        rows.append(
            {
                "user_id": user_id,
                "username": username,
                "status": qualities.get(user_id, (AnnotatorQuality.Status.CALIBRATING, {}))[0],
                "flag": qualities.get(user_id, ("", {}))[1] or None,
                "tasks_done": done.get(user_id, 0),
                "median_seconds": medians.get(user_id, {}).get("server"),
                "median_client_seconds": medians.get(user_id, {}).get("client"),
                "benchmarks": summary["overall"] if summary else empty,
                "benchmarks_skipped": skipping.get(user_id, {}).get("benchmarks_skipped", 0),
                "skipping": skipping.get(user_id),
                "by_error_kind": {
                    kind: (summary["by_error_kind"].get(kind, empty) if summary else empty)
                    for kind in _error_kinds(project)
                },
                "by_label": summary["by_label"] if summary else {},
                "trend": summary["trend"] if summary else [],
                "lint_finding_rate": extra.get(user_id, {}).get("lint_finding_rate"),
                "agreement": extra.get(user_id, {}).get("agreement"),
                "peer": peer.get(user_id),
                "review": reviewed.get(user_id),
                "skill": skill.get(user_id),
                "note": note,
            }
        )
    return rows


def _review_evidence(project: Project) -> dict[int, dict[str, Any]]:
    """Per annotator with reviewed work: the review record as skill evidence, apart from benchmark
    accuracy: reviews, first-pass acceptance and rejection rate (Wilson intervals), and the skill
    that weights consensus (benchmarks and first-pass reviews pooled)."""
    from annotation_qc.domain.review_quality import pooled_evidence
    from annotation_qc.domain.skill import wilson_interval
    from annotation_qc.review.models import Review
    from annotation_qc.review.selectors import first_pass_evidence

    first = first_pass_evidence(project=project)
    if not first:
        return {}
    rejected = dict(
        Review.objects.filter(
            project=project, benchmark_kind="", annotator_id__in=list(first), rounds__action="reject"
        )
        .values_list("annotator_id")
        .annotate(n=Count("pk", distinct=True))
        .order_by("annotator_id")
    )
    benchmarks = {
        a: (fixed, n)
        for a, fixed, n in AnnotatorQuality.objects.filter(
            project=project, annotator_id__in=list(first), benchmarks__gt=0
        ).values_list("annotator_id", "fixed", "benchmarks")
    }
    pooled = pooled_evidence(benchmarks, first)

    def rate(k: int, n: int) -> dict[str, float]:
        low, high = wilson_interval(k, n)
        return {"value": round(k / n, 4), "low": round(low, 4), "high": round(high, 4)}

    return {
        a: {
            "reviews": n,
            "first_pass_acceptance": rate(ok, n),
            "rejection_rate": rate(min(rejected.get(a, 0), n), n),
            "skill_with_reviews": rate(*pooled[a]),
        }
        for a, (ok, n) in first.items()
    }


def annotator_benchmarks(*, project: Project, annotator_id: int) -> list[dict[str, Any]]:
    """Every scored benchmark of one annotator, with gold, seeded and submitted answers for drawing."""
    rows = (
        BenchmarkTask.objects.filter(
            project=project, annotator_id=annotator_id, fixed__isnull=False, task__isnull=False
        )
        .select_related("task__item", "task__annotation")
        .order_by("-scored_at")
    )
    return [
        {
            "task_id": b.task_id,
            "error_kind": b.error_kind,
            "error_label": b.error_label or None,
            "fixed": b.fixed,
            "skipped": b.skipped,
            "submitted_at": b.scored_at,
            "item": {
                "id": b.task.item_id,
                "image_url": item_image_url(b.task.item),
                "width": b.task.item.width,
                "height": b.task.item.height,
            },
            "gold": b.gold_payload,
            "seeded": b.seeded_payload,
            "submitted": None if b.skipped else b.task.annotation.payload,
            "detail": b.outcome,
            # Why some error kinds were not seeded (a blocking linter, a kind the model never makes).
            "seeding": {
                "excluded": b.seeding.get("profile", {}).get("excluded", {}),
                "rejected": b.seeding.get("rejected", {}),
            },
        }
        for b in rows
        if b.task is not None
    ]


def own_score(*, project: Project, annotator_id: int) -> dict[str, Any]:
    """An annotator's own aggregate benchmark score (never per-task outcomes)."""
    counts = BenchmarkTask.objects.filter(
        project=project, annotator_id=annotator_id, fixed__isnull=False
    ).aggregate(n=Count("pk"), fixed=Count("pk", filter=Q(fixed=True)))
    return estimate_accuracy(counts["fixed"], counts["n"]).to_dict()


def latest_audit(*, project: Project) -> BenchmarkAudit | None:
    return BenchmarkAudit.objects.filter(project=project).order_by("-computed_at", "-pk").first()


def audit_body(audit: BenchmarkAudit | None) -> dict[str, Any]:
    """The manager's view of an audit (``{"audit": null}`` before the first run)."""
    if audit is None:
        return {"audit": None}
    return {"audit": {"id": audit.pk, "computed_at": audit.computed_at.isoformat(), **audit.result}}
