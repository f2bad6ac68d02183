"""The data behind each dashboard chart, as columns and rows (the same for JSON and CSV)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.db.models.functions import TruncDay

from annotation_qc.domain.charts import histogram_bins, last_of_each_run, running_accuracy
from annotation_qc.projects.models import Project


@dataclass(frozen=True)
class ChartData:
    columns: list[str]
    rows: list[dict[str, Any]]


def _day(value: Any) -> str:
    return value.date().isoformat() if hasattr(value, "date") else str(value)[:10]


def throughput(*, project: Project) -> ChartData:
    """Answers and skips per day (benchmarks included: they are work too)."""
    from annotation_qc.labeling.models import Task

    rows = (
        Task.objects.filter(project=project, finished_at__isnull=False)
        .annotate(day=TruncDay("finished_at"))
        .values("day")
        .annotate(
            submitted=Count("pk", filter=Q(status=Task.Status.SUBMITTED)),
            skipped=Count("pk", filter=Q(status=Task.Status.SKIPPED)),
        )
        .order_by("day")
    )
    return ChartData(
        ["day", "submitted", "skipped"],
        [{"day": _day(r["day"]), "submitted": r["submitted"], "skipped": r["skipped"]} for r in rows],
    )


def skill(*, project: Project) -> ChartData:
    """Each annotator's benchmark accuracy so far, with its 95% Wilson interval, at the end of each day."""
    from annotation_qc.benchmarks.models import BenchmarkTask

    scored = list(
        BenchmarkTask.objects.filter(project=project, scored_at__isnull=False, fixed__isnull=False)
        .order_by("annotator_id", "scored_at", "pk")
        .values_list("annotator_id", "scored_at", "fixed")
    )
    columns = ["annotator_id", "username", "day", "benchmarks", "accuracy", "low", "high"]
    if not scored:
        return ChartData(columns, [])
    annotators = np.array([r[0] for r in scored])
    days = np.array([_day(r[1]) for r in scored])
    stats = running_accuracy(annotators, np.array([r[2] for r in scored], dtype=bool))
    keep = np.flatnonzero(last_of_each_run(np.char.add(annotators.astype(str), np.char.add("|", days))))
    names = dict(
        get_user_model().objects.filter(pk__in=set(annotators.tolist())).values_list("pk", "username")
    )
    rows = [
        {
            "annotator_id": int(annotators[i]),
            "username": names.get(int(annotators[i]), ""),
            "day": str(days[i]),
            "benchmarks": int(stats["trials"][i]),
            "accuracy": round(float(stats["accuracy"][i]), 4),
            "low": round(float(stats["low"][i]), 4),
            "high": round(float(stats["high"][i]), 4),
        }
        for i in keep
    ]
    return ChartData(columns, rows)


def agreement(*, project: Project) -> ChartData:
    from annotation_qc.agreement.models import AgreementSnapshot

    rows = (
        AgreementSnapshot.objects.filter(project=project)
        .order_by("computed_at", "pk")
        .values("computed_at", "alpha", "alpha_low", "alpha_high", "n_items")
    )
    return ChartData(
        ["computed_at", "alpha", "low", "high", "items"],
        [
            {
                "computed_at": r["computed_at"].isoformat(),
                "alpha": r["alpha"],
                "low": r["alpha_low"],
                "high": r["alpha_high"],
                "items": r["n_items"],
            }
            for r in rows
        ],
    )


def label_mix(*, project: Project) -> ChartData:
    """Labels given per day (classification: one per answer; boxes: one per box), regular tasks only."""
    from annotation_qc.labeling.models import Annotation

    answers = Annotation.objects.filter(project=project, is_benchmark=False)
    counts: Counter[tuple[str, str]] = Counter()
    if project.kind == Project.Kind.CLASSIFICATION:
        from django.db.models.fields.json import KT

        grouped = (
            answers.annotate(day=TruncDay("submitted_at"), label=KT("payload__label"))
            .values("day", "label")
            .annotate(n=Count("pk"))
        )
        for r in grouped:
            counts[(_day(r["day"]), str(r["label"]))] += r["n"]
    else:
        # Box labels sit in a JSON array, which neither SQLite nor PostgreSQL unnests portably.
        for submitted_at, payload in answers.values_list("submitted_at", "payload").iterator(chunk_size=2000):
            day = submitted_at.date().isoformat()
            counts.update((day, str(b.get("label"))) for b in (payload or {}).get("boxes", []))
    rows = [{"day": d, "label": lab, "count": n} for (d, lab), n in sorted(counts.items())]
    return ChartData(["day", "label", "count"], rows)


def lint_rules(*, project: Project) -> ChartData:
    from annotation_qc.linting.models import LintFinding

    rows = (
        LintFinding.objects.filter(project=project)
        .values("code")
        .annotate(
            errors=Count("pk", filter=Q(severity="error")),
            warnings=Count("pk", filter=Q(severity="warning")),
        )
        .order_by("code")
    )
    return ChartData(["rule", "errors", "warnings"], [{"rule": r["code"], **_counts(r)} for r in rows])


def _counts(row: dict[str, Any]) -> dict[str, int]:
    return {"errors": row["errors"], "warnings": row["warnings"]}


