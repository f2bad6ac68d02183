"""The review stage: which annotations enter review, reviewer actions, rework by the annotator.

Every write runs in a transaction with the review row locked, so two reviewers acting on the same
review at once serialise: the first wins and the second finds it no longer pending (409).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from annotation_qc.core.exceptions import Conflict, Forbidden, NotFound, ServiceError
from annotation_qc.domain.review import (
    object_decision,
    object_verdicts_clean,
    payload_diff,
    sampled,
    sampling_rate,
)
from annotation_qc.labeling.models import Annotation, Item, Prediction, Task
from annotation_qc.linting.services import LintRejected, lint_payload
from annotation_qc.projects.models import Project
from annotation_qc.review.models import LabelErrorSuspect, Review, ReviewConfig, ReviewRound
from annotation_qc.review.services.reviewer_flags import reviewer_status_refresh, reviewer_stopped

RATE_FIELDS = ("base_rate", "max_rate", "calibration_rate", "benchmark_rate")
MAX_COMMENTS = 200
MAX_COMMENT_CHARS = 2000


# Settings.


def review_config(project: Project) -> ReviewConfig:
    """The project's review settings (defaults, review off, when never set)."""
    config = ReviewConfig.objects.filter(project=project).first()
    return config if config is not None else ReviewConfig(project=project)


def review_config_update(*, project: Project, data: dict[str, Any]) -> ReviewConfig:
    """Apply a validated subset of settings; any bad value answers 400 naming the field, nothing saved."""
    errors: dict[str, list[str]] = {}
    for name in RATE_FIELDS:
        if name in data and not _is_rate(data[name]):
            errors[name] = ["must be a number in [0, 1]"]
    if (
        "agreement_below" in data
        and data["agreement_below"] is not None
        and not _is_rate(data["agreement_below"])
    ):
        errors["agreement_below"] = ["must be a number in [0, 1] or null"]
    if "order_by" in data and data["order_by"] not in ReviewConfig.Order.values:
        errors["order_by"] = [f"must be one of {', '.join(ReviewConfig.Order.values)}"]
    if errors:
        raise ServiceError("Invalid review settings.", errors=errors)
    with transaction.atomic():
        config, _ = ReviewConfig.objects.select_for_update().get_or_create(project=project)
        for name, value in data.items():
            setattr(config, name, value)
        config.save()
    return config


