"""Submit and skip, read top to bottom.

On the request (one transaction, the same statements for a benchmark and for work):

1. find and lock the annotator's task (404 for anyone else's, 409 once finished);
2. validate the payload (400 naming the fields);
3. lint it (a blocking, error-severity finding answers 400 with the findings);
4. store the annotation and the warnings;
5. on commit, hand the rest to a worker (:func:`after_submit`).

Off the request (:func:`after_submit`): score a benchmark (``benchmarks.services.scoring``), sample
for review (a hook), and update the consensus of a repeated item. A skip (:func:`task_skip`) runs
the same statements for every kind of task; scoring records it in a worker (:func:`after_skip`).

Going back to a recent answer (:func:`answer_revise`) runs the same steps as a first submit: lock the
answer (409 after the edit window), validate, lint (the new findings replace the old ones), keep the
old version, and hand the rest to a worker (:func:`after_revise`: the benchmark is scored again, the
changed answer is sampled for review as a submission is, the consensus follows), with the same
statements and answer for a benchmark and for work.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from annotation_qc.agreement.services import consensus
from annotation_qc.benchmarks.services import scoring
from annotation_qc.core.exceptions import Conflict
from annotation_qc.core.queue import enqueue_name_on_commit
from annotation_qc.drafts.models import AnnotationRevision
from annotation_qc.drafts.revisions import answer_lock_for_revision, revision_store
from annotation_qc.labeling.models import Annotation, Task
from annotation_qc.labeling.services import dispatch as labeling_dispatch
from annotation_qc.labeling.services.submit import annotation_store, payload_clean, task_lock_for_submit
from annotation_qc.linting.services import (
    LINT_PROFILE_OF_TASK,
    findings_check_and_store,
    lint_payload,
    lint_profile_from_values,
)
from annotation_qc.projects.models import Project
from annotation_qc.review.services.reviews import review_sample_on_revision, review_sample_on_submit
from annotation_qc.workflow.dispatch_pipeline import benchmarks_bind_served

AFTER_SUBMIT_TASK = "workflow.after_submit"
AFTER_SKIP_TASK = "workflow.after_skip"
AFTER_REVISE_TASK = "workflow.after_revise"
#: A finished benchmark still unscored this long after it ended lost its follow-up job (broker outage).
UNSCORED_GRACE_SECONDS = 120
UNSCORED_SWEEP_LIMIT = 500


def annotation_submit(
    *,
    task_id: int | str,
    annotator_id: int,
    payload: Any,
    client_time_ms: int | None,
    now: datetime | None = None,
) -> tuple[Annotation, list[dict[str, Any]]]:
    """Store the annotation for the annotator's task; returns it with its stored (warning) findings.

    ``task_id`` is the task's public id (what annotators see) or, for services, its pk.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            # The task locked, with the lint profile read in the same statement.
            task, profile = task_lock_for_submit(
                task_id=task_id, annotator_id=annotator_id, beside=LINT_PROFILE_OF_TASK
            )
            clean = payload_clean(task=task, payload=payload)
            found = lint_payload(
                project=task.project,
                item=task.item,
                payload=clean,
                time_spent_ms=client_time_ms,
                profile=lint_profile_from_values(profile),
            )
            annotation = annotation_store(task=task, payload=clean, client_time_ms=client_time_ms, now=now)
            findings = findings_check_and_store(annotation=annotation, findings=found, now=now)
            enqueue_name_on_commit(AFTER_SUBMIT_TASK, task.pk)
    except IntegrityError as exc:
        raise Conflict("This task was already submitted; the first submission stands.") from exc
    return annotation, findings


def after_submit(*, task_id: int, now: datetime | None = None) -> None:
    """What follows a submission, in a worker: score, sample for review, consensus."""
    now = now or timezone.now()
    task = Task.objects.select_related("project", "item").filter(pk=task_id).first()
    if task is None or task.status != Task.Status.SUBMITTED:
        return
    with transaction.atomic():
        if task.kind == Task.Kind.BENCHMARK:
            benchmarks_bind_served(project=task.project, annotator_id=task.annotator_id)
            payload = Annotation.objects.filter(task_id=task.pk).values_list("payload", flat=True).first()
            if payload is not None and _awaiting_score(task):
                scoring.benchmark_outcome_record(
                    task_id=task.pk, project=task.project, payload=payload, now=now
                )
        review_sample(task=task, now=now)
    required = task.item.required_annotations
    if task.kind == Task.Kind.REGULAR and consensus.consensus_due(item_id=task.item_id, required=required):
        consensus.consensus_update(item_id=task.item_id)


