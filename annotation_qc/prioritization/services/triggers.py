"""When to re-prioritise without being asked: after every N new labels (checked by beat)."""

from __future__ import annotations

from django.db.models import Max

from annotation_qc.labeling.models import Annotation
from annotation_qc.prioritization.models import PriorityRun
from annotation_qc.prioritization.services.runs import BUSY, AlreadyRunning, prioritize_start
from annotation_qc.projects.models import Project


def prioritize_due_projects() -> int:
    started = 0
    projects = Project.objects.filter(prioritize_every__gt=0).exclude(strategy="import_order")
    # A failed run (or one that never reached the queue) used no labels: they still count as new.
    last_runs = dict(
        PriorityRun.objects.filter(project__in=projects)
        .exclude(status=PriorityRun.Status.FAILED)
        .values_list("project_id")
        .annotate(last=Max("created_at"))
    )
    busy = set(
        PriorityRun.objects.filter(project__in=projects, status__in=BUSY).values_list("project_id", flat=True)
    )
    for project in projects:
        if project.pk in busy:
            continue
        new_labels = Annotation.objects.filter(project=project, is_benchmark=False)
        if project.pk in last_runs:
            new_labels = new_labels.filter(submitted_at__gt=last_runs[project.pk])
        if new_labels.count() >= project.prioritize_every:
            try:
                prioritize_start(
                    project=project, strategy=None, trigger=PriorityRun.Trigger.LABELS, user_id=None
                )
            except AlreadyRunning:  # started by hand meanwhile
                continue
            started += 1
    return started
