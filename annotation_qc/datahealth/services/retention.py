"""Retention: after a project's ``retention_days``, delete what holds people's traces beyond the labels.

- raw uploads: the stored files of finished imports (the annotation file kept after import);
- served task logs: tasks that were served and never answered (expired or skipped), with their skip
  reasons (answered tasks stay: the annotation hangs on them);
- seeded benchmark copies: the seeded pre-annotation of scored benchmark tasks (the score stays).

Each pass writes a :class:`RetentionRun` with the counts and (capped) ids or paths of what went, and
an audit event.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from annotation_qc.benchmarks.models import BenchmarkTask
from annotation_qc.datahealth.models import AuditEvent, HealthConfig, RetentionRun
from annotation_qc.datahealth.services.audit import audit_record
from annotation_qc.exchange.models import DataImport
from annotation_qc.exchange.services.images import stored_delete
from annotation_qc.labeling.models import Task
from annotation_qc.projects.models import Project

DETAILS_MAX = 500
FINISHED = (DataImport.Status.IMPORTED, DataImport.Status.REJECTED, DataImport.Status.FAILED)


def retention_apply(*, project: Project, days: int, now: datetime | None = None) -> RetentionRun:
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    details: dict[str, list[Any]] = {}
    deleted: dict[str, int] = {}
    with transaction.atomic():
        imports = list(
            DataImport.objects.select_for_update()
            .filter(project=project, status__in=FINISHED, created_at__lt=cutoff)
            .exclude(files=[])
            .values_list("pk", "files")
        )
        paths = [entry["path"] for _, files in imports for entry in files if entry.get("path")]
        DataImport.objects.filter(pk__in=[pk for pk, _ in imports]).update(files=[])
        deleted["raw_uploads"] = len(paths)
        details["raw_uploads"] = paths[:DETAILS_MAX]

        served = Task.objects.filter(
            project=project,
            status__in=[Task.Status.EXPIRED, Task.Status.SKIPPED],
            served_at__lt=cutoff,
            annotation__isnull=True,
        )
        task_ids = list(served.values_list("pk", flat=True))
        Task.objects.filter(pk__in=task_ids).delete()
        deleted["served_task_logs"] = len(task_ids)
        details["served_task_logs"] = task_ids[:DETAILS_MAX]

        seeded = BenchmarkTask.objects.filter(
            project=project, scored_at__isnull=False, scored_at__lt=cutoff, seeded_payload__isnull=False
        )
        bench_ids = list(seeded.values_list("pk", flat=True))
        BenchmarkTask.objects.filter(pk__in=bench_ids).update(seeded_payload=None)
        Task.objects.filter(benchmark__pk__in=bench_ids).update(pre_annotation=None)
        deleted["benchmark_copies"] = len(bench_ids)
        details["benchmark_copies"] = bench_ids[:DETAILS_MAX]

        run = RetentionRun.objects.create(
            project=project, ran_at=now, cutoff=cutoff, deleted=deleted, details=details
        )
        audit_record(
            project_id=project.pk,
            actor_id=None,
            action=AuditEvent.Action.RETENTION,
            target=f"retention run {run.pk}",
            details={"deleted": deleted, "retention_days": days},
        )
        # Files go once the rows no longer point at them.
        transaction.on_commit(lambda: stored_delete(paths))
    return run


def retention_sweep(*, now: datetime | None = None) -> int:
    """Beat: every project with a retention period."""
    policies = list(
        HealthConfig.objects.filter(retention_days__isnull=False)
        .select_related("project")
        .order_by("project_id")
    )
    for policy in policies:
        assert policy.retention_days is not None
        retention_apply(project=policy.project, days=policy.retention_days, now=now)
    return len(policies)