def answer_revise(
    *,
    task_id: int | str,
    annotator_id: int,
    payload: Any,
    client_time_ms: int | None,
    now: datetime | None = None,
) -> tuple[Annotation, int, list[dict[str, Any]]]:
    """Change the annotator's recent answer: validated and linted exactly as on submit, the old version
    kept. Returns the annotation, its number of versions and its stored (warning) findings.

    ``client_time_ms`` is the time spent on this change; the linters see the answer's whole time.
    """
    now = now or timezone.now()
    with transaction.atomic():
        task, annotation = answer_lock_for_revision(task_id=task_id, annotator_id=annotator_id)
        clean = payload_clean(task=task, payload=payload)
        total_ms = (annotation.client_time_ms or 0) + (client_time_ms or 0)
        found = lint_payload(
            project=task.project,
            item=task.item,
            payload=clean,
            time_spent_ms=None if annotation.client_time_ms is None and client_time_ms is None else total_ms,
        )
        versions = revision_store(annotation=annotation, payload=clean, client_time_ms=client_time_ms)
        findings = findings_check_and_store(annotation=annotation, findings=found, now=now, replace=True)
        enqueue_name_on_commit(AFTER_REVISE_TASK, task.pk)
    return annotation, versions, findings


def after_revise(*, task_id: int, now: datetime | None = None) -> None:
    """What follows a changed answer, in a worker: a benchmark is scored again (in its place in the
    annotator's sequence), the changed answer is sampled for review as a submission is (once per
    change: a run with no change left to follow up samples nothing), and the consensus of a repeated
    item is brought up to date."""
    now = now or timezone.now()
    task = Task.objects.select_related("project", "item").filter(pk=task_id).first()
    if task is None or task.status != Task.Status.SUBMITTED:
        return
    # The changes this run answers for: read before the answer, so the answer read is at least as new.
    changes = AnnotationRevision.objects.filter(annotation__task_id=task.pk, followed_up_at__isnull=True)
    latest = changes.aggregate(latest=Max("pk"), revised_at=Max("replaced_at"))
    with transaction.atomic():
        if task.kind == Task.Kind.BENCHMARK:
            benchmarks_bind_served(project=task.project, annotator_id=task.annotator_id)
            payload = Annotation.objects.filter(task_id=task.pk).values_list("payload", flat=True).first()
            if payload is not None:
                scoring.benchmark_outcome_record(
                    task_id=task.pk, project=task.project, payload=payload, now=now
                )
        if latest["latest"] is not None:
            revision_review_sample(task=task, revised_at=latest["revised_at"], now=now)
    required = task.item.required_annotations
    if task.kind == Task.Kind.REGULAR and consensus.consensus_due(item_id=task.item_id, required=required):
        consensus.consensus_update(item_id=task.item_id)
    if latest["latest"] is not None:  # done last: a run that died part-way leaves its changes to the sweep
        changes.filter(pk__lte=latest["latest"]).update(followed_up_at=now)


