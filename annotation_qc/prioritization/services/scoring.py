"""What a run scores with, decided once per run (``plan``), and the scoring of one id range."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from annotation_qc.datahealth.selectors import priority_adjustments
from annotation_qc.domain.active_learning import (
    Committee,
    diverse_top_k,
    get_strategy,
    promote_to_front,
    resolve_strategy,
    score_chunk,
    score_items,
    train_committee,
)
from annotation_qc.domain.active_learning.detection import box_scores_from_payloads
from annotation_qc.domain.data_health.queue import compose_priority
from annotation_qc.labeling.models import Item
from annotation_qc.prioritization.models import PriorityRun
from annotation_qc.prioritization.services.data import (
    committee_versions,
    predictions_in_range,
    single_version,
    training_set,
    unlabeled_features,
)
from annotation_qc.prioritization.services.priorities import write_priorities
from annotation_qc.projects.models import Project

#: Items a strategy has no input for (no features, no prediction) go to the back of the queue.
UNSCORED = -1e18  # below any real score, including import order (-id)
COMMITTEE_MEMBERS = 5
NO_INPUT = "the project has no features or predictions for this strategy: the queue stays in import order"


@dataclass(frozen=True)
class Plan:
    """What a run scores with: the strategy applied (``import_order`` when the requested one has
    no input), the model version recorded with the queue, and the trained committee if any."""

    used_strategy: str
    model_version: str
    labels_used: int = 0
    fallback_reason: str = ""
    committee: Committee | None = None
    versions: tuple[str, ...] = ()


def _digest(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:12]


def _import_order(reason: str) -> Plan:
    return Plan(used_strategy="import_order", model_version="import_order", fallback_reason=reason)


def _single(project: Project, field: str, strategy: str) -> Plan:
    """A plan over the current (else newest) version's ``field``, or an import-order fallback."""
    name, reason = single_version(project=project, field=field)
    if name is None:
        return _import_order(reason or NO_INPUT)
    return Plan(strategy, f"predictions:{name}", versions=(name,))


def plan(*, project: Project, strategy: str) -> Plan:
    spec = get_strategy(strategy)
    if spec.needs == "positions":
        return Plan(used_strategy=strategy, model_version=strategy)
    if spec.needs == "box_scores":
        return _single(project, "scores", strategy)
    if spec.needs == "box_predictions":
        return _committee(project, "payload", strategy)
    # Class-probability strategies: a committee trained on the project's features, or else the
    # class probabilities uploaded with predictions.
    if project.feature_dim:
        features, labels = training_set(project=project)
        committee = train_committee(
            features,
            labels,
            n_members=COMMITTEE_MEMBERS,
            seed=project.pk,
            classes=np.arange(len(project.labels)),
        )
        choice = resolve_strategy(committee, strategy)
        digest = _digest(features.tobytes(), labels.tobytes())
        version = f"committee:{COMMITTEE_MEMBERS}x:{len(labels)}-labels:{digest}"
        return Plan(
            used_strategy=choice.used,
            model_version=version,
            labels_used=len(labels),
            fallback_reason=choice.message or "",
            committee=committee,
        )
    if spec.needs == "committee_proba":
        return _committee(project, "proba", strategy)
    return _single(project, "proba", strategy)


def _committee(project: Project, field: str, strategy: str) -> Plan:
    versions, note = committee_versions(project=project, field=field, strategy=strategy)
    if not versions:
        return _import_order(note)
    return Plan(strategy, "predictions:" + ",".join(versions), fallback_reason=note, versions=tuple(versions))