def _is_rate(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0.0 <= float(value) <= 1.0


# Entering review.


def review_sample_on_submit(
    *, annotation: Annotation, findings: list[dict[str, Any]], now: datetime | None = None
) -> Review | None:
    """The submit path's one call: put a regular annotation into review when the project samples it.

    Enters with every lint warning (when ``lint_warnings``), else with the annotator's sampling rate
    (higher for weaker benchmark records and while calibrating), drawn deterministically.
    """
    config = ReviewConfig.objects.filter(project_id=annotation.project_id, enabled=True).first()
    if config is None or annotation.is_benchmark:
        return None
    reason = _sampling_reason(config, annotation, findings, f"review:{annotation.project_id}:{annotation.pk}")
    return review_enter(annotation=annotation, reason=reason, now=now) if reason is not None else None


def review_sample_on_revision(
    *,
    annotation: Annotation,
    findings: list[dict[str, Any]],
    version: int,
    revised_at: datetime,
    now: datetime | None = None,
) -> Review | None:
    """The after-revise path's one call: the changed answer is sampled as a submission is.

    The same rule as :func:`review_sample_on_submit` (its lint warnings, else the annotator's current
    rate), with a draw of its own per version (``version`` counts the answer's versions, the first
    submission being 1), so a changed answer is not bound by the draw its first version got. An
    annotation whose review is open (pending, or back with its annotator) keeps that review: no second
    one. A review closed (accepted or fixed) before the change covered an answer that is no longer
    there: when the change is sampled, that review opens again for a new round. An item resolved
    elsewhere stays resolved. Returns the annotation's review, or None.
    """
    config = ReviewConfig.objects.filter(project_id=annotation.project_id, enabled=True).first()
    if config is None or annotation.is_benchmark:
        return None
    existing = Review.objects.select_for_update(of=("self",)).filter(annotation=annotation).first()
    if existing is not None and (
        existing.status not in (Review.Status.ACCEPTED, Review.Status.FIXED)
        or existing.closed_at is None
        or existing.closed_at >= revised_at  # the reviewer saw this version
    ):
        return existing
    key = f"review:{annotation.project_id}:{annotation.pk}:v{version}"
    reason = _sampling_reason(config, annotation, findings, key)
    if reason is None:
        return existing
    if existing is None:
        return review_enter(annotation=annotation, reason=reason, now=now)
    now = now or timezone.now()
    existing.round += 1
    existing.status = Review.Status.PENDING
    existing.pending_since = now
    existing.closed_at = None
    existing.opened_at, existing.opened_by_id = None, None
    existing.save(update_fields=["round", "status", "pending_since", "closed_at", "opened_at", "opened_by"])
    return existing


def _sampling_reason(
    config: ReviewConfig, annotation: Annotation, findings: list[dict[str, Any]], key: str
) -> str | None:
    """Why the annotation enters review (its lint warnings, or the rate's keyed draw), or None."""
    if config.lint_warnings and findings:
        return Review.Reason.LINT
    from annotation_qc.benchmarks.models import AnnotatorQuality

    quality = AnnotatorQuality.objects.filter(
        project_id=annotation.project_id, annotator_id=annotation.annotator_id
    ).first()
    rate = sampling_rate(
        base_rate=config.base_rate,
        max_rate=config.max_rate,
        calibration_rate=config.calibration_rate,
        fixed=quality.fixed if quality else 0,
        benchmarks=quality.benchmarks if quality else 0,
        calibrating=quality is None or quality.status == AnnotatorQuality.Status.CALIBRATING,
    )
    return Review.Reason.SAMPLED if sampled(rate, key) else None


def review_enter(
    *, annotation: Annotation, reason: str, suspicion: float | None = None, now: datetime | None = None
) -> Review:
    """Open a review of the annotation (once: an annotation already reviewed keeps its review)."""
    now = now or timezone.now()
    existing = Review.objects.filter(annotation=annotation).first()
    if existing is not None:
        return existing
    keys = _ordering_keys([annotation.item_id], annotation.project_id)
    agreement, confidence, suspect_score = keys.get(annotation.item_id, (None, None, 0.0))
    review = Review.objects.create(
        project_id=annotation.project_id,
        item_id=annotation.item_id,
        annotation=annotation,
        annotator_id=annotation.annotator_id,
        reason=reason,
        suspicion=suspicion if suspicion is not None else suspect_score,
        agreement=agreement,
        model_confidence=confidence,
        entered_at=now,
        pending_since=now,
    )
    config = ReviewConfig.objects.filter(project_id=annotation.project_id).first()
    if config is not None and sampled(config.benchmark_rate, f"review-benchmark:{review.pk}"):
        review_benchmark_create(project=config.project, like=review, now=now)
    return review


def review_benchmark_create(*, project: Project, like: Review, now: datetime) -> Review | None:
    """A review benchmark: a gold answer with one seeded error, queued like the review ``like``
    (same ordering keys, same time), so nothing tells it apart. None when no gold item can take one."""
    import numpy as np

    from annotation_qc.benchmarks.models import GoldAnnotation
    from annotation_qc.domain.seeding import (
        SeedingError,
        applicable_error_kinds,
        choose_error_kind,
        seed_error_detailed,
    )

    golds = list(GoldAnnotation.objects.filter(project=project).select_related("item").order_by("pk"))
    if not golds:
        return None
    served = Review.objects.filter(project=project).exclude(benchmark_kind="")
    rng = np.random.default_rng([project.pk, like.pk])
    gold = golds[int(rng.integers(len(golds)))]
    item = gold.item
    try:
        kinds = applicable_error_kinds(
            gold.payload,
            project_kind=project.payload_kind,
            labels=project.labels,
            width=item.width,
            height=item.height,
        )
        counts: dict[str, int] = {}
        for kind in served.values_list("benchmark_kind", flat=True):
            counts[kind] = counts.get(kind, 0) + 1
        kind = choose_error_kind(kinds, counts, rng)
        seeded = seed_error_detailed(
            gold.payload, kind, width=item.width, height=item.height, labels=project.labels, rng=rng
        )
    except SeedingError:
        return None
    return Review.objects.create(
        project=project,
        item=item,
        annotation=None,
        annotator=None,
        reason=Review.Reason.BENCHMARK,
        suspicion=like.suspicion,
        agreement=like.agreement,
        model_confidence=like.model_confidence,
        entered_at=like.entered_at,
        pending_since=like.pending_since,
        benchmark_kind=seeded.kind,
        benchmark_payload=seeded.payload,
    )


def _ordering_keys(
    item_ids: list[int], project_id: int
) -> dict[int, tuple[float | None, float | None, float]]:
    """Per item: its latest agreement score, the newest model's confidence, its current suspicion."""
    from annotation_qc.agreement.models import ItemAgreementScore
    from annotation_qc.review.selectors import label_error_current_run

    keys: dict[int, list[Any]] = {item_id: [None, None, 0.0] for item_id in item_ids}
    for item_id, score in (
        ItemAgreementScore.objects.filter(item_id__in=item_ids)
        .order_by("snapshot_id")
        .values_list("item_id", "score")
    ):
        keys[item_id][0] = score  # the newest snapshot's score wins
    for item_id, proba, scores in (
        Prediction.objects.filter(item_id__in=item_ids)
        .order_by("created_at")
        .values_list("item_id", "proba", "scores")
    ):
        if proba:
            keys[item_id][1] = float(max(proba))
        elif scores:
            keys[item_id][1] = float(sum(scores) / len(scores))
    project = Project.objects.get(pk=project_id)
    run = label_error_current_run(project=project)
    if run is not None:
        for item_id, score in LabelErrorSuspect.objects.filter(run=run, item_id__in=item_ids).values_list(
            "item_id", "score"
        ):
            keys[item_id][2] = score
    return {item_id: (k[0], k[1], k[2]) for item_id, k in keys.items()}


def reviews_sweep(*, project: Project, now: datetime | None = None) -> int:
    """Low-agreement items and the top label-error suspects enter review (each annotation once)."""
    config = ReviewConfig.objects.filter(project=project, enabled=True).first()
    if config is None:
        return 0
    entered = 0
    if config.agreement_below is not None:
        from annotation_qc.agreement.models import AgreementSnapshot, ItemAgreementScore

        snapshot = AgreementSnapshot.objects.filter(project=project).order_by("-computed_at", "-pk").first()
        if snapshot is not None:
            low = ItemAgreementScore.objects.filter(
                snapshot=snapshot, score__lt=config.agreement_below
            ).values_list("item_id", flat=True)
            entered += _enter_items(project, list(low), Review.Reason.LOW_AGREEMENT, now)
    if config.suspects_top:
        from annotation_qc.review.selectors import label_error_current_run

        run = label_error_current_run(project=project)
        if run is not None:
            top = (
                LabelErrorSuspect.objects.filter(run=run)
                .order_by("rank")
                .values_list("item_id", flat=True)[: config.suspects_top]
            )
            entered += _enter_items(project, list(top), Review.Reason.SUSPECT, now)
    return entered


def projects_with_review_on() -> list[int]:
    return list(ReviewConfig.objects.filter(enabled=True).values_list("project_id", flat=True))


def _enter_items(project: Project, item_ids: list[int], reason: str, now: datetime | None) -> int:
    annotations = Annotation.objects.filter(
        project=project, item_id__in=item_ids, is_benchmark=False, review__isnull=True
    )
    count = 0
    for annotation in annotations:
        review_enter(annotation=annotation, reason=reason, now=now)
        count += 1
    return count


# Reviewer actions.


def _locked_review(review_id: int, project: Project) -> Review:
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("annotation", "item", "project")
        .filter(pk=review_id, project=project)
        .first()
    )
    if review is None:
        raise NotFound("No such review.")
    return review


