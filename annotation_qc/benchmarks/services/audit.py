"""The benchmark audit of a project: re-render every served task as the annotator received it,
extract what a client could see, and ask a classifier to tell benchmarks from work.

Bodies come from the function the next-task API answers with (``labeling.apis.task_body``) and
the API's JSON renderer, so the bytes are the ones sent; the status is set back to "assigned", as
it was when served. Server time per dispatch is not recorded, so it is not a feature.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from annotation_qc.benchmarks.models import BenchmarkAudit
from annotation_qc.domain.benchmark_audit import benchmark_audit, served_task_features
from annotation_qc.labeling.models import Task
from annotation_qc.projects.models import Project

#: The latest served tasks the audit reads (the re-rendering is per task).
AUDIT_TASKS = 5000


def benchmark_audit_run(
    *, project: Project, limit: int = AUDIT_TASKS, now: datetime | None = None, seed: int = 0
) -> BenchmarkAudit:
    """Audit the latest ``limit`` served tasks of ``project`` and store the result."""
    from annotation_qc.labeling.apis import task_body  # the one function every served task goes through

    tasks = list(
        Task.objects.filter(project=project)
        .select_related("project", "item")
        .order_by("-served_at", "-pk")[:limit]
    )
    renderer = JSONRenderer()
    skipped = [t.status == Task.Status.SKIPPED for t in tasks]
    bodies = []
    for task in tasks:
        task.status = Task.Status.ASSIGNED  # as it was when it was served
        bodies.append(renderer.render(task_body(task)))
    features, names = served_task_features(
        bodies,
        annotator=[t.annotator_id for t in tasks],
        served_at=[t.served_at.timestamp() for t in tasks],
        skipped=skipped,
    )
    labels = [t.kind == Task.Kind.BENCHMARK for t in tasks]
    result = benchmark_audit(features, labels, names, seed=seed)
    return BenchmarkAudit.objects.create(
        project=project,
        computed_at=now or timezone.now(),
        n_tasks=result.n_tasks,
        n_benchmarks=result.n_benchmarks,
        auc=result.auc,
        auc_low=result.low,
        auc_high=result.high,
        result=result.to_dict(),
    )
