"""Where dispatch and submission call into the quality engines (benchmarks, linters)."""

from __future__ import annotations

from datetime import datetime

from annotation_qc.labeling.models import Task
from annotation_qc.projects.models import Project


def annotator_may_receive_tasks(*, project: Project, annotator_id: int) -> bool:
    return True


def benchmark_task_if_due(*, project: Project, annotator_id: int, now: datetime) -> Task | None:
    return None
