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
    """Reviews waiting for a reviewer, in the chosen order; never the reviewer's own annotations."""
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
        "item": {"id": item.pk, "external_id": item.external_id},
        "round": review.round,
        "suspicion": round(review.suspicion, 4),
        "agreement": review.agreement,
        "model_confidence": review.model_confidence,
        "entered_at": review.entered_at.isoformat(),
    }


def review_detail(*, review: Review) -> dict[str, Any]:
    """The review workspace: image, the annotation, the pre-annotation, other answers, history."""
    from annotation_qc.labeling.selectors import item_image_url

    item = review.item
    annotation = review.annotation
    others = [
        {"annotator": username, "payload": payload}
        for username, payload in Annotation.objects.filter(item=item, is_benchmark=False)
        .exclude(pk=annotation.pk)
        .order_by("pk")
        .values_list("annotator__username", "payload")
    ]
    rounds = [
        {
            "round": r.round,
            "action": r.action,
            "by": r.actor.username if r.actor else None,
            "comments": r.comments,
            "diff": r.diff,
            "objects_changed": r.objects_changed,
            "seconds_waiting": round(r.seconds_waiting, 1),
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
            "external_id": item.external_id,
            "image_url": item_image_url(item),
            "width": item.width,
            "height": item.height,
        },
        "annotator": review.annotator.username,
        "payload": annotation.payload,
        "pre_annotation": annotation.task.pre_annotation,
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
    """What the annotator sees of a rejected annotation: their answer and the reviewers' comments."""
    last = (
        review.rounds.filter(action="reject")
        .order_by("-acted_at", "-pk")
        .values("comments", "acted_at")
        .first()
    )
    return {
        "status": review.status,
        "round": review.round,
        "payload": review.annotation.payload,
        "comments": last["comments"] if last else [],
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
