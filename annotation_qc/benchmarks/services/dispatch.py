"""Benchmarks for dispatch, prepared ahead of the request: which gold item, which seeded mistake.

Nothing here runs while an annotator waits: :func:`benchmark_prepare` is called by the workflow's
preparation job after a task is served, and writes a ``BenchmarkTask`` with no task yet; the next
next-task serves it with the same statements as work (see ``workflow.dispatch_pipeline``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.core.cache import cache
from django.db.models import Case, Count, F, When
from django.utils import timezone

from annotation_qc.benchmarks.models import AnnotatorQuality, BenchmarkTask, GoldAnnotation
from annotation_qc.benchmarks.services.exposure import gold_pick
from annotation_qc.domain.keyed_random import keyed_generator
from annotation_qc.domain.linters import Finding, lint, validate_lint_config
from annotation_qc.domain.payloads import PayloadError, validate_payload
from annotation_qc.domain.seeding import SeedingError, applicable_error_kinds, seed_error_detailed
from annotation_qc.domain.seeding_profile import (
    SeedingProfile,
    add_model_noise,
    box_count_factors,
    choose_weighted_kind,
    learn_profile,
    order_boxes,
)
from annotation_qc.labeling.models import Annotation, Prediction
from annotation_qc.linting.services import lint_profile
from annotation_qc.projects.models import Project

#: Regular corrections and predictions the seeding profile learns from.
PROFILE_SAMPLE = 300
PROFILE_CACHE_SECONDS = 600


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


def blocking_rules(project: Project) -> list[str]:
    """The linters that reject a submission (error severity) in this project."""
    config = validate_lint_config(project.lint_config)
    return sorted(
        code for code, rule in config.items() if rule.get("enabled") and rule.get("severity") == "error"
    )


def seeding_profile(project: Project) -> SeedingProfile:
    """What the project's model gets wrong and how it writes boxes (learned, cached for a while)."""
    key = f"aqc:seeding-profile:v4:{project.pk}"  # v4: with box counts, label shares, mistake sizes
    cached = cache.get(key)
    if isinstance(cached, SeedingProfile):
        return cached
    corrections = list(
        Annotation.objects.filter(project=project, is_benchmark=False, task__pre_annotation__isnull=False)
        .order_by("-submitted_at")
        .values_list("task__pre_annotation", "payload")[:PROFILE_SAMPLE]
    )
    predictions = [
        (payload, width, height)
        for payload, width, height in Prediction.objects.filter(item__project=project)
        .order_by("-pk")
        .values_list("payload", "item__width", "item__height")[:PROFILE_SAMPLE]
        if isinstance(payload, dict)
    ]
    gold = GoldAnnotation.objects.filter(project=project).order_by("-pk").values_list("payload", flat=True)
    profile = learn_profile(
        [(pre, final) for pre, final in corrections if isinstance(pre, dict) and isinstance(final, dict)],
        [payload for payload, _, _ in predictions],
        blocking_rules=blocking_rules(project),
        bbox=project.payload_kind == "bbox",
        gold=[payload for payload in gold[:PROFILE_SAMPLE] if isinstance(payload, dict)],
    )
    if predictions:
        warnings: set[str] = set()
        for payload, width, height in predictions:
            found = _findings(project, payload, width, height)
            warnings |= {f.code for f in found if f.severity == "warning"}
        profile = dataclasses.replace(profile, regular_warnings=frozenset(warnings))
    cache.set(key, profile, PROFILE_CACHE_SECONDS)
    return profile


def seeded_pre_annotation(
    *,
    project: Project,
    gold_payload: dict[str, Any],
    width: int,
    height: int,
    kind: str,
    profile: SeedingProfile,
    secret: bytes,
    annotator_id: int,
    ordinal: int,
    attempt: int,
    min_iou: float | None = None,
) -> tuple[dict[str, Any], str]:
    """The seeded, model-like pre-annotation for one kind and attempt (deterministic: replayable)."""
    rng = keyed_generator(secret, annotator_id, ordinal, "seed", attempt)
    seeded = seed_error_detailed(
        gold_payload,
        kind,
        width=width,
        height=height,
        labels=project.labels,
        rng=rng,
        label_shares=profile.label_shares,
        iou_ranges=profile.iou_ranges,
    )
    payload = seeded.payload
    if "boxes" in payload:
        payload = add_model_noise(
            payload,
            gold_payload,
            jitter=profile.jitter,
            decimals=profile.decimals,
            width=width,
            height=height,
            min_iou=project.benchmark_min_iou if min_iou is None else min_iou,
            rng=rng,
        )
        payload = order_boxes(payload, profile.box_order)  # as the model orders them (else shuffled)
    return payload, seeded.label


def _findings(project: Project, payload: dict[str, Any], width: int, height: int) -> list[Finding]:
    """The linters' findings on a pre-annotation, as an annotator submitting it unchanged would get."""
    try:
        clean = validate_payload(
            payload, kind=project.payload_kind, labels=project.labels, width=width, height=height
        )
    except PayloadError:
        return []
    stats, median_time_s = lint_profile(project)
    return lint(
        clean,
        kind=project.payload_kind,
        width=width,
        height=height,
        labels=project.labels,
        config=validate_lint_config(project.lint_config),
        stats=stats,
        time_spent_s=None,
        median_time_s=median_time_s,
    )