def revisions_follow_up_sweep(*, now: datetime | None = None, limit: int = UNSCORED_SWEEP_LIMIT) -> int:
    """Run the follow-up of changed answers whose job was lost (re-scoring a benchmark, review
    sampling, the consensus).

    Beat runs this with :func:`unscored_benchmarks_sweep`. A change is due until :func:`after_revise`
    has run for it; a job only late finds nothing left to do. Returns how many answers were caught up.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=UNSCORED_GRACE_SECONDS)
    due = (
        AnnotationRevision.objects.filter(followed_up_at__isnull=True, replaced_at__lt=cutoff)
        .order_by("replaced_at")
        .values_list("annotation__task_id", flat=True)[:limit]
    )
    task_ids = list(dict.fromkeys(due))
    for task_id in task_ids:
        after_revise(task_id=task_id, now=now)
    # An answer no longer submitted (its task ended since) has nothing to follow up.
    AnnotationRevision.objects.filter(
        followed_up_at__isnull=True, replaced_at__lt=cutoff, annotation__task_id__in=task_ids
    ).update(followed_up_at=now)
    return len(task_ids)


def review_sample(*, task: Task, now: datetime) -> None:
    """Sample the submission for manual review (the review app decides; never a benchmark)."""
    found = _answer_and_findings(task)
    if found is not None:
        review_sample_on_submit(annotation=found[0], findings=found[1], now=now)


def revision_review_sample(*, task: Task, revised_at: datetime, now: datetime) -> None:
    """Sample the changed answer for review, as :func:`review_sample` does a submission (the review
    app decides: a draw of its own per version, never a second open review, never a benchmark)."""
    found = _answer_and_findings(task)
    if found is not None:
        annotation, findings = found
        version = annotation.revisions.count() + 1
        review_sample_on_revision(
            annotation=annotation, findings=findings, version=version, revised_at=revised_at, now=now
        )


def _answer_and_findings(task: Task) -> tuple[Annotation, list[dict[str, Any]]] | None:
    """The task's stored answer and its lint findings, as review sampling reads them (None: no answer)."""
    annotation = Annotation.objects.filter(task_id=task.pk).first()
    if annotation is None:
        return None
    findings = [dict(row) for row in annotation.findings.values("code", "severity", "message", "boxes")]
    return annotation, findings


def task_skip(*, task: Task, reason: str, now: datetime | None = None) -> Task:
    """Skip the annotator's open task (the same statements for every kind); scoring follows in a worker."""
    with transaction.atomic():
        skipped = labeling_dispatch.task_skip(task=task, reason=reason, now=now)
        enqueue_name_on_commit(AFTER_SKIP_TASK, skipped.pk)
    return skipped


def after_skip(*, task_id: int) -> None:
    """What follows a skip, in a worker: scoring records it (a skipped benchmark is a miss)."""
    task = Task.objects.select_related("project").filter(pk=task_id).first()
    if task is None:
        return
    project_id, annotator_id, finished_at = task.project_id, task.annotator_id, task.finished_at
    with transaction.atomic():
        # A benchmark is bound to its task off the request (dispatch_pipeline); bind before scoring.
        benchmarks_bind_served(project=task.project, annotator_id=annotator_id)
        scoring.benchmark_skip_record(
            task_id=task_id,
            project_id=project_id,
            annotator_id=annotator_id,
            now=finished_at or timezone.now(),
        )


def _awaiting_score(task: Task) -> bool:
    from annotation_qc.benchmarks.models import BenchmarkTask

    return BenchmarkTask.objects.filter(task_id=task.pk, scored_at__isnull=True).exists()


def unscored_benchmarks_sweep(*, now: datetime | None = None, limit: int = UNSCORED_SWEEP_LIMIT) -> int:
    """Score finished benchmarks whose follow-up job was lost (the broker was down on submit or skip).

    Beat runs this; both follow-ups are idempotent (an outcome already recorded is kept), so a job
    that was only late and runs after the sweep changes nothing. Returns how many were caught up.
    """
    from annotation_qc.benchmarks.models import BenchmarkTask

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=UNSCORED_GRACE_SECONDS)
    # Prepared benchmarks are bound to their served tasks by the worker; bind any a lost job left.
    unbound = list(
        BenchmarkTask.objects.filter(task__isnull=True)
        .values_list("project_id", "annotator_id")
        .distinct()
        .order_by("project_id", "annotator_id")[:limit]
    )
    projects = Project.objects.in_bulk({project_id for project_id, _ in unbound})
    for project_id, annotator_id in unbound:
        benchmarks_bind_served(project=projects[project_id], annotator_id=annotator_id)
    lost = list(
        BenchmarkTask.objects.filter(
            scored_at__isnull=True,
            task__status__in=(Task.Status.SUBMITTED, Task.Status.SKIPPED),
            task__finished_at__lt=cutoff,
        )
        .order_by("task__finished_at")
        .values_list("task_id", "task__status")[:limit]
    )
    for task_id, status in lost:
        if status == Task.Status.SUBMITTED:
            after_submit(task_id=task_id, now=now)
        else:
            after_skip(task_id=task_id)
    return len(lost)
