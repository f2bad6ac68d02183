from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from annotation_qc.core.exceptions import NotFound
from annotation_qc.labeling.models import Item, Task


def task_of_annotator(*, task_id: str, user: Any) -> Task:
    """The user's own task by its public id; any other id is reported as missing (no probing)."""
    task = (
        Task.objects.select_related("project", "item").filter(public_id=task_id, annotator_id=user.pk).first()
    )
    if task is None:
        raise NotFound("No such task.")
    return task


def item_image_url(item: Item) -> str:
    """The image URL managers and ML engineers see (exports, review, scorecards): the item image API for
    an image stored here or one given by URL that has a preview here (so ``?size=preview`` reaches it),
    else the URL it was imported with."""
    return f"/api/v1/items/{item.pk}/image/" if item.image or item.preview else item.image_url


def task_image_url(item: Item) -> str:
    """The one URL form of every image an annotator sees: a random token, no id, file name or folder."""
    return f"/api/v1/images/{item.image_token}/"


IMAGE_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
}


def image_content_type(item: Item) -> str:
    extension = item.image.name.rsplit(".", 1)[-1].lower() if "." in item.image.name else ""
    return IMAGE_TYPES.get(extension, "application/octet-stream")


def item_for_member(*, item_id: int | None = None, token: str | None = None, user: Any) -> Item:
    """An item whose image the user may see: annotators only their tasks' items (and only by the
    image token), others their projects' items."""
    from annotation_qc.projects.permissions import ANNOTATOR, role_in_project

    item = (
        Item.objects.filter(image_token=token).first()
        if token is not None
        else Item.objects.filter(pk=item_id or 0).first()
    )
    if item is None:
        raise NotFound("No such item.")
    role = role_in_project(user, item.project_id)
    if role is None or (
        role == ANNOTATOR
        and (token is None or not Task.objects.filter(item=item, annotator_id=user.pk).exists())
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
