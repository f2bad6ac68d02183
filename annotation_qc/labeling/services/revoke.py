"""Ending a member's open work when their access changes (removal, or a role other than annotator)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from annotation_qc.labeling.models import Task
from annotation_qc.labeling.services.dispatch import slots_back


@transaction.atomic
def open_tasks_end(*, project_id: int, annotator_id: int, now: datetime | None = None) -> int:
    """Expire the annotator's open tasks in the project and give their items' slots back to the queue.

    Returns how many tasks were ended. A submit racing with this waits on the row lock and then
    finds the task no longer assigned.
    """
    now = now or timezone.now()
    open_tasks = list(
        Task.objects.select_for_update()
        .filter(project_id=project_id, annotator_id=annotator_id, status=Task.Status.ASSIGNED)
        .values_list("pk", "item_id", "kind")
    )
    if not open_tasks:
        return 0
    Task.objects.filter(pk__in=[pk for pk, _, _ in open_tasks]).update(
        status=Task.Status.EXPIRED, finished_at=now
    )
    slots_back(item_ids=[item_id for _, item_id, kind in open_tasks if kind == Task.Kind.REGULAR])
    return len(open_tasks)
