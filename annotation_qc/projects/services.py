from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from annotation_qc.core.exceptions import NotFound, ServiceError
from annotation_qc.projects.label_rules import label_config_validate
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
    "edit_window_seconds",
    "gold_pool_target",
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
    *,
    name: str,
    kind: str,
    labels: list[str],
    settings: dict[str, Any],
    creator: Any,
    label_config: dict[str, Any] | None = None,
    instructions: str = "",
) -> Project:
    checked = _check_labels(labels)
    project = Project(
        name=name,
        kind=kind,
        labels=checked,
        label_config=label_config_validate(labels=checked, config=label_config or {}),
        instructions=instructions,
        created_by=creator,
    )
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
        # Entries of labels no longer in the set go; the rest is checked again below.
        locked.label_config = {k: v for k, v in locked.label_config.items() if k in labels}
    if "label_config" in data:
        merged = {**locked.label_config}
        for label, entry in (data["label_config"] or {}).items():
            merged[label] = {**merged.get(label, {}), **entry} if isinstance(entry, dict) else entry
        data_config = merged
    else:
        data_config = locked.label_config
    locked.label_config = label_config_validate(labels=locked.labels, config=data_config)
    if "instructions" in data:
        locked.instructions = data["instructions"]
    _apply_settings(locked, data.get("settings") or {})
    _full_clean(locked)
    locked.save()
    return locked


def _access_changed(*, project: Project, user_id: int) -> None:
    """A member lost the annotator role: their open tasks end and the items go back to the queue."""
    from annotation_qc.labeling.services.revoke import open_tasks_end

    open_tasks_end(project_id=project.pk, annotator_id=user_id)


@transaction.atomic
def label_rename(*, project: Project, old: str, new: str) -> Project:
    """Renames a label not yet used by any answer (a label in use is retired and a new one added instead)."""
    locked = Project.objects.select_for_update().get(pk=project.pk)
    new = new.strip()
    if old not in locked.labels:
        raise ServiceError("No such label.", errors={"from": [f"{old!r} is not one of the project's labels"]})
    if not new:
        raise ServiceError("Invalid label.", errors={"to": ["must not be empty"]})
    if new in locked.labels:
        raise ServiceError(
            "That label exists.", errors={"to": [f"{new!r} is already a label of this project"]}
        )
    if locked.annotations.exists() or locked.items.filter(predictions__isnull=False).exists():
        raise ServiceError(
            "Labels in use cannot be renamed.",
            errors={
                "from": [
                    "the project already has answers or predictions: retire this label and add a new one"
                ]
            },
        )
    locked.labels = [new if label == old else label for label in locked.labels]
    if old in locked.label_config:
        locked.label_config = {(new if k == old else k): v for k, v in locked.label_config.items()}
    locked.save(update_fields=["labels", "label_config"])
    return locked


def member_add(*, project: Project, user: Any, role: str) -> Membership:
    """Adds a member; one already in is a 400 naming ``username`` (roles change with ``member_set_role``)."""
    membership, created = Membership.objects.get_or_create(
        project=project, user=user, defaults={"role": role}
    )
    if not created:
        raise ServiceError(
            f"{user.username} is already a member of this project.",
            errors={"username": [f"already a member (as {membership.role}); change the role instead"]},
        )
    return membership


@transaction.atomic
def member_set_role(*, project: Project, user_id: int, role: str) -> Membership:
    """Change a member's role; one who stops being an annotator has their open tasks ended at once."""
    membership = Membership.objects.select_related("user").filter(project=project, user_id=user_id).first()
    if membership is None:
        raise NotFound("No such member.")
    if membership.role != role:
        was = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        if was == Membership.Role.ANNOTATOR:
            _access_changed(project=project, user_id=user_id)
    return membership


@transaction.atomic
def member_remove(*, project: Project, user_id: int) -> None:
    """Remove a member; their open tasks end at once (their next submit, lint or skip is 403)."""
    deleted, _ = Membership.objects.filter(project=project, user_id=user_id).delete()
    if not deleted:
        raise NotFound("No such member.")
    _access_changed(project=project, user_id=user_id)
