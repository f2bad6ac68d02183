"""Reads for review and label-error detection."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet

from annotation_qc.core.exceptions import NotFound
from annotation_qc.labeling.models import Annotation
from annotation_qc.projects.models import Project
from annotation_qc.review.models import LabelErrorRun, LabelErrorSuspect, Review


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


# The review queue and what a reviewer sees.

QUEUE_ORDER: dict[str, tuple[Any, ...]] = {
    "suspicion": ("-suspicion", "entered_at", "pk"),
    "agreement": (F("agreement").asc(nulls_last=True), "entered_at", "pk"),
    "model_confidence": (F("model_confidence").asc(nulls_last=True), "entered_at", "pk"),
    "age": ("entered_at", "pk"),
}


def review_queue(*, project: Project, reviewer_id: int, order: str) -> QuerySet[Review]:
    """Reviews waiting for a reviewer, in the chosen order; never the reviewer's own annotations;
    none for a reviewer stopped by their flag."""
    from annotation_qc.review.services.reviewer_flags import reviewer_stopped

    if reviewer_stopped(project=project, reviewer_id=reviewer_id):
        return Review.objects.none()
    return (
        Review.objects.filter(project=project, status=Review.Status.PENDING)
        .exclude(annotator_id=reviewer_id)
        .select_related("item")
        .order_by(*QUEUE_ORDER[order])
    )


def review_row(review: Review) -> dict[str, Any]:
    """A queue row: the same shape for every review (benchmark or not; no reason shown)."""
    item = review.item
    return {
        "id": review.pk,
        "item": {"id": item.pk},
        "round": review.round,
        "suspicion": round(review.suspicion, 4),
        "agreement": review.agreement,
        "model_confidence": review.model_confidence,
        "entered_at": review.entered_at.isoformat(),
    }


def review_detail(*, review: Review) -> dict[str, Any]:
    """The review workspace: image, the annotation, the pre-annotation, other answers, history."""
    from annotation_qc.labeling.selectors import item_image_url
    from annotation_qc.labeling.services.dispatch import latest_prediction_payload

    item = review.item
    annotation = review.annotation
    # A review benchmark shows its seeded payload and the item's model prediction as pre-annotation,
    # in the same shape as any other review (no annotator name on either: reviews are blind).
    answers = Annotation.objects.filter(item=item, is_benchmark=False)
    if annotation is not None:
        answers = answers.exclude(pk=annotation.pk)
    others = [
        {"annotator": username, "payload": payload}
        for username, payload in answers.order_by("pk").values_list("annotator__username", "payload")
    ]
    rounds = [
        {
            "round": r.round,
            "action": r.action,
            "by": r.actor.username if r.actor else None,
            "comments": r.comments,
            "objects": r.object_verdicts,
            "diff": r.diff,
            "objects_changed": r.objects_changed,
            "seconds_waiting": round(r.seconds_waiting, 1),
            "seconds_working": None if r.seconds_working is None else round(r.seconds_working, 1),
            "at": r.acted_at.isoformat(),
        }
        for r in review.rounds.select_related("actor").order_by("acted_at", "pk")
    ]
    return {
        **review_row(review),
        "status": review.status,
        "project_id": review.project_id,
        "kind": review.project.kind,
        "labels": review.project.labels,
        "item": {
            "id": item.pk,
            "image_url": item_image_url(item),
            "width": item.width,
            "height": item.height,
        },
        "payload": annotation.payload if annotation is not None else review.benchmark_payload,
        "pre_annotation": (
            annotation.task.pre_annotation if annotation is not None else latest_prediction_payload(item.pk)
        ),
        "other_answers": others,
        "history": rounds,
    }


def review_for_member(*, project: Project, review_id: int) -> Review:
    review = (
        Review.objects.select_related("item", "annotation__task", "annotator", "project")
        .filter(pk=review_id, project=project)
        .first()
    )
    if review is None:
        raise NotFound("No such review.")
    return review


def rework_body(*, review: Review) -> dict[str, Any]:
    """What the annotator sees of a rejected annotation: their answer, the reviewers' comments and the
    boxes they rejected (indexes into that answer's boxes, with the verdicts' comments)."""
    last = (
        review.rounds.filter(action="reject")
        .order_by("-acted_at", "-pk")
        .values("comments", "object_verdicts", "acted_at")
        .first()
    )
    rejected = [
        {"box": v["box"], "comment": v.get("comment", "")}
        for v in (last["object_verdicts"] if last else [])
        if v["verdict"] == "rejected"
    ]
    return {
        "status": review.status,
        "round": review.round,
        "payload": review.annotation.payload if review.annotation is not None else None,
        "comments": last["comments"] if last else [],
        "rejected_objects": rejected,
        "rejected_at": last["acted_at"].isoformat() if last else None,
    }


def rework_reviews(*, project: Project, annotator_id: int) -> QuerySet[Review]:
    return (
        Review.objects.filter(project=project, annotator_id=annotator_id, status=Review.Status.REWORK)
        .select_related("annotation__task__item", "annotation__task__project")
        .order_by("pk")
    )


def items_pending_review(*, project_id: int) -> set[int]:
    """Items with an open review (pending or in rework): not final for export."""
    return set(
        Review.objects.filter(project_id=project_id, status__in=Review.OPEN).values_list("item_id", flat=True)
    )


# Review as a quality signal.

REVIEWER_ACTIONS = ("accept", "fix", "reject")


def review_outcomes(*, project: Project, benchmarks: bool = False) -> list[tuple[Any, ...]]:
    """Per review a reviewer acted on: (review id, annotator id, round-1 accepts, rejects, objects
    changed after review, reviewers' working seconds (None when no action was timed), seconds
    waiting in the queue)."""
    from django.db.models import Count, Exists, OuterRef, Q, Sum

    from annotation_qc.review.models import ReviewRound

    acted = ReviewRound.objects.filter(review=OuterRef("pk"), action__in=REVIEWER_ACTIONS)
    reviewed = Review.objects.filter(Exists(acted), project=project)
    reviewed = reviewed.exclude(benchmark_kind="") if benchmarks else reviewed.filter(benchmark_kind="")
    rows = reviewed.annotate(
        accepted_first=Count("rounds", filter=Q(rounds__round=1, rounds__action="accept")),
        rejects=Count("rounds", filter=Q(rounds__action="reject")),
        changed=Sum("rounds__objects_changed", filter=Q(rounds__action__in=("fix", "rework"))),
        seconds=Sum("rounds__seconds_working", filter=Q(rounds__action__in=REVIEWER_ACTIONS)),
        queued=Sum("rounds__seconds_waiting", filter=Q(rounds__action__in=REVIEWER_ACTIONS)),
    ).values_list("pk", "annotator_id", "accepted_first", "rejects", "changed", "seconds", "queued")
    return list(rows)


def first_pass_evidence(
    *, project: Project, annotator_ids: list[int] | None = None
) -> dict[int, tuple[int, int]]:
    """Per annotator: (reviews accepted at the first review, reviews acted on in round 1), benchmarks
    of reviewers left out."""
    from django.db.models import Count, Q

    from annotation_qc.review.models import ReviewRound

    rounds = ReviewRound.objects.filter(
        review__project=project,
        review__benchmark_kind="",
        review__annotator__isnull=False,
        round=1,
        action__in=REVIEWER_ACTIONS,
    )
    if annotator_ids is not None:
        rounds = rounds.filter(review__annotator_id__in=annotator_ids)
    return {
        annotator: (ok, n)
        for annotator, n, ok in rounds.values_list("review__annotator_id")
        .annotate(n=Count("pk"), ok=Count("pk", filter=Q(action="accept")))
        .order_by("review__annotator_id")
    }


def review_scorecard(*, project: Project, confidence: float = 0.95) -> list[dict[str, Any]]:
    """Per annotator with reviewed work: first-pass acceptance, rejection rate, object-level rejection
    rate (boxes rejected of boxes given a verdict), objects fixed per review, time in review and rework
    rounds (with intervals), beside benchmark skill, and a weekly trend."""
    from django.db.models import Count, Q, Sum
    from django.db.models.functions import TruncWeek

    from annotation_qc.accounts.models import User
    from annotation_qc.benchmarks.models import AnnotatorQuality
    from annotation_qc.domain.review_quality import object_rejection_rate, review_stats
    from annotation_qc.domain.skill import wilson_interval
    from annotation_qc.review.models import ReviewRound

    rows = review_outcomes(project=project)
    if not rows:
        return []
    _, annotators, accepted, rejects, changed, seconds, queued = (list(c) for c in zip(*rows, strict=True))
    stats = review_stats(
        annotators,
        [a > 0 for a in accepted],
        [r > 0 for r in rejects],
        [c or 0 for c in changed],
        [float("nan") if s is None else s for s in seconds],
        rejects,
        seconds_queued=[q or 0.0 for q in queued],
        confidence=confidence,
    )
    objects = {
        annotator_id: (reviewed, rejected)
        for annotator_id, reviewed, rejected in ReviewRound.objects.filter(
            review__project=project, review__benchmark_kind="", action__in=REVIEWER_ACTIONS
        )
        .values_list("review__annotator_id")
        .annotate(reviewed=Sum("objects_reviewed"), rejected=Sum("objects_rejected"))
        .order_by("review__annotator_id")
    }
    names = dict(User.objects.filter(pk__in=list(stats)).values_list("pk", "username"))
    skill = {
        a: (f, n)
        for a, f, n in AnnotatorQuality.objects.filter(
            project=project, annotator_id__in=list(stats)
        ).values_list("annotator_id", "fixed", "benchmarks")
    }
    trend: dict[int, list[dict[str, Any]]] = {}
    for annotator_id, week, n, ok in (
        ReviewRound.objects.filter(
            review__project=project, review__benchmark_kind="", round=1, action__in=REVIEWER_ACTIONS
        )
        .annotate(week=TruncWeek("acted_at"))
        .values_list("review__annotator_id", "week")
        .annotate(n=Count("pk"), ok=Count("pk", filter=Q(action="accept")))
        .order_by("review__annotator_id", "week")
    ):
        trend.setdefault(annotator_id, []).append(
            {"week": week.date().isoformat(), "reviews": n, "first_pass_accepted": ok}
        )
    result = []
    for annotator_id, row in sorted(stats.items()):
        fixed, benchmarks = skill.get(annotator_id, (0, 0))
        low, high = wilson_interval(fixed, benchmarks, confidence=confidence)
        result.append(
            {
                "user_id": annotator_id,
                "username": names.get(annotator_id),
                **row,
                "object_rejection_rate": object_rejection_rate(
                    *objects.get(annotator_id, (0, 0)), confidence=confidence
                ),
                "benchmark_accuracy": {
                    "value": round(fixed / benchmarks, 4) if benchmarks else None,
                    "low": round(low, 4) if benchmarks else None,
                    "high": round(high, 4) if benchmarks else None,
                    "n": benchmarks,
                },
                "trend": trend.get(annotator_id, []),
            }
        )
    return result


def first_pass_conditions(
    *, project: Project, threshold: float, statistic: str, min_reviews: int, confidence: float
) -> tuple[Any, ...]:
    from annotation_qc.domain.review_quality import first_pass_acceptance_below

    rows = review_scorecard(project=project, confidence=confidence)
    return first_pass_acceptance_below(
        [r["user_id"] for r in rows],
        [r["username"] or str(r["user_id"]) for r in rows],
        [round((r["first_pass_acceptance"]["value"] or 0) * r["reviews"]) for r in rows],
        [r["reviews"] for r in rows],
        threshold=threshold,
        statistic=statistic,
        min_reviews=min_reviews,
        confidence=confidence,
    )


def reviewer_scorecard(*, project: Project, confidence: float = 0.95) -> list[dict[str, Any]]:
    """Per reviewer: reviews done and how they ended, and review benchmarks caught (a seeded error
    rejected or fixed) with a Wilson interval, per error kind, and the status of the same sequential
    tests that flag annotators (``reviewer_flags.reviewer_flag_decision``)."""
    from django.db.models import Count, Q

    from annotation_qc.domain.skill import wilson_interval
    from annotation_qc.review.models import ReviewRound

    done = {
        actor: (n, accepted, fixed, rejected)
        for actor, n, accepted, fixed, rejected in ReviewRound.objects.filter(
            review__project=project,
            review__benchmark_kind="",
            action__in=REVIEWER_ACTIONS,
            actor__isnull=False,
        )
        .values_list("actor_id")
        .annotate(
            n=Count("pk"),
            accepted=Count("pk", filter=Q(action="accept")),
            fixed=Count("pk", filter=Q(action="fix")),
            rejected=Count("pk", filter=Q(action="reject")),
        )
        .order_by("actor_id")
    }
    per_kind: dict[int, dict[str, list[int]]] = {}
    for reviewer, kind, n, caught in (
        Review.objects.filter(
            project=project, benchmark_caught__isnull=False, benchmark_reviewer__isnull=False
        )
        .values_list("benchmark_reviewer_id", "benchmark_kind")
        .annotate(n=Count("pk"), caught=Count("pk", filter=Q(benchmark_caught=True)))
        .order_by("benchmark_reviewer_id", "benchmark_kind")
    ):
        per_kind.setdefault(reviewer, {})[kind] = [n, caught]
    from annotation_qc.review.services.reviewer_flags import reviewer_flag_decision

    sequences: dict[int, list[bool]] = {}
    for reviewer, caught_one in (
        Review.objects.filter(
            project=project, benchmark_caught__isnull=False, benchmark_reviewer__isnull=False
        )
        .order_by("closed_at", "pk")
        .values_list("benchmark_reviewer_id", "benchmark_caught")
    ):
        sequences.setdefault(reviewer, []).append(bool(caught_one))
    from annotation_qc.accounts.models import User

    people = sorted(set(done) | set(per_kind))
    names = dict(User.objects.filter(pk__in=people).values_list("pk", "username"))
    rows = []
    for person in people:
        n, accepted, fixed, rejected = done.get(person, (0, 0, 0, 0))
        kinds = per_kind.get(person, {})
        bench_n = sum(v[0] for v in kinds.values())
        bench_caught = sum(v[1] for v in kinds.values())
        low, high = wilson_interval(bench_caught, bench_n, confidence=confidence)
        status, evidence = reviewer_flag_decision(project, sequences.get(person, []))
        rows.append(
            {
                "user_id": person,
                "username": names.get(person),
                "status": status,
                "flag_reason": evidence.get("reason"),
                "reviews": n,
                "accepted": accepted,
                "fixed": fixed,
                "rejected": rejected,
                "benchmarks": {
                    "n": bench_n,
                    "caught": bench_caught,
                    "accuracy": round(bench_caught / bench_n, 4) if bench_n else None,
                    "low": round(low, 4) if bench_n else None,
                    "high": round(high, 4) if bench_n else None,
                },
                "by_error_kind": {
                    kind: {"n": v[0], "caught": v[1], "accuracy": round(v[1] / v[0], 4)}
                    for kind, v in kinds.items()
                },
            }
        )
    return rows
