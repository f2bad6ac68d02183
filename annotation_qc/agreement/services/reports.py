"""Computing and storing the project agreement report."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from annotation_qc.agreement.models import AgreementSnapshot, ItemAgreementScore
from annotation_qc.agreement.services.inputs import (
    annotator_weights,
    classification_input,
    repeated_boxes,
)
from annotation_qc.core import jobs
from annotation_qc.core.models import Job
from annotation_qc.domain.agreement import project_report
from annotation_qc.projects.models import Project

#: Items kept per snapshot for the review list (lowest agreement first).
STORED_ITEMS = 5000
REVIEW_BELOW = 0.999


def agreement_report_job(*, project_id: int, job_id: int) -> AgreementSnapshot | None:
    """The job a manager started. Safe to run twice: a job another live worker runs, or one that
    finished or failed, is left alone (None); the snapshot and the job's end commit together, so a
    worker killed midway leaves no snapshot and the watchdog's retry computes it whole."""
    with jobs.job_running(job_id=job_id) as mine:
        if not mine:
            return None
        return agreement_report_compute(project_id=project_id, job_id=job_id)


def agreement_report_retry(job: Job) -> None:
    """The watchdog's retry of a report whose worker died."""
    _enqueue(job.project_id, job.pk)


def agreement_report_give_up(job: Job, message: str) -> None:
    jobs.job_fail(job_id=job.pk, message=message)


def _enqueue(project_id: int, job_id: int) -> None:
    from annotation_qc.agreement.tasks import agreement_report
    from annotation_qc.core.queue import BROKER_DOWN, enqueue_on_commit

    enqueue_on_commit(
        agreement_report,
        project_id,
        job_id,
        on_unavailable=lambda: jobs.job_fail(job_id=job_id, message=BROKER_DOWN),
        options=jobs.task_options("agreement"),
    )


def agreement_report_compute(*, project_id: int, job_id: int | None = None) -> AgreementSnapshot:
    project = Project.objects.get(pk=project_id)
    if job_id:
        jobs.job_start(job_id=job_id, total=1)
    if project.kind == Project.Kind.CLASSIFICATION:
        report = project_report(classification_input(project), label_names=project.labels, seed=project.pk)
    else:
        table, item_ids = repeated_boxes(project)
        report = project_report(
            table,
            label_names=project.labels,
            item_ids=item_ids,
            annotator_weights=annotator_weights(project),
            seed=project.pk,
        )
    body = report.to_dict()
    low_items = report.items_below(REVIEW_BELOW, limit=STORED_ITEMS)
    with transaction.atomic():
        snapshot = AgreementSnapshot.objects.create(
            project=project,
            job_id=job_id,
            computed_at=timezone.now(),
            alpha=body["alpha"]["value"],
            alpha_low=(body["interval"] or {}).get("low"),
            alpha_high=(body["interval"] or {}).get("high"),
            n_items=report.n_items,
            report=body,
        )
        ItemAgreementScore.objects.bulk_create(
            (
                ItemAgreementScore(
                    snapshot=snapshot,
                    item_id=entry.item,
                    score=entry.score if entry.score is not None else 0.0,
                    n_annotations=entry.n_annotations,
                    conflicts=list(entry.conflicts),
                )
                for entry in low_items
            ),
            batch_size=1000,
        )
        if job_id:
            jobs.job_finish(job_id=job_id, result={"snapshot_id": snapshot.pk, "alpha": snapshot.alpha})
    return snapshot


def agreement_report_start(*, project: Project, user_id: int | None) -> int:
    """Create the job and enqueue the computation once the transaction commits; returns the job id."""
    with transaction.atomic():
        job = jobs.job_create(kind="agreement", project_id=project.pk, created_by_id=user_id, params={})
        _enqueue(project.pk, job.pk)
    return job.pk
