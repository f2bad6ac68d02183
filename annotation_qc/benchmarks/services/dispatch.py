"""Benchmark tasks in dispatch: when one is due, which gold item, which seeded error."""

from __future__ import annotations

import secrets
from datetime import datetime

import numpy as np
from django.core.cache import cache
from django.db.models import Count

from annotation_qc.benchmarks.models import AnnotatorQuality, BenchmarkTask, GoldAnnotation
from annotation_qc.domain.benchmark_schedule import benchmark_due
from annotation_qc.domain.seeding import (
    SeedingError,
    applicable_error_kinds,
    choose_error_kind,
    seed_error_detailed,
)
from annotation_qc.labeling.models import Prediction, Task
from annotation_qc.projects.models import Project

GOLD_CANDIDATES = 20


def annotator_may_receive_tasks(*, project: Project, annotator_id: int) -> bool:
    """False for an annotator flagged by benchmarks when the project stops serving flagged annotators."""
    if project.flag_action != Project.FlagAction.STOP:
        return True
    return not AnnotatorQuality.objects.filter(
        project=project, annotator_id=annotator_id, status=AnnotatorQuality.Status.FLAGGED
    ).exists()


def _gold_key(project_id: int) -> str:
    return f"aqc:has-gold:{project_id}"


def project_has_gold(project_id: int) -> bool:
    """Whether the project has a gold set (cached briefly; gold imports clear it)."""
    known = cache.get(_gold_key(project_id))
    if known is None:
        known = GoldAnnotation.objects.filter(project_id=project_id).exists()
        cache.set(_gold_key(project_id), known, 60)
    return bool(known)


def gold_changed(project_id: int) -> None:
    cache.delete(_gold_key(project_id))


def project_is_pre_annotated(project_id: int) -> bool:
    """Whether regular tasks carry model predictions (cached briefly: it only changes on import)."""
    key = f"aqc:pre-annotated:{project_id}"
    known = cache.get(key)
    if known is None:
        known = Prediction.objects.filter(item__project_id=project_id).exists()
        cache.set(key, known, 60)
    return bool(known)


def _pick_gold(project: Project, annotator_id: int, rng: np.random.Generator) -> GoldAnnotation | None:
    """A gold item this annotator has never been served, chosen at random among a few candidates."""
    candidates = list(
        GoldAnnotation.objects.filter(project=project)
        .exclude(item__tasks__annotator_id=annotator_id)
        .select_related("item")
        .order_by("?")[:GOLD_CANDIDATES]
    )
    if not candidates:
        return None
    return candidates[int(rng.integers(len(candidates)))]


def benchmark_task_if_due(*, project: Project, annotator_id: int, now: datetime) -> Task | None:
    """Create and return a benchmark task if one is due for this annotator now, else None."""
    from annotation_qc.labeling.services.dispatch import task_create

    if project.benchmark_rate <= 0 and project.calibration_benchmarks <= 0:
        return None
    if not project_has_gold(project.pk):
        return None
    rng = np.random.default_rng(secrets.randbits(64))
    # Only the first ``calibration_window`` tasks matter for calibration, so the look-up is bounded:
    # dispatch costs the same for an annotator's 10th task and their 10,000th.
    window = project.calibration_window
    first_kinds = list(
        Task.objects.filter(project=project, annotator_id=annotator_id).values_list("kind", flat=True)[
            :window
        ]
    )
    if not benchmark_due(
        served=len(first_kinds),
        benchmarks=first_kinds.count(Task.Kind.BENCHMARK),
        rate=project.benchmark_rate,
        calibration_benchmarks=project.calibration_benchmarks,
        calibration_window=window,
        draw=float(rng.random()),
    ):
        return None
    gold = _pick_gold(project, annotator_id, rng)
    if gold is None:
        return None
    item = gold.item
    if project_is_pre_annotated(project.pk):
        try:
            kinds = applicable_error_kinds(
                gold.payload,
                project_kind=project.payload_kind,
                labels=project.labels,
                width=item.width,
                height=item.height,
            )
            served_kinds = dict(
                BenchmarkTask.objects.filter(project=project, annotator_id=annotator_id)
                .values_list("error_kind")
                .annotate(n=Count("pk"))
            )
            kind = choose_error_kind(kinds, served_kinds, rng)
            seeded = seed_error_detailed(
                gold.payload, kind, width=item.width, height=item.height, labels=project.labels, rng=rng
            )
        except SeedingError:
            return None
        pre_annotation, error_kind, error_label = seeded.payload, seeded.kind, seeded.label
    else:
        # Regular tasks come without a pre-annotation here, so a benchmark must too: it is scored
        # as an unassisted answer against gold.
        pre_annotation, error_kind, error_label = None, BenchmarkTask.UNASSISTED, ""
    task = task_create(
        project=project,
        annotator_id=annotator_id,
        item=item,
        pre_annotation=pre_annotation,
        kind=Task.Kind.BENCHMARK,
        now=now,
    )
    BenchmarkTask.objects.create(
        task=task,
        project=project,
        annotator_id=annotator_id,
        gold=gold,
        gold_payload=gold.payload,
        error_kind=error_kind,
        error_label=error_label,
        seeded_payload=pre_annotation,
    )
    return task
