"""Registered model versions: register, change roles, delete; predictions imports register theirs."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from annotation_qc.core.exceptions import Conflict, ServiceError
from annotation_qc.labeling.models import ModelVersion, Prediction
from annotation_qc.projects.models import Project


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ServiceError("Invalid model version.", errors={"name": ["must not be blank"]})
    return name


def _make_current(*, version: ModelVersion) -> None:
    """Clear the project's other current version first (the partial unique index allows one)."""
    ModelVersion.objects.filter(project_id=version.project_id, is_current=True).exclude(pk=version.pk).update(
        is_current=False
    )


@transaction.atomic
def model_version_register(
    *,
    project: Project,
    name: str,
    owner_id: int | None,
    description: str = "",
    is_current: bool = False,
    in_committee: bool = False,
) -> ModelVersion:
    name = _check_name(name)
    if ModelVersion.objects.filter(project=project, name=name).exists():
        raise Conflict(
            f"Model version '{name}' is already registered.", errors={"name": ["already registered"]}
        )
    version = ModelVersion(
        project=project,
        name=name,
        description=description,
        owner_id=owner_id,
        is_current=is_current,
        in_committee=in_committee,
    )
    if is_current:
        _make_current(version=version)
    try:
        with transaction.atomic():
            version.save()
    except IntegrityError as exc:  # a concurrent registration of the same name or current
        raise Conflict("Model version changed concurrently; try again.") from exc
    return version


@transaction.atomic
def model_version_update(
    *,
    version: ModelVersion,
    description: str | None = None,
    is_current: bool | None = None,
    in_committee: bool | None = None,
) -> ModelVersion:
    locked = ModelVersion.objects.select_for_update().get(pk=version.pk)
    fields = []
    if description is not None:
        locked.description = description
        fields.append("description")
    if in_committee is not None:
        locked.in_committee = in_committee
        fields.append("in_committee")
    if is_current is not None:
        if is_current:
            _make_current(version=locked)
        locked.is_current = is_current
        fields.append("is_current")
    if fields:
        try:
            with transaction.atomic():
                locked.save(update_fields=fields)
        except IntegrityError as exc:
            raise Conflict("Model version changed concurrently; try again.") from exc
    return locked


@transaction.atomic
def model_version_delete(*, version: ModelVersion) -> int:
    """Delete a version and its predictions; returns how many predictions went with it."""
    deleted, _ = Prediction.objects.filter(
        item__project_id=version.project_id, model_version=version.name
    ).delete()
    version.delete()
    return deleted


def model_version_uploaded(
    *, project: Project, name: str, owner_id: int | None, now: datetime | None = None
) -> None:
    """Register ``name`` if new and stamp its upload time (called inside a predictions import)."""
    now = now or timezone.now()
    updated = ModelVersion.objects.filter(project=project, name=name).update(uploaded_at=now)
    if not updated:
        ModelVersion.objects.create(project=project, name=name, owner_id=owner_id, uploaded_at=now)
