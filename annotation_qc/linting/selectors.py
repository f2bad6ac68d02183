from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from annotation_qc.labeling.models import Annotation
from annotation_qc.linting.models import LintFinding
from annotation_qc.projects.models import Project


def findings_list(*, project: Project, code: str | None, annotator: str | None) -> QuerySet[LintFinding]:
    """The project's findings, newest first; ``annotator`` is a user id or a username."""
    findings = LintFinding.objects.filter(project=project).select_related("annotator", "annotation")
    if code:
        findings = findings.filter(code=code)
    if annotator:
        if annotator.isdigit():
            findings = findings.filter(annotator_id=int(annotator))
        else:
            findings = findings.filter(annotator__username=annotator)
    return findings.order_by("-created_at", "-pk")


def finding_rates(*, project: Project) -> dict[int, dict[str, Any]]:
    """Per annotator: findings per submitted annotation, overall and per rule."""
    annotations = dict(
        Annotation.objects.filter(project=project).values_list("annotator_id").annotate(n=Count("pk"))
    )
    rates: dict[int, dict[str, Any]] = {
        annotator_id: {"annotations": n, "findings": 0, "lint_finding_rate": 0.0, "by_code": {}}
        for annotator_id, n in annotations.items()
    }
    per_code = (
        LintFinding.objects.filter(project=project)
        .values_list("annotator_id", "code")
        .annotate(n=Count("pk"))
    )
    for annotator_id, code, n in per_code:
        entry = rates[annotator_id]
        entry["findings"] += n
        entry["by_code"][code] = round(n / entry["annotations"], 4)
    for entry in rates.values():
        entry["lint_finding_rate"] = (
            round(entry["findings"] / entry["annotations"], 4) if entry["annotations"] else None
        )
    return rates


def annotation_view(*, project_id: int, annotation_id: int) -> dict[str, Any]:
    """One answer as managers look at it: the image, the payload and its stored findings."""
    from annotation_qc.core.exceptions import NotFound
    from annotation_qc.labeling.selectors import item_image_url

    annotation = (
        Annotation.objects.select_related("item", "annotator")
        .filter(pk=annotation_id, project_id=project_id)
        .first()
    )
    if annotation is None:
        raise NotFound("No such answer.")
    findings = list(
        LintFinding.objects.filter(annotation=annotation)
        .order_by("pk")
        .values("code", "severity", "message", "boxes")
    )
    item = annotation.item
    return {
        "annotation_id": annotation.pk,
        "task_id": annotation.task_id,
        "annotator_id": annotation.annotator_id,
        "annotator": annotation.annotator.username,
        "submitted_at": annotation.submitted_at,
        "item": {
            "id": item.pk,
            "image_url": item_image_url(item),
            "width": item.width,
            "height": item.height,
        },
        "payload": annotation.payload,
        "findings": findings,
    }
