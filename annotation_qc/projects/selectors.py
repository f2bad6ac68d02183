from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from annotation_qc.core.exceptions import NotFound
from annotation_qc.labeling.models import Annotation, Item, Task
from annotation_qc.projects.models import Membership, Project


def projects_for_user(*, user: Any) -> QuerySet[Project]:
    if user.is_staff:
        return Project.objects.order_by("pk")
    return Project.objects.filter(memberships__user=user).order_by("pk")


def project_get(*, project_id: int) -> Project:
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        raise NotFound("No such project.")
    return project


def roles_by_project(*, user: Any, project_ids: list[int]) -> dict[int, str]:
    rows = Membership.objects.filter(user_id=user.pk, project_id__in=project_ids).values_list(
        "project_id", "role"
    )
    roles = dict(rows)
    if user.is_staff:
        return {pid: roles.get(pid, Membership.Role.MANAGER) for pid in project_ids}
    return roles


def project_members(*, project_id: int) -> QuerySet[Membership]:
    return Membership.objects.filter(project_id=project_id).select_related("user").order_by("user__username")


def member_candidates(*, project_id: int, prefix: str, limit: int = 20) -> list[dict[str, Any]]:
    from django.contrib.auth import get_user_model
    from django.db.models import Exists, OuterRef

    member = Membership.objects.filter(project_id=project_id, user_id=OuterRef("pk"))
    rows = (
        get_user_model()
        .objects.filter(username__istartswith=prefix, is_active=True)
        .annotate(is_member=Exists(member))
        .order_by("username")
        .values("pk", "username", "is_member")[:limit]
    )
    return [{"user_id": r["pk"], "username": r["username"], "is_member": r["is_member"]} for r in rows]


def project_progress(*, project: Project, user_id: int) -> dict[str, Any]:
    items = Item.objects.filter(project=project).aggregate(
        items=Count("pk", filter=Q(is_gold=False)),
        gold_items=Count("pk", filter=Q(is_gold=True)),
        required=Sum("required_annotations", filter=Q(is_gold=False), default=0),
        open_slots=Sum("open_slots", filter=Q(is_gold=False), default=0),
    )
    submitted = Annotation.objects.filter(project=project, is_benchmark=False).count()
    mine = Task.objects.filter(project=project, annotator_id=user_id).aggregate(
        submitted=Count("pk", filter=Q(status=Task.Status.SUBMITTED)),
        skipped=Count("pk", filter=Q(status=Task.Status.SKIPPED)),
    )
    return {
        "items": items["items"],
        "gold_items": items["gold_items"],
        "required_annotations": items["required"],
        "submitted_annotations": submitted,
        "remaining": max(0, items["required"] - submitted),
        "open_slots": items["open_slots"],
        "mine": mine,
    }