def score_range(
    *, project: Project, run: PriorityRun, committee: Committee | None, lo: int, hi: int
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The queue priority of the open items with ids in [lo, hi): the strategy's scores with data
    health's adjustments (coverage boost, outlier placement) added, so a run keeps them."""
    ids, scores = _strategy_scores(project=project, run=run, committee=committee, lo=lo, hi=hi)
    return ids, compose_priority(scores, priority_adjustments(item_ids=ids))


def _strategy_scores(
    *, project: Project, run: PriorityRun, committee: Committee | None, lo: int, hi: int
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The strategy's scores of the open items with ids in [lo, hi)."""
    strategy, versions = run.strategy, tuple(run.prediction_versions)
    spec = get_strategy(strategy)
    if committee is None and get_strategy(run.used_strategy).needs == "positions":
        ids = _open_ids(project, lo, hi)
        return ids, score_items(run.used_strategy, positions=ids, seed=run.pk)
    if committee is not None:
        ids, features = unlabeled_features(project=project, lo=lo, hi=hi)
        scores = (
            score_chunk(committee, features, strategy, positions=ids, seed=run.pk)
            if len(ids)
            else np.zeros(0)
        )
        return _with_unscored(_open_ids(project, lo, hi), ids, scores)
    field = (
        "scores"
        if spec.needs == "box_scores"
        else ("payload" if spec.needs == "box_predictions" else "proba")
    )
    ids, per_version = predictions_in_range(
        project=project, lo=lo, hi=hi, versions=list(versions), field=field
    )
    if spec.needs == "box_scores":
        latest = per_version[versions[-1]]
        have = np.array([i for i in ids.tolist() if i in latest], dtype=np.int64)
        payloads = [{"boxes": _scored_boxes(*latest[i])} for i in have.tolist()]
        scores = (
            score_items(strategy, box_scores=box_scores_from_payloads(payloads)) if len(have) else np.zeros(0)
        )
        return _with_unscored(ids, have, scores)
    complete = [i for i in ids.tolist() if all(i in per_version[v] for v in versions)]
    have = np.array(complete, dtype=np.int64)
    if not len(have):
        return _with_unscored(ids, have, np.zeros(0))
    if spec.needs == "box_predictions":
        predictions = [[per_version[v][i][0] for i in complete] for v in versions]
        return _with_unscored(ids, have, score_items(strategy, box_predictions=predictions))
    stacked = np.array([[per_version[v][i][1] for i in complete] for v in versions], dtype=np.float64)
    if spec.needs == "committee_proba":
        return _with_unscored(ids, have, score_items(strategy, committee_proba=stacked))
    return _with_unscored(ids, have, score_items(strategy, proba=stacked[-1]))


def _scored_boxes(payload: dict[str, Any], scores: list[float]) -> list[dict[str, Any]]:
    return [{**box, "score": score} for box, score in zip(payload.get("boxes", []), scores, strict=True)]


def _open_ids(project: Project, lo: int, hi: int) -> NDArray[np.int64]:
    return np.fromiter(
        Item.objects.filter(project=project, pk__gte=lo, pk__lt=hi, open_slots__gt=0)
        .order_by("pk")
        .values_list("pk", flat=True),
        dtype=np.int64,
    )


def _with_unscored(
    all_ids: NDArray[np.int64], scored_ids: NDArray[np.int64], scores: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Every open item of the range, those without a score at :data:`UNSCORED`."""
    result = np.full(len(all_ids), UNSCORED, dtype=np.float64)
    result[np.searchsorted(all_ids, scored_ids)] = scores
    return all_ids, result


def boost_diverse_batch(*, run: PriorityRun) -> None:
    """Move a batch of ``diversity_k`` high-scoring, mutually distinct items to the front of the
    run's (standby) order."""
    project = Project.objects.get(pk=run.project_id)
    if not project.feature_dim:
        return
    k = run.diversity_k
    field = project.standby_priority_field
    top = list(
        Item.objects.filter(project=project, open_slots__gt=0)
        .order_by(f"-{field}", "pk")
        .values_list("pk", field)[: k * 5]
    )
    if len(top) <= k:
        return
    ids = np.array([i for i, _ in top], dtype=np.int64)
    scores = np.array([s for _, s in top], dtype=np.float64)
    feature_ids, rows = unlabeled_features(
        project=project, lo=int(ids.min()), hi=int(ids.max()) + 1, only=ids
    )
    order = np.searchsorted(feature_ids, ids)
    rows = rows[order]
    batch = diverse_top_k(scores, rows, k, seed=run.pk)
    boosted = promote_to_front(scores, batch)
    write_priorities(field, ids[batch], boosted[batch])