def benchmark_outcomes(*, project: Project) -> ChartData:
    from annotation_qc.benchmarks.models import BenchmarkTask

    rows = (
        BenchmarkTask.objects.filter(project=project, scored_at__isnull=False)
        .values("error_kind")
        .annotate(n_fixed=Count("pk", filter=Q(fixed=True)), n_missed=Count("pk", filter=Q(fixed=False)))
        .order_by("error_kind")
    )
    return ChartData(
        ["error_kind", "fixed", "missed"],
        [{"error_kind": r["error_kind"], "fixed": r["n_fixed"], "missed": r["n_missed"]} for r in rows],
    )


def queue_scores(*, project: Project, bins: int = 20) -> ChartData:
    """The distribution of the live priorities over the items still to hand out."""
    from annotation_qc.labeling.models import Item

    values = np.fromiter(
        Item.objects.filter(project=project, open_slots__gt=0, is_gold=False).values_list(
            project.priority_field, flat=True
        ),
        dtype=np.float64,
    )
    return ChartData(["start", "end", "count"], histogram_bins(values, bins=bins))


#: Metadata attributes charted: the coverage targets' first, then the most common keys among recent items.
CHART_ATTRIBUTES = 10
#: Recent items whose metadata keys are looked at to find the attributes worth charting.
ATTRIBUTE_SAMPLE = 2000


def _chart_attributes(project: Project, targeted: list[str]) -> list[str]:
    """Attributes to chart: those with coverage targets, then keys with scalar values that most of the
    latest items carry (a bucket source's own bookkeeping left out)."""
    from annotation_qc.labeling.models import Item

    seen: Counter[str] = Counter()
    for metadata in (
        Item.objects.filter(project=project, is_gold=False)
        .order_by("-pk")
        .values_list("metadata", flat=True)[:ATTRIBUTE_SAMPLE]
    ):
        if isinstance(metadata, dict):
            seen.update(
                k
                for k, v in metadata.items()
                if isinstance(v, str | int | float | bool) and 0 < len(k) <= 100
            )
    common = [
        k
        for k, _ in sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))
        if k != "source_url" and "__" not in k and k.replace("_", "").replace("-", "").isalnum()
    ]
    return list(dict.fromkeys([*targeted, *common]))[:CHART_ATTRIBUTES]


def metadata_attributes(*, project: Project) -> ChartData:
    """Items, labeled items and (with an export) exported items per value of each metadata attribute, with
    the shares among labeled items, the ML team's target share and whether the value is under it."""
    from annotation_qc.datahealth.services.config import project_config
    from annotation_qc.datahealth.services.coverage import coverage_report

    targeted = list(project_config(project.pk)["coverage"]["attributes"])
    report = coverage_report(project=project, attributes=_chart_attributes(project, targeted))
    columns = [
        "attribute",
        "value",
        "items",
        "labeled",
        "exported",
        "labeled_share",
        "target",
        "under_target",
    ]
    rows = [
        {
            "attribute": attribute,
            "value": row["value"],
            "items": row["counts"].get("items", 0),
            "labeled": row["counts"].get("labeled", 0),
            "exported": row["counts"].get("exported"),
            "labeled_share": round(float(row["shares"].get("labeled", 0.0)), 4),
            "target": row["target"],
            "under_target": row["under_represented"],
        }
        for attribute, table in report["attributes"].items()
        for row in table
    ]
    return ChartData(columns, rows)


def _box_figures(project: Project) -> tuple[list[int], list[float]]:
    from annotation_qc.datahealth.services.coverage import annotation_box_figures

    return annotation_box_figures(project)


def box_sizes(*, project: Project) -> ChartData:
    """Labeled boxes by size, as sqrt(box area / image area) in bins (empty for classification projects)."""
    from annotation_qc.domain.data_health.coverage import box_sizes as size_bins

    if project.kind != Project.Kind.BBOX:
        return ChartData(["start", "end", "count"], [])
    _, sizes = _box_figures(project)
    histogram = size_bins(sizes)["histogram"]
    return ChartData(
        ["start", "end", "count"],
        [{"start": b["from"], "end": b["to"], "count": b["count"]} for b in histogram],
    )


def boxes_per_image(*, project: Project) -> ChartData:
    """Labeled images by how many boxes they hold (0 to 9, then 10 or more)."""
    from annotation_qc.domain.data_health.coverage import boxes_per_image as per_image_bins

    if project.kind != Project.Kind.BBOX:
        return ChartData(["boxes", "images"], [])
    per_image, _ = _box_figures(project)
    histogram = per_image_bins(per_image)["histogram"]
    return ChartData(["boxes", "images"], [{"boxes": k, "images": v} for k, v in histogram.items()])


# name -> (selector, roles beyond managers that may read it)
CHARTS: dict[str, Any] = {
    "throughput": throughput,
    "skill": skill,
    "agreement": agreement,
    "label-mix": label_mix,
    "lint-rules": lint_rules,
    "benchmark-outcomes": benchmark_outcomes,
    "queue-scores": queue_scores,
    "metadata-attributes": metadata_attributes,
    "box-sizes": box_sizes,
    "boxes-per-image": boxes_per_image,
}
# Charts about the data rather than about annotators: ML engineers see them on their dashboard too.
ML_ENGINEER_CHARTS = frozenset(
    {
        "throughput",
        "agreement",
        "label-mix",
        "queue-scores",
        "metadata-attributes",
        "box-sizes",
        "boxes-per-image",
    }
)
