from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from annotation_qc.core.exceptions import NotFound
from annotation_qc.labeling.models import Item, Task


def task_of_annotator(*, task_id: int, user: Any) -> Task:
    """The user's own task; any other task id is reported as missing (no probing by id)."""
    task = Task.objects.select_related("project", "item").filter(pk=task_id, annotator_id=user.pk).first()
    if task is None:
        raise NotFound("No such task.")
    return task


def item_image_url(item: Item) -> str:
    return f"/api/v1/items/{item.pk}/image/" if item.image else item.image_url


def item_for_member(*, item_id: int, user: Any) -> Item:
    """An item whose image the user may see: annotators only their tasks' items, others their projects'."""
    from annotation_qc.projects.permissions import ANNOTATOR, role_in_project

    item = Item.objects.filter(pk=item_id).first()
    if item is None:
        raise NotFound("No such item.")
    role = role_in_project(user, item.project_id)
    if role is None or (
        role == ANNOTATOR and not Task.objects.filter(item=item, annotator_id=user.pk).exists()
    ):
        raise NotFound("No such item.")
    return item


def tasks_of_annotator(*, project_id: int, user: Any) -> QuerySet[Task]:
    return (
        Task.objects.filter(project_id=project_id, annotator_id=user.pk)
        .select_related("item", "project")
        .order_by("-served_at", "-pk")
    )


def projects_with_overdue_leases() -> list[int]:
    from django.utils import timezone

    return list(
        Task.objects.filter(status=Task.Status.ASSIGNED, lease_expires_at__lt=timezone.now())
        .values_list("project_id", flat=True)
        .distinct()
    )