def _telling_findings(
    project: Project, profile: SeedingProfile, payload: dict[str, Any], width: int, height: int
) -> str | None:
    """Why this seeded pre-annotation must not be served (a blocking linter, or a warning the
    model's own pre-annotations never get), or None."""
    findings = _findings(project, payload, width, height)
    errors = sorted({f.code for f in findings if f.severity == "error"})
    if errors:
        return f"blocking linter(s) {', '.join(errors)} would force every annotator to fix it"
    if profile.regular_warnings is not None:
        unseen = sorted({f.code for f in findings if f.severity == "warning"} - profile.regular_warnings)
        if unseen:
            return f"lint warning(s) {', '.join(unseen)} never appear on the model's pre-annotations"
    return None


def benchmark_prepare(
    *,
    project: Project,
    annotator_id: int,
    ordinal: int,
    secret: bytes,
    secret_version: int,
    announced: bool = False,
) -> BenchmarkTask | None:
    """Choose a gold item and seed its pre-annotation for the annotator's task ``ordinal``
    (``announced``: a qualification task, from the qualification pool).

    Returns the prepared (unserved) benchmark, or None when no gold item is left for this
    annotator or nothing can be seeded into the one chosen. Runs inside the caller's transaction.
    """
    picked = gold_pick(
        project=project, annotator_id=annotator_id, secret=secret, ordinal=ordinal, announced=announced
    )
    if picked is None:
        return None
    gold, target = picked
    item = gold.item
    seeding: dict[str, Any] = {
        "stream": {"annotator": annotator_id, "ordinal": ordinal},
        "min_iou": project.benchmark_min_iou,
    }
    if project_is_pre_annotated(project.pk):
        profile = seeding_profile(project)
        seeding["profile"] = profile.to_dict()
        try:
            applicable = applicable_error_kinds(
                gold.payload,
                project_kind=project.payload_kind,
                labels=project.labels,
                width=item.width,
                height=item.height,
            )
        except SeedingError:
            return None
        served = dict(
            BenchmarkTask.objects.filter(project=project, annotator_id=annotator_id, task__isnull=False)
            .values_list("error_kind")
            .annotate(n=Count("pk"))
        )
        candidates = list(applicable)
        # Kinds weighted so that benchmarks hold as many boxes as the model's pre-annotations do.
        factors = box_count_factors(profile, len(gold.payload.get("boxes") or []), candidates)
        rejected: dict[str, str] = {}
        kind_rng = keyed_generator(secret, annotator_id, ordinal, "kind")
        result: tuple[dict[str, Any], str] | None = None
        kind: str | None = None
        attempt = 0
        while result is None:
            kind = choose_weighted_kind(candidates, profile.weights, served, kind_rng, factors)
            if kind is None:
                return None
            try:
                payload, label = seeded_pre_annotation(
                    project=project,
                    gold_payload=gold.payload,
                    width=item.width,
                    height=item.height,
                    kind=kind,
                    profile=profile,
                    secret=secret,
                    annotator_id=annotator_id,
                    ordinal=ordinal,
                    attempt=attempt,
                )
            except SeedingError as exc:
                rejected[kind] = str(exc)
            else:
                telling = _telling_findings(project, profile, payload, item.width, item.height)
                if telling:
                    rejected[kind] = telling
                else:
                    result = (payload, label)
            if result is None:
                candidates.remove(kind)
                attempt += 1
        seeding["attempt"] = attempt
        if rejected:
            seeding["rejected"] = rejected
        pre_annotation: dict[str, Any] | None = result[0]
        error_kind, error_label = str(kind), result[1]
    else:
        # Regular tasks come without a pre-annotation here, so a benchmark must too: it is scored
        # as an unassisted answer against gold.
        pre_annotation, error_kind, error_label = None, BenchmarkTask.UNASSISTED, ""
    # Retired once it reached its target (as many annotators as a work item would): the pool rotates.
    GoldAnnotation.objects.filter(pk=gold.pk).update(
        exposure=F("exposure") + 1,
        exposure_target=target,
        announced=announced,
        retired_at=Case(When(exposure__gte=target - 1, then=timezone.now()), default=F("retired_at")),
    )
    return BenchmarkTask.objects.create(
        task=None,
        project=project,
        annotator_id=annotator_id,
        gold=gold,
        gold_payload=gold.payload,
        error_kind=error_kind,
        error_label=error_label,
        seeded_payload=pre_annotation,
        ordinal=ordinal,
        secret_version=secret_version,
        seeding=seeding,
    )


def benchmark_discard(*, benchmark: BenchmarkTask) -> None:
    """Drop a prepared benchmark that was never served, giving its gold item's exposure back."""
    if benchmark.task_id is not None:
        return
    GoldAnnotation.objects.filter(pk=benchmark.gold_id, exposure__gt=0).update(
        exposure=F("exposure") - 1, retired_at=None
    )
    benchmark.delete()
