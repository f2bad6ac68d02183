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
