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
from annotation_qc.domain.agreement import project_report
from annotation_qc.projects.models import Project

#: Items kept per snapshot for the review list (lowest agreement first).
STORED_ITEMS = 5000
REVIEW_BELOW = 0.999


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
    from annotation_qc.agreement.tasks import agreement_report
    from annotation_qc.core.queue import BROKER_DOWN, enqueue_on_commit

    with transaction.atomic():
        job = jobs.job_create(kind="agreement", project_id=project.pk, created_by_id=user_id, params={})
        enqueue_on_commit(
            agreement_report,
            project.pk,
            job.pk,
            on_unavailable=lambda: jobs.job_fail(job_id=job.pk, message=BROKER_DOWN),
        )
    return job.pk
