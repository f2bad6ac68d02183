from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from annotation_qc.core.exceptions import Conflict, NotFound, ServiceError
from annotation_qc.projects.models import Membership, Project

SETTING_FIELDS = (
    "overlap",
    "overlap_fraction",
    "lease_seconds",
    "max_boxes",
    "benchmark_rate",
    "calibration_benchmarks",
    "calibration_window",
    "benchmark_min_iou",
    "flag_threshold",
    "flag_action",
    "show_own_score",
    "max_overlap",
    "consensus_target",
    "lint_config",
    "strategy",
    "prioritize_every",
)


def _full_clean(project: Project) -> None:
    try:
        project.full_clean(exclude=["created_by"])
    except DjangoValidationError as exc:
        errors = {f"settings.{k}" if k in SETTING_FIELDS else k: v for k, v in exc.message_dict.items()}
        raise ServiceError("Invalid project settings.", errors=errors) from exc


def _check_labels(labels: Any) -> list[str]:
    if (
        not isinstance(labels, list)
        or not labels
        or not all(isinstance(x, str) and x.strip() for x in labels)
    ):
        raise ServiceError("Invalid labels.", errors={"labels": ["a non-empty list of non-empty strings"]})
    if len(set(labels)) != len(labels):
        raise ServiceError("Invalid labels.", errors={"labels": ["labels must be unique"]})
    return [x.strip() for x in labels]


@transaction.atomic
def project_create(
    *, name: str, kind: str, labels: list[str], settings: dict[str, Any], creator: Any
) -> Project:
    project = Project(name=name, kind=kind, labels=_check_labels(labels), created_by=creator)
    _apply_settings(project, settings)
    _full_clean(project)
    project.save()
    Membership.objects.create(project=project, user=creator, role=Membership.Role.MANAGER)
    return project


def _apply_settings(project: Project, settings: dict[str, Any]) -> None:
    from annotation_qc.projects.settings_rules import settings_validate

    for field, value in settings_validate(project=project, settings=settings).items():
        setattr(project, field, value)


@transaction.atomic
def project_update(*, project: Project, data: dict[str, Any]) -> Project:
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if "name" in data:
        locked.name = data["name"]
    if "labels" in data:
        labels = _check_labels(data["labels"])
        removed = set(locked.labels) - set(labels)
        if removed and locked.annotations.exists():
            raise ServiceError(
                "Labels in use cannot be removed.",
                errors={"labels": [f"cannot remove {sorted(removed)}: the project already has annotations"]},
            )
        locked.labels = labels
    _apply_settings(locked, data.get("settings") or {})
    _full_clean(locked)
    locked.save()
    return locked


def member_add(*, project: Project, user: Any, role: str) -> Membership:
    membership, created = Membership.objects.get_or_create(
        project=project, user=user, defaults={"role": role}
    )
    if not created:
        if membership.role == role:
            raise Conflict(f"{user.username} is already a {role} in this project.")
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def member_remove(*, project: Project, user_id: int) -> None:
    deleted, _ = Membership.objects.filter(project=project, user_id=user_id).delete()
    if not deleted:
        raise NotFound("No such member.")
