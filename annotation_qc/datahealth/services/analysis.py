"""After an import commits: its batch compared with the reference (drift) and its items scored for outliers.

The reference is the project's labeled items (the most recent ``REFERENCE_MAX`` of them) or a pinned batch.
Each item is described by its image statistics and its features (when the project has them); the
prediction confidence and predicted label mix come from the latest prediction per item. A drifted batch
fires the project's ``data_drift`` alert rules (existing rules and webhooks).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from numpy.typing import NDArray

from annotation_qc.core import jobs
from annotation_qc.core.models import Job
from annotation_qc.datahealth.models import BatchReport, ItemHealth
from annotation_qc.datahealth.services.checks import quarantine_items
from annotation_qc.datahealth.services.config import project_config
from annotation_qc.domain.data_health.drift import UNRECORDED, Versions, compare, like_with_like
from annotation_qc.domain.data_health.images import STAT_NAMES, ImageStats, stats_vector
from annotation_qc.domain.data_health.outliers import TooFewToFit, fit_outliers
from annotation_qc.domain.data_health.queue import placement_shift
from annotation_qc.exchange.models import DataImport
from annotation_qc.labeling.models import Annotation, Item, Prediction
from annotation_qc.labeling.services.imports import features_from_bytes
from annotation_qc.projects.models import Project

logger = logging.getLogger(__name__)

REFERENCE_MAX = 20_000
CHUNK = 5000
#: The names of the image statistics' columns start with this (the features' do not).
IMAGE_PREFIX = "image."


def batch_analyse_enqueue(*, data_import_id: int, user_id: int | None = None) -> int:
    """Queue the drift and outlier job for a batch once the surrounding transaction commits; its job id."""
    project_id = DataImport.objects.values_list("project_id", flat=True).get(pk=data_import_id)
    job = jobs.job_create(
        kind="batch_analyse",
        project_id=project_id,
        created_by_id=user_id,
        params={"import_id": data_import_id},
    )
    _enqueue(data_import_id, job.pk)
    return job.pk


def _enqueue(data_import_id: int, job_id: int) -> None:
    from annotation_qc.core.queue import BROKER_DOWN, enqueue_on_commit
    from annotation_qc.datahealth.tasks import batch_analyse_task

    enqueue_on_commit(
        batch_analyse_task,
        data_import_id,
        job_id,
        on_unavailable=lambda: jobs.job_fail(job_id=job_id, message=BROKER_DOWN),
        options=jobs.task_options("batch_analyse"),
    )


def batch_analyse_job(*, data_import_id: int, job_id: int) -> dict[str, Any]:
    """The job. Safe to run twice: one another live worker runs (or that ended) is left alone; the
    report is replaced, and outliers already placed in the queue are not shifted again."""
    with jobs.job_running(job_id=job_id) as mine:
        if not mine:
            return {}
        jobs.job_start(job_id=job_id, total=1)
        try:
            result = batch_analyse(data_import_id=data_import_id)
        except Exception as exc:
            jobs.job_fail(job_id=job_id, message=f"{exc.__class__.__name__}: {exc}")
            raise
        summary = {
            "import_id": data_import_id,
            "batch_items": result["batch_items"],
            "drifted": bool(result.get("drift", {}).get("drifted")),
            "outliers": result.get("outliers", {}).get("outliers", 0),
        }
        jobs.job_advance(job_id=job_id, by=1)
        jobs.job_finish(job_id=job_id, result=summary)
        return result


def batch_analyse_retry(job: Job) -> None:
    """The watchdog's retry of an analysis whose worker died."""
    _enqueue(int(job.params["import_id"]), job.pk)


def batch_analyse_give_up(job: Job, message: str) -> None:
    jobs.job_fail(job_id=job.pk, message=message)


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)]


