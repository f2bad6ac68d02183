"""Celery tasks of the datahealth app: they take ids and call a service."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from annotation_qc.datahealth.services import analysis, retention


@shared_task(name="datahealth.batch_analyse", acks_late=True)
def batch_analyse_task(data_import_id: int, job_id: int | None = None) -> dict[str, Any]:
    """Drift and outliers of one imported batch (a message sent before batches had jobs has none)."""
    if job_id is None:
        return analysis.batch_analyse(data_import_id=data_import_id)
    return analysis.batch_analyse_job(data_import_id=data_import_id, job_id=job_id)


@shared_task(name="datahealth.retention_sweep", acks_late=True)
def retention_sweep_task() -> int:
    """Beat: apply every project's retention policy; returns the projects swept."""
    return retention.retention_sweep()