def _check_can_act(review: Review, reviewer_id: int, expected_round: int | None) -> None:
    if review.annotator_id == reviewer_id:
        raise Forbidden("You cannot review your own annotation.")
    if review.status != Review.Status.PENDING:
        raise Conflict(
            f"This review is no longer waiting for a reviewer (it is {review.status}); "
            "another reviewer acted first."
        )
    if expected_round is not None and expected_round != review.round:
        raise Conflict(f"This review moved on to round {review.round}; reload it.")


def _validated_and_linted(project: Project, item: Item, payload: Any) -> dict[str, Any]:
    from annotation_qc.labeling.services.submit import validated_for_item

    clean = validated_for_item(project=project, item=item, payload=payload)
    findings = lint_payload(project=project, item=item, payload=clean, time_spent_ms=None)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise LintRejected(
            "The fix has errors to correct first: " + "; ".join(f.message for f in errors),
            findings=[f.to_dict() for f in findings],
        )
    return clean


def comments_clean(*, comments: Any, payload: dict[str, Any], item: Item) -> list[dict[str, Any]]:
    """``[{"box": int | null, "region": [x, y, w, h] | null, "text": str}]``, checked against the
    annotation and the image."""
    if not isinstance(comments, list):
        raise ServiceError("Invalid comments.", errors={"comments": ["must be a list"]})
    if len(comments) > MAX_COMMENTS:
        raise ServiceError("Too many comments.", errors={"comments": [f"at most {MAX_COMMENTS}"]})
    n_boxes = len(payload.get("boxes", []))
    clean = []
    errors: dict[str, list[str]] = {}
    for index, comment in enumerate(comments):
        path = f"comments[{index}]"
        if not isinstance(comment, dict):
            errors[path] = ["must be an object"]
            continue
        text = comment.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_COMMENT_CHARS:
            errors[f"{path}.text"] = [f"must be a non-empty string of at most {MAX_COMMENT_CHARS} characters"]
        box = comment.get("box")
        if box is not None and (not isinstance(box, int) or isinstance(box, bool) or not 0 <= box < n_boxes):
            errors[f"{path}.box"] = [f"must be the index of a box of the annotation (0 to {n_boxes - 1})"]
        region = comment.get("region")
        if region is not None and not _valid_region(region, item):
            errors[f"{path}.region"] = ["must be [x, y, w, h] inside the image, w and h positive"]
        clean.append({"box": box, "region": region, "text": (text or "").strip()})
    if errors:
        raise ServiceError("Invalid comments.", errors=errors)
    return clean