def item_matrix(
    project: Project, item_ids: Sequence[int], *, layout: tuple[bool, bool] | None = None
) -> tuple[list[str], NDArray[np.float64], NDArray[np.int64]]:
    """Columns: image statistics (when any item has them), then the features (when the project has them);
    and the version of each row's image measurement (:data:`UNRECORDED`: none recorded).

    ``layout`` (image statistics, features) fixes which blocks there are (a reference is read with the
    batch's columns), whatever the items have."""
    stats: dict[int, NDArray[np.float64]] = {}
    versions: dict[int, int] = {}
    features: dict[int, NDArray[np.float64]] = {}
    dim = project.feature_dim or 0
    for chunk in _chunks(item_ids):
        for pk, stored, version in ItemHealth.objects.filter(item_id__in=chunk).values_list(
            "item_id", "stats", "measure_version"
        ):
            if stored:
                stats[pk] = stats_vector(ImageStats.from_dict(stored))
                versions[pk] = version if version is not None else UNRECORDED
        if dim:
            for pk, raw in Item.objects.filter(pk__in=chunk, features__isnull=False).values_list(
                "pk", "features"
            ):
                if raw is not None:
                    features[pk] = features_from_bytes(raw).astype(np.float64)
    with_stats, with_features = layout if layout is not None else (bool(stats), bool(dim and features))
    names: list[str] = []
    blocks: list[NDArray[np.float64]] = []
    n = len(item_ids)
    if with_stats:
        block = np.full((n, len(STAT_NAMES)), np.nan)
        for row, pk in enumerate(item_ids):
            if pk in stats:
                block[row] = stats[pk]
        names += [f"{IMAGE_PREFIX}{s}" for s in STAT_NAMES]
        blocks.append(block)
    if with_features and dim:
        block = np.full((n, dim), np.nan)
        for row, pk in enumerate(item_ids):
            vector = features.get(pk)
            if vector is not None and vector.size == dim:
                block[row] = vector
        names += [f"f{j}" for j in range(dim)]
        blocks.append(block)
    row_versions = np.array([versions.get(pk, UNRECORDED) for pk in item_ids], dtype=np.int64)
    return names, (np.hstack(blocks) if blocks else np.zeros((n, 0))), row_versions


def _predictions(project: Project, item_ids: Sequence[int]) -> tuple[list[float], NDArray[np.int64]]:
    """Confidence per item (max probability, or mean box score) and predicted label counts."""
    labels = list(project.labels)
    index = {label: i for i, label in enumerate(labels)}
    latest: dict[int, tuple[Any, Any, Any]] = {}
    for chunk in _chunks(item_ids):
        rows = (
            Prediction.objects.filter(item_id__in=chunk)
            .order_by("item_id", "created_at", "pk")
            .values_list("item_id", "payload", "scores", "proba")
        )
        for pk, payload, scores, proba in rows:
            latest[pk] = (payload, scores, proba)
    confidence: list[float] = []
    counts = np.zeros(len(labels), dtype=np.int64)
    for payload, scores, proba in latest.values():
        if proba:
            confidence.append(float(max(proba)))
            counts[int(np.argmax(proba))] += 1
            continue
        if scores:
            confidence.append(float(np.mean(scores)))
        payload = payload or {}
        found = (
            [payload.get("label")]
            if "label" in payload
            else [b.get("label") for b in payload.get("boxes", [])]
        )
        for label in found:
            if label in index:
                counts[index[label]] += 1
    return confidence, counts


def _reference_ids(project: Project, config: dict[str, Any], batch_ids: set[int]) -> list[int]:
    drift = config["drift"]
    if drift["reference"] == "batch" and drift["reference_batch"]:
        ids = list(
            ItemHealth.objects.filter(project=project, data_import_id=drift["reference_batch"])
            .order_by("item_id")
            .values_list("item_id", flat=True)[:REFERENCE_MAX]
        )
        return [i for i in ids if i not in batch_ids]
    return labeled_ids(project, exclude=batch_ids)


