"""Linting: the same code path for live drafts and for submissions; learning the project's norms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from annotation_qc.core.exceptions import NotFound, ServiceError
from annotation_qc.core.rows import ModelColumns
from annotation_qc.domain.linters import Finding, LabelSizeStats, label_size_stats, lint, validate_lint_config
from annotation_qc.labeling.models import Annotation, Item, Task
from annotation_qc.linting.models import LintFinding, LintProfile
from annotation_qc.projects.models import Project

PROFILE_MAX_ANNOTATIONS = 20_000


class LintRejected(ServiceError):
    """A submission with error findings: 400 with the findings, nothing stored."""


_PROFILE = ModelColumns(LintProfile, ["size_stats", "median_time_s"])
#: The project's lint profile as SQL expressions over a task row ``t``, for a statement that reads the
#: task anyway (the submit's lock): :func:`lint_profile_from_values` makes the profile of their values.
LINT_PROFILE_OF_TASK = tuple(
    f"(SELECT lp.{column} FROM {LintProfile._meta.db_table} AS lp "
    "WHERE lp.project_id = t.project_id ORDER BY lp.id LIMIT 1)"
    for column in ("size_stats", "median_time_s")
)
_PROFILE_SQL = (
    f"SELECT {_PROFILE.select('')} FROM {LintProfile._meta.db_table} WHERE project_id = %s "
    "ORDER BY id LIMIT 1"
)
Profile = tuple[dict[str, LabelSizeStats], float | None]


def lint_profile(project: Project) -> Profile:
    with connection.cursor() as cursor:  # precompiled: this runs inside every submit
        cursor.execute(_PROFILE_SQL, [project.pk])
        row = cursor.fetchone()
    return ({}, None) if row is None else lint_profile_from_values(row)


def lint_profile_from_values(values: tuple[Any, ...] | list[Any]) -> Profile:
    """The profile read as :data:`LINT_PROFILE_OF_TASK` (or by :func:`lint_profile`): none when NULL."""
    profile = _PROFILE.build(values, 0, connection.alias)
    if profile.size_stats is None:
        return {}, None
    stats = {label: LabelSizeStats.from_dict(data) for label, data in profile.size_stats.items()}
    return stats, profile.median_time_s


def lint_payload(
    *,
    project: Project,
    item: Item,
    payload: dict[str, Any],
    time_spent_ms: int | None,
    profile: Profile | None = None,
) -> list[Finding]:
    """Run the project's linters on a validated payload (``profile``: already read, else read here)."""
    stats, median_time_s = lint_profile(project) if profile is None else profile
    return lint(
        payload,
        kind=project.payload_kind,
        width=item.width,
        height=item.height,
        labels=project.labels,
        config=validate_lint_config(project.lint_config),
        stats=stats,
        time_spent_s=None if time_spent_ms is None else time_spent_ms / 1000,
        median_time_s=median_time_s,
    )


def lint_draft(
    *, task_id: int | str, annotator_id: int, payload: Any, time_spent_ms: int | None
) -> list[Finding]:
    """Live linting of an annotator's draft: validated and linted exactly as on submit; nothing stored."""
    from annotation_qc.labeling.services.submit import payload_clean, task_lookup_filter

    task = (
        Task.objects.select_related("project", "item")
        .filter(annotator_id=annotator_id, **task_lookup_filter(task_id))
        .first()
    )
    if task is None:
        raise NotFound("No such task.")
    clean = payload_clean(task=task, payload=payload)
    return lint_payload(project=task.project, item=task.item, payload=clean, time_spent_ms=time_spent_ms)


def findings_check_and_store(
    *, annotation: Annotation, findings: list[Finding], now: datetime, replace: bool = False
) -> list[dict[str, Any]]:
    """Reject the submission on error findings; store the warnings. Runs inside the submit transaction.

    ``replace`` (a revised answer): the findings of the version it replaces go first.
    """
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise LintRejected(
            "The annotation has errors to fix before it can be submitted: "
            + "; ".join(f.message for f in errors),
            findings=[f.to_dict() for f in findings],
        )
    if replace:
        LintFinding.objects.filter(annotation=annotation).delete()
    LintFinding.objects.bulk_create(
        LintFinding(
            annotation=annotation,
            project_id=annotation.project_id,
            annotator_id=annotation.annotator_id,
            item_id=annotation.item_id,
            code=f.code,
            severity=f.severity,
            message=f.message[:500],
            boxes=list(f.boxes),
            created_at=now,
        )
        for f in findings
    )
    return [f.to_dict() for f in findings]


@transaction.atomic
def lint_profile_refresh(*, project_id: int) -> LintProfile:
    """Learn per-label box sizes and the typical time per task from the latest regular annotations."""
    project = Project.objects.get(pk=project_id)
    rows = list(
        Annotation.objects.filter(project=project, is_benchmark=False)
        .order_by("-submitted_at")
        .values_list("payload", "server_time_ms", "item__width", "item__height")[:PROFILE_MAX_ANNOTATIONS]
    )
    areas: list[float] = []
    labels: list[str] = []
    for payload, _, width, height in rows:
        for box in payload.get("boxes", ()):
            areas.append(box["w"] * box["h"] / (width * height))
            labels.append(box["label"])
    stats = label_size_stats(np.array(areas), labels) if areas else {}
    times = np.array([t for _, t, _, _ in rows], dtype=np.float64)
    profile, _ = LintProfile.objects.update_or_create(
        project=project,
        defaults={
            "size_stats": {label: s.to_dict() for label, s in stats.items()},
            "median_time_s": float(np.median(times)) / 1000 if len(times) >= 20 else None,
            "annotations_seen": len(rows),
            "computed_at": timezone.now(),
        },
    )
    return profile


def projects_with_stale_profiles() -> list[int]:
    """Projects with annotations newer than their lint profile (or none yet)."""
    from django.db.models import Exists, OuterRef, Q

    newer = Annotation.objects.filter(project=OuterRef("pk"), is_benchmark=False).filter(
        Q(project__lint_profile__isnull=True) | Q(submitted_at__gt=OuterRef("lint_profile__computed_at"))
    )
    return list(Project.objects.filter(Exists(newer)).values_list("pk", flat=True))