def _valid_region(region: Any, item: Item) -> bool:
    if not isinstance(region, list) or len(region) != 4:
        return False
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in region):
        return False
    x, y, w, h = (float(v) for v in region)
    return w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= item.width and y + h <= item.height


def review_open(*, review_id: int, project: Project, reviewer_id: int, now: datetime | None = None) -> Review:
    """A reviewer opens a pending review in the workspace: their working time starts here.

    The same reviewer opening it again keeps the first opening; another reviewer opening it starts
    the clock for them. Own annotations: 403; a review no longer pending: 409.
    """
    now = now or timezone.now()
    with transaction.atomic():
        review = _locked_review(review_id, project)
        _check_can_act(review, reviewer_id, None)
        if reviewer_stopped(project=review.project, reviewer_id=reviewer_id):
            raise Forbidden(STOPPED)
        if review.opened_by_id != reviewer_id or review.opened_at is None:
            review.opened_by_id = reviewer_id
            review.opened_at = now
            review.save(update_fields=["opened_by", "opened_at"])
    return review


STOPPED = (
    "You are flagged: your review benchmarks show seeded errors getting through, and this "
    "project stops flagged reviewers. A manager has to look at your reviews first."
)


def review_act(
    *,
    review_id: int,
    project: Project,
    reviewer_id: int,
    action: str,
    payload: Any = None,
    comments: Any = None,
    expected_round: int | None = None,
    now: datetime | None = None,
) -> Review:
    """Accept, fix (the corrected payload, validated and linted) or reject (with comments)."""
    return _review_act(
        review_id=review_id,
        project=project,
        reviewer_id=reviewer_id,
        action=action,
        payload=payload,
        comments=comments,
        objects=None,
        expected_round=expected_round,
        now=now,
    )


def review_decide(
    *,
    review_id: int,
    project: Project,
    reviewer_id: int,
    objects: Any,
    decision: str | None = None,
    comments: Any = None,
    expected_round: int | None = None,
    now: datetime | None = None,
) -> Review:
    """Accept or reject with a verdict per object (box): any rejected box sends the annotation back
    to its annotator for rework, with the rejected boxes marked; every box accepted accepts it. A
    ``decision`` given is checked against the verdicts (accepting with a rejected box is a 400)."""
    return _review_act(
        review_id=review_id,
        project=project,
        reviewer_id=reviewer_id,
        action=None,
        decision=decision,
        payload=None,
        comments=comments,
        objects=objects,
        expected_round=expected_round,
        now=now,
    )