def labeled_ids(
    project: Project, *, exclude: set[int] | None = None, limit: int = REFERENCE_MAX
) -> list[int]:
    """The most recent labeled regular items (those with a submitted regular annotation)."""
    labeled = Annotation.objects.filter(item_id=OuterRef("pk"), is_benchmark=False)
    ids = list(
        Item.objects.filter(project=project, is_gold=False)
        .filter(Exists(labeled))
        .order_by("-pk")
        .values_list("pk", flat=True)[: limit + len(exclude or ())]
    )
    return [i for i in ids if i not in (exclude or set())][:limit]


def batch_item_ids(data_import: DataImport) -> list[int]:
    return list(
        ItemHealth.objects.filter(data_import=data_import)
        .order_by("item_id")
        .values_list("item_id", flat=True)
    )


def batch_analyse(*, data_import_id: int, item_ids: Sequence[int] | None = None) -> dict[str, Any]:
    """Drift of the batch against the reference, and outlier scores for its items; stored on its report."""
    data_import = DataImport.objects.select_related("project").get(pk=data_import_id)
    project = data_import.project
    config = project_config(project.pk)
    ids = list(item_ids) if item_ids is not None else batch_item_ids(data_import)
    batch_set = set(ids)
    reference = _reference_ids(project, config, batch_set)
    names, batch_matrix, batch_versions = item_matrix(project, ids)
    with_stats = bool(names) and names[0].startswith(IMAGE_PREFIX)
    with_features = len(names) > (len(STAT_NAMES) if with_stats else 0)
    _, reference_matrix, reference_versions = item_matrix(
        project, reference, layout=(with_stats, with_features)
    )
    # Image statistics are compared (drift) and fitted (outliers) only between items measured alike.
    versions = Versions(
        columns=[name.startswith(IMAGE_PREFIX) for name in names],
        batch=batch_versions.tolist(),
        reference=reference_versions.tolist(),
    )
    result: dict[str, Any] = {"batch_items": len(ids), "reference_items": len(reference)}
    drift_settings = config["drift"]
    if drift_settings["enabled"]:
        b_conf, b_counts = _predictions(project, ids)
        r_conf, r_counts = _predictions(project, reference)
        drift = compare(
            batch_matrix,
            reference_matrix,
            names,
            alpha=drift_settings["alpha"],
            correction=drift_settings["correction"],
            min_effect=drift_settings["min_effect"],
            min_items=drift_settings["min_items"],
            batch_confidence=b_conf,
            reference_confidence=r_conf,
            labels=list(project.labels),
            batch_label_counts=b_counts,
            reference_label_counts=r_counts,
            versions=versions,
        )
        result["drift"] = {
            **drift.to_dict(),
            "reference": drift_settings["reference"],
            "reference_batch": drift_settings["reference_batch"],
        }
    outliers = config["outliers"]
    if outliers["enabled"] and names:
        matched = like_with_like(batch_matrix, reference_matrix, versions)
        result["outliers"] = _outliers(project, ids, matched.batch, matched.reference, outliers)
    with transaction.atomic():
        BatchReport.objects.update_or_create(
            data_import=data_import,
            defaults={
                "project": project,
                "drift": result.get("drift", {}),
                "drifted": bool(result.get("drift", {}).get("drifted")),
                "drift_checked_at": timezone.now(),
                "outliers": result.get("outliers", {}),
            },
        )
    if result.get("drift", {}).get("drifted"):
        _alert(project)
    return result


