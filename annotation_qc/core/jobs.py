"""Services for the Job rows every background job reports through."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils import timezone

from annotation_qc.core.models import Job


def job_create(*, kind: str, project_id: int, created_by_id: int | None, params: dict[str, Any]) -> Job:
    return Job.objects.create(kind=kind, project_id=project_id, created_by_id=created_by_id, params=params)


def job_start(*, job_id: int, total: int) -> None:
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.RUNNING,
        total=total,
        done=0,
        started_at=timezone.now(),
        attempts=F("attempts") + 1,
        message="",
    )


def job_advance(*, job_id: int, by: int) -> None:
    Job.objects.filter(pk=job_id).update(done=F("done") + by)


def job_finish(*, job_id: int, result: dict[str, Any], message: str = "") -> None:
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.SUCCEEDED, result=result, message=message, finished_at=timezone.now()
    )


def job_fail(*, job_id: int, message: str, result: dict[str, Any] | None = None) -> None:
    """Mark the job failed; ``result`` (e.g. an import's report of rejected rows) is kept when given."""
    extra: dict[str, Any] = {} if result is None else {"result": result}
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.FAILED, message=message, finished_at=timezone.now(), **extra
    )