def _review_act(
    *,
    review_id: int,
    project: Project,
    reviewer_id: int,
    action: str | None,
    payload: Any,
    comments: Any,
    objects: Any,
    expected_round: int | None,
    now: datetime | None,
    decision: str | None = None,
) -> Review:
    now = now or timezone.now()
    with transaction.atomic():
        review = _locked_review(review_id, project)
        _check_can_act(review, reviewer_id, expected_round)
        if reviewer_stopped(project=review.project, reviewer_id=reviewer_id):
            raise Forbidden(STOPPED)
        annotation = review.annotation
        before = annotation.payload if annotation is not None else (review.benchmark_payload or {})
        after: dict[str, Any] | None = None
        diff: dict[str, Any] | None = None
        clean_comments = comments_clean(comments=comments or [], payload=before, item=review.item)
        verdicts: list[dict[str, Any]] = []
        if objects is not None:
            verdicts, action = _verdicts_and_decision(objects, before, decision)
        rejected_objects = sum(1 for v in verdicts if v["verdict"] == "rejected")
        if action == ReviewRound.Action.ACCEPT:
            review.status = Review.Status.ACCEPTED
        elif action == ReviewRound.Action.FIX:
            if payload is None:
                raise ServiceError("A fix needs the corrected payload.", errors={"payload": ["required"]})
            after = _validated_and_linted(review.project, review.item, payload)
            diff = payload_diff(before, after)
            if annotation is not None:
                Annotation.objects.filter(pk=annotation.pk).update(payload=after)
            review.status = Review.Status.FIXED
        elif action == ReviewRound.Action.REJECT:
            if not clean_comments and not rejected_objects:
                raise ServiceError(
                    "A rejection needs at least one comment or rejected box for the annotator.",
                    errors={"comments": ["at least one comment (or a rejected box)"]},
                )
            review.status = Review.Status.REWORK
        else:  # the API only passes the three actions
            raise ServiceError(f"Unknown action {action!r}.", errors={"action": ["unknown"]})
        ReviewRound.objects.create(
            review=review,
            round=review.round,
            action=action,
            actor_id=reviewer_id,
            comments=clean_comments,
            object_verdicts=verdicts,
            objects_reviewed=len(verdicts),
            objects_rejected=rejected_objects,
            payload_before=before,
            payload_after=after,
            diff=diff,
            objects_changed=int(diff["changed"]) if diff else 0,
            **_round_times(review, reviewer_id, now),
            acted_at=now,
        )
        if review.status != Review.Status.REWORK:
            review.closed_at = now
        review.opened_at, review.opened_by_id = None, None  # the round ended
        fields = ["status", "closed_at", "opened_at", "opened_by"]
        if review.benchmark_kind:
            # Scored by whether the reviewer caught the seeded error; a rejected benchmark goes to
            # nobody (it has no annotator) and is closed, though it answers like any rejection.
            review.benchmark_caught = action != ReviewRound.Action.ACCEPT
            review.benchmark_reviewer_id = reviewer_id
            review.closed_at = now
            fields += ["benchmark_caught", "benchmark_reviewer"]
        review.save(update_fields=fields)
        if review.benchmark_kind:
            reviewer_status_refresh(project=review.project, reviewer_id=reviewer_id, now=now)
        # Review outcomes are consensus evidence: a fix is the label of record, a rejected answer
        # leaves the consensus until reworked.
        if (
            annotation is not None
            and action in (ReviewRound.Action.FIX, ReviewRound.Action.REJECT)
            and review.item.required_annotations >= 2
        ):
            from annotation_qc.agreement.tasks import consensus_update
            from annotation_qc.core.queue import enqueue_on_commit

            enqueue_on_commit(consensus_update, review.item_id, review.item.required_annotations)
    return review


def _verdicts_and_decision(
    objects: Any, before: dict[str, Any], decision: str | None
) -> tuple[list[dict[str, Any]], str]:
    """The clean per-object verdicts and the whole decision they make (400 naming the field)."""
    n_boxes = len(before.get("boxes", []))
    verdicts, errors = object_verdicts_clean(objects, n_boxes=n_boxes, max_comment_chars=MAX_COMMENT_CHARS)
    if errors:
        raise ServiceError("Invalid object verdicts.", errors=errors)
    action, errors = object_decision(verdicts, n_boxes=n_boxes, given=decision)
    if errors or action is None:
        raise ServiceError("The decision does not follow from the object verdicts.", errors=errors)
    return verdicts, action


