"""Celery tasks for imports and exports: they take ids and call services."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from annotation_qc.exchange.services import bucket_sources, exports, imports


@shared_task(name="exchange.import", acks_late=True)
def import_run(import_id: int) -> dict[str, Any]:
    """Read a stored upload and import it, all or nothing (a rejected file is a report, not an error)."""
    return imports.import_run(import_id=import_id)


@shared_task(name="exchange.export", acks_late=True)
def export_build_task(export_id: int) -> str:
    """Build an export snapshot; returns its sha256."""
    try:
        return exports.export_build(export_id=export_id).sha256
    except Exception as exc:
        exports.export_fail(export_id=export_id, message=f"{exc.__class__.__name__}: {exc}")
        raise


@shared_task(name="exchange.source_sync", acks_late=True)
def source_sync_task(sync_id: int) -> dict[str, Any]:
    """List a bucket source's new keys and create their items (a bad bucket fails the job, not the task)."""
    try:
        return bucket_sources.source_sync_run(sync_id=sync_id)
    except Exception as exc:
        bucket_sources.source_sync_fail(sync_id=sync_id, message=f"{exc.__class__.__name__}: {exc}")
        raise
