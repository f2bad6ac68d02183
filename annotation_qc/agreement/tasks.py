from __future__ import annotations

from celery import shared_task

from annotation_qc.agreement import selectors
from annotation_qc.agreement.services import consensus, reports
from annotation_qc.core import jobs

#: Items per consensus sweep; the next sweep takes the rest.
CONSENSUS_SWEEP_LIMIT = 5000


@shared_task(name="agreement.report", acks_late=True)
def agreement_report(project_id: int, job_id: int | None = None) -> None:
    try:
        if job_id:
            reports.agreement_report_job(project_id=project_id, job_id=job_id)
        else:
            reports.agreement_report_compute(project_id=project_id)
    except Exception as exc:
        if job_id:
            jobs.job_fail(job_id=job_id, message=f"{exc.__class__.__name__}: {exc}")
        raise


@shared_task(name="agreement.reports_due")
def agreement_reports_due() -> int:
    """Beat: recompute the report of every project with new repeated annotations since its last one."""
    project_ids = selectors.projects_with_stale_reports()
    for project_id in project_ids:
        reports.agreement_report_compute(project_id=project_id)
    return len(project_ids)


@shared_task(name="agreement.consensus_sweep")
def consensus_sweep() -> int:
    """Beat: compute the consensus of completed items whose enqueue was lost (broker outage)."""
    item_ids = selectors.items_awaiting_consensus(limit=CONSENSUS_SWEEP_LIMIT)
    for item_id in item_ids:
        consensus.consensus_update(item_id=item_id)
    return len(item_ids)


@shared_task(name="agreement.consensus", acks_late=True)
def consensus_update(item_id: int, required: int) -> None:
    if consensus.consensus_due(item_id=item_id, required=required):
        consensus.consensus_update(item_id=item_id)