def _outliers(
    project: Project,
    ids: list[int],
    batch_matrix: NDArray[np.float64],
    reference_matrix: NDArray[np.float64],
    settings: dict[str, Any],
) -> dict[str, Any]:
    try:
        model = fit_outliers(
            reference_matrix, contamination=settings["contamination"], min_reference=settings["min_reference"]
        )
    except TooFewToFit as exc:
        return {"status": "too few to fit", "detail": str(exc)}
    scores, flagged = model.flag(batch_matrix)
    outlier_ids = [ids[i] for i in np.flatnonzero(flagged).tolist()]
    with transaction.atomic():
        # Placed once: an item an earlier analysis (or a retried one) already flagged is not held for review
        # again; first and last are a stored shift (see outliers_place), so placing again moves nothing.
        # Scores and places commit together.
        already = {
            pk
            for chunk in _chunks(outlier_ids)
            for pk in ItemHealth.objects.filter(item_id__in=chunk, is_outlier=True).values_list(
                "item_id", flat=True
            )
        }
        outlier_scores_store(project=project, item_ids=ids, scores=scores, flagged=flagged)
        fresh = [pk for pk in outlier_ids if pk not in already]
        placed = outliers_place(
            project=project,
            item_ids=fresh if settings["placement"] == "review" else outlier_ids,
            placement=settings["placement"],
            scored_ids=ids,
        )
    return {
        "status": "scored",
        "threshold": model.threshold,
        "reference_items": model.n_reference,
        "scored": len(ids),
        "outliers": len(outlier_ids),
        "placement": settings["placement"],
        "placed": placed,
        "top": [
            {"item_id": ids[i], "score": float(scores[i])}
            for i in np.argsort(-scores)[:20].tolist()
            if flagged[i]
        ],
    }


@transaction.atomic
def outlier_scores_store(
    *, project: Project, item_ids: Sequence[int], scores: NDArray[np.float64], flagged: NDArray[np.bool_]
) -> None:
    now = timezone.now()
    ItemHealth.objects.bulk_create(
        [
            ItemHealth(item_id=pk, project=project, outlier_score=float(s), is_outlier=bool(f), scored_at=now)
            for pk, s, f in zip(item_ids, scores.tolist(), flagged.tolist(), strict=True)
        ],
        batch_size=CHUNK,
        update_conflicts=True,
        unique_fields=["item"],
        update_fields=["outlier_score", "is_outlier", "scored_at"],
    )


@transaction.atomic
def outliers_place(
    *, project: Project, item_ids: list[int], placement: str, scored_ids: Sequence[int] = ()
) -> int:
    """Queue outliers first or last, or hold them for review (a quarantine).

    First and last are a priority shift stored per item (``ItemHealth.placement_shift``) and added to
    both priority columns now, and to every order a prioritisation run writes later (so a run keeps it).
    The other items scored with them (``scored_ids``) lose any shift they had. Returns items placed.
    """
    from annotation_qc.prioritization.services.priorities import shift_priorities

    if placement == "review":
        if not item_ids:
            return 0
        return quarantine_items(
            project_id=project.pk,
            reasons={pk: [{"check": "outlier", "reason": "isolation-forest outlier"}] for pk in item_ids},
        )
    shift = placement_shift(placement)
    flagged = set(
        Item.objects.filter(pk__in=item_ids, project=project, is_gold=False).values_list("pk", flat=True)
    )
    ids = sorted(set(scored_ids) | flagged)
    if not ids:
        return 0
    old = dict(ItemHealth.objects.filter(item_id__in=ids).values_list("item_id", "placement_shift"))
    new = {pk: (shift if pk in flagged else 0.0) for pk in ids}
    changed = [pk for pk in ids if new[pk] != old.get(pk, 0.0)]
    ItemHealth.objects.bulk_create(
        [ItemHealth(item_id=pk, project=project, placement_shift=new[pk]) for pk in changed],
        batch_size=CHUNK,
        update_conflicts=True,
        unique_fields=["item"],
        update_fields=["placement_shift"],
    )
    shift_priorities(
        np.array(changed, dtype=np.int64), np.array([new[pk] - old.get(pk, 0.0) for pk in changed])
    )
    return len(flagged) if shift else 0


def _alert(project: Project) -> None:
    from annotation_qc.alerts.services.checks import alerts_check

    try:
        alerts_check(project=project)
    except Exception:  # the report is stored; beat checks the rules again within five minutes
        logger.exception("alert check after drift of project %s failed", project.pk)