def _round_times(review: Review, reviewer_id: int, now: datetime) -> dict[str, float | None]:
    """The queue wait and the acting reviewer's working time (from their opening of the review)."""
    if review.opened_by_id == reviewer_id and review.opened_at is not None:
        return {
            "seconds_waiting": max(0.0, (review.opened_at - review.pending_since).total_seconds()),
            "seconds_working": max(0.0, (now - review.opened_at).total_seconds()),
        }
    return {
        "seconds_waiting": max(0.0, (now - review.pending_since).total_seconds()),
        "seconds_working": None,
    }


# Rework by the annotator.


def rework_of_task(*, task: Task) -> Review:
    review = Review.objects.filter(annotation__task=task).first()
    if review is None or review.status not in (Review.Status.REWORK, Review.Status.RESOLVED_ELSEWHERE):
        raise NotFound("This task has no rework.")
    return review


def rework_submit(
    *, task: Task, payload: Any, client_time_ms: int | None, now: datetime | None = None
) -> tuple[Review, list[dict[str, Any]]]:
    """The annotator's corrected answer: validated and linted like a submission, then back to review.

    409 when the item was resolved elsewhere meanwhile (a manager's resolution of the item, or the
    review closed); nothing is written then but the closing of the review.
    """
    now = now or timezone.now()
    with transaction.atomic():
        review = (
            Review.objects.select_for_update(of=("self",))
            .select_related("annotation", "item", "project")
            .filter(annotation__task=task)
            .first()
        )
        if review is None or review.annotation is None:
            raise NotFound("This task has no rework.")
        annotation = review.annotation
        if review.status == Review.Status.REWORK and _resolved_elsewhere(review):
            review.status = Review.Status.RESOLVED_ELSEWHERE
            review.closed_at = now
            review.save(update_fields=["status", "closed_at"])
            ReviewRound.objects.create(
                review=review, round=review.round, action=ReviewRound.Action.CLOSED, acted_at=now
            )
        if review.status == Review.Status.REWORK:
            clean = _validated_and_linted(review.project, review.item, payload)
            findings = lint_payload(
                project=review.project, item=review.item, payload=clean, time_spent_ms=client_time_ms
            )
            before = annotation.payload
            diff = payload_diff(before, clean)
            Annotation.objects.filter(pk=annotation.pk).update(payload=clean)
            ReviewRound.objects.create(
                review=review,
                round=review.round,
                action=ReviewRound.Action.REWORK,
                actor_id=review.annotator_id,
                payload_before=before,
                payload_after=clean,
                diff=diff,
                objects_changed=int(diff["changed"]),
                seconds_waiting=0.0,
                acted_at=now,
            )
            review.round += 1
            review.status = Review.Status.PENDING
            review.pending_since = now
            review.opened_at, review.opened_by_id = None, None
            review.save(update_fields=["round", "status", "pending_since", "opened_at", "opened_by"])
            if review.item.required_annotations >= 2:  # the reworked answer is back in the consensus
                from annotation_qc.agreement.tasks import consensus_update
                from annotation_qc.core.queue import enqueue_on_commit

                enqueue_on_commit(consensus_update, review.item_id, review.item.required_annotations)
            return review, [f.to_dict() for f in findings]
    if review.status == Review.Status.PENDING:
        raise Conflict("Your rework was already submitted; it is waiting for review.")
    raise Conflict(
        "This item was resolved elsewhere while it was with you for rework; your rework is not needed."
    )


def _resolved_elsewhere(review: Review) -> bool:
    """A manager resolved the item after the rejection sent it back."""
    from annotation_qc.agreement.models import Consensus

    rejected_at = (
        ReviewRound.objects.filter(review=review, action=ReviewRound.Action.REJECT)
        .order_by("-acted_at")
        .values_list("acted_at", flat=True)
        .first()
    )
    return Consensus.objects.filter(
        item_id=review.item_id,
        method=Consensus.Method.MANUAL,
        **({"computed_at__gte": rejected_at} if rejected_at else {}),
    ).exists()
