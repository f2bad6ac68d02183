"""Consensus labels and boxes, and the dynamic-overlap decision.

Skill model: the one-coin Dawid-Skene model. Annotator ``j`` gives the true label with
probability ``a_j`` and each of the ``L - 1`` other labels with probability
``(1 - a_j) / (L - 1)``. ``a_j`` is the smoothed benchmark accuracy
``(K + correct) / (2K + total)`` (``K = 2``: an annotator with no record sits at 0.5). Under a
uniform prior, the posterior of label ``l`` given the votes is proportional to
``exp(sum of w_j over the annotators who voted l)`` with the log-odds weight
``w_j = log(a_j (L - 1) / (1 - a_j))``. So a weighted vote with those weights *is* the
posterior mode, and a skilled minority can outvote an unskilled majority.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from annotation_qc.domain.agreement._arrays import FloatArray, IntArray, as_index_array
from annotation_qc.domain.agreement.box_matching import (
    BoxAnnotationInput,
    BoxAnnotationTable,
    match_annotation_pairs,
)
from annotation_qc.domain.agreement.boxes import BoxClusters, annotation_pairs, cluster_boxes, cluster_support

#: Strength ``K`` of the Beta(K, K) prior behind the smoothed accuracy.
PRIOR_STRENGTH = 2.0


def smoothed_accuracy(correct: float, total: float, *, prior_strength: float = PRIOR_STRENGTH) -> float:
    """``(K + correct) / (2K + total)``: benchmark accuracy shrunk towards 0.5."""
    if total < 0 or not 0 <= correct <= total:
        raise ValueError("need 0 <= correct <= total")
    if prior_strength <= 0:
        raise ValueError("prior_strength must be positive")
    return (prior_strength + correct) / (2.0 * prior_strength + total)


def accuracy_weight(accuracy: float, *, n_labels: int) -> float:
    """Log-odds vote weight ``log(a (L - 1) / (1 - a))`` of an annotator with accuracy ``a``."""
    if not 0.0 < accuracy < 1.0:
        raise ValueError(f"accuracy must lie strictly between 0 and 1, got {accuracy}")
    if n_labels < 2:
        raise ValueError("n_labels must be at least 2")
    return math.log(accuracy * (n_labels - 1) / (1.0 - accuracy))


def skill_weight(
    correct: float, total: float, *, n_labels: int, prior_strength: float = PRIOR_STRENGTH
) -> float:
    """Vote weight from a benchmark record (``correct`` out of ``total``)."""
    return accuracy_weight(
        smoothed_accuracy(correct, total, prior_strength=prior_strength), n_labels=n_labels
    )


# ---------------------------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------------------------


def _check_labels(labels: ArrayLike, n_labels: int) -> IntArray:
    codes = as_index_array(labels, "labels")
    if n_labels < 2:
        raise ValueError("n_labels must be at least 2")
    if len(codes) and (codes.min() < 0 or codes.max() >= n_labels):
        raise ValueError(f"label codes must lie in [0, {n_labels})")
    return codes


def label_posterior(labels: ArrayLike, accuracies: Sequence[float | None], *, n_labels: int) -> FloatArray:
    """Posterior over the true label (length ``n_labels``) under the one-coin model.

    ``accuracies[j]`` is annotator j's (smoothed) accuracy; None stands for no record and takes
    the prior's 0.5. The prior over labels is uniform.
    """
    codes = _check_labels(labels, n_labels)
    if len(accuracies) != len(codes):
        raise ValueError("give one accuracy (or None) per label")
    default = smoothed_accuracy(0, 0)
    weights = np.array([accuracy_weight(default if a is None else a, n_labels=n_labels) for a in accuracies])
    log_odds = np.bincount(codes, weights=weights, minlength=n_labels) if len(codes) else np.zeros(n_labels)
    shifted = np.exp(log_odds - log_odds.max())
    posterior: FloatArray = shifted / shifted.sum()
    return posterior


def classification_consensus(
    labels_per_annotator: ArrayLike,
    weights: Sequence[float | None] | None = None,
    *,
    n_labels: int,
    default_weight: float | None = None,
) -> tuple[int, float]:
    """Consensus label of one item and its posterior.

    ``weights`` are log-odds skill weights (:func:`skill_weight`), None where unknown. Unknown
    annotators get ``default_weight``, else the mean of the known weights. With no known weight
    at all it is a plain majority vote and the second value is the winning vote share (there is
    no skill to turn votes into a probability). Ties go to the smallest label code.
    """
    codes = _check_labels(labels_per_annotator, n_labels)
    if len(codes) == 0:
        raise ValueError("no labels to vote on")
    known = [w for w in weights or [] if w is not None]
    if weights is not None and len(weights) != len(codes):
        raise ValueError("give one weight (or None) per label")
    if weights is None or (not known and default_weight is None):
        votes = np.bincount(codes, minlength=n_labels)
        label = int(np.argmax(votes))
        return label, float(votes[label]) / len(codes)
    fill = default_weight if default_weight is not None else float(np.mean(known))
    vector = np.array([fill if w is None else w for w in weights], dtype=np.float64)
    log_odds = np.bincount(codes, weights=vector, minlength=n_labels)
    shifted = np.exp(log_odds - log_odds.max())
    posterior = shifted / shifted.sum()
    label = int(np.argmax(posterior))
    return label, float(posterior[label])


@dataclass(frozen=True)
class ConsensusLabels:
    """Consensus of many items: ``item`` ids (sorted), ``label`` codes and their ``posterior``."""

    item: IntArray
    label: IntArray
    posterior: FloatArray


def consensus_labels(
    item: ArrayLike,
    annotator: ArrayLike,
    label: ArrayLike,
    *,
    n_labels: int,
    annotator_weights: Mapping[int, float] | None = None,
) -> ConsensusLabels:
    """:func:`classification_consensus` for every item at once (long-format input).

    Annotators missing from ``annotator_weights`` get the mean of the known weights; with no
    weights at all each item gets its majority label and vote share.
    """
    items = as_index_array(item, "item")
    annotators = as_index_array(annotator, "annotator")
    codes = _check_labels(label, n_labels)
    if not len(items) == len(annotators) == len(codes):
        raise ValueError("item, annotator and label must have the same length")
    item_ids, item_index = np.unique(items, return_inverse=True)
    n_items = len(item_ids)
    known = annotator_weights or {}
    if known:
        fill = float(np.mean(list(known.values())))
        ids, inverse = np.unique(annotators, return_inverse=True)
        vote = np.array([known.get(int(a), fill) for a in ids.tolist()], dtype=np.float64)[inverse]
    else:
        vote = np.ones(len(codes))
    scores = np.bincount(item_index * n_labels + codes, weights=vote, minlength=n_items * n_labels)
    scores = scores.reshape(n_items, n_labels)
    winner = np.argmax(scores, axis=1)
    if known:
        shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
        posterior = shifted[np.arange(n_items), winner] / shifted.sum(axis=1)
    else:
        posterior = scores[np.arange(n_items), winner] / np.bincount(item_index, minlength=n_items)
    return ConsensusLabels(item_ids.astype(np.int64), winner.astype(np.int64), posterior.astype(np.float64))


@dataclass(frozen=True)
class ItemConsensus:
    """Per item (``item`` ids sorted): the consensus label code, its posterior (the winning vote share
    when no annotator of the item has a skill record), whether it was weighted by skill, and whether
    the item should go to one more annotator instead (then the label is not to be kept)."""

    item: IntArray
    label: IntArray
    posterior: FloatArray
    weighted: Any
    needs_another: Any


def consensus_of_items(
    item: ArrayLike,
    label: ArrayLike,
    accuracy: ArrayLike,
    *,
    n_labels: int,
    target_posterior: float,
    max_annotations: int,
) -> ItemConsensus:
    """:func:`classification_consensus` and :func:`needs_another_annotation` for many items at once, with
    the per-item rules of a consensus update: ``accuracy`` is each answer's annotator's smoothed accuracy
    (NaN: no record). Within an item, an unknown annotator votes with the mean log-odds weight of the
    item's known ones and counts at their mean accuracy for the dynamic-overlap decision; an item with
    no known annotator is settled by majority (ties: the smallest code) at its planned overlap.
    """
    if not 0.0 < target_posterior <= 1.0:
        raise ValueError("target_posterior must be in (0, 1]")
    items = as_index_array(item, "item")
    codes = _check_labels(label, n_labels)
    accuracies = np.asarray(accuracy, dtype=np.float64)
    if not len(items) == len(codes) == len(accuracies):
        raise ValueError("item, label and accuracy must have the same length")
    known_rows = np.isfinite(accuracies)
    if np.any((accuracies[known_rows] <= 0.0) | (accuracies[known_rows] >= 1.0)):
        raise ValueError("accuracies must lie strictly between 0 and 1")
    item_ids, index = np.unique(items, return_inverse=True)
    n_items = len(item_ids)
    safe = np.where(known_rows, accuracies, 0.5)
    weight = np.log(safe * (n_labels - 1) / (1.0 - safe))
    known_count = np.bincount(index, weights=known_rows, minlength=n_items)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_weight = (
            np.bincount(index, weights=np.where(known_rows, weight, 0.0), minlength=n_items) / known_count
        )
        mean_accuracy = (
            np.bincount(index, weights=np.where(known_rows, safe, 0.0), minlength=n_items) / known_count
        )
    weighted = known_count > 0
    vote = np.where(known_rows, weight, mean_weight[index])
    vote = np.where(weighted[index], vote, 1.0)
    scores = np.bincount(index * n_labels + codes, weights=vote, minlength=n_items * n_labels).reshape(
        n_items, n_labels
    )
    winner = np.argmax(scores, axis=1)
    rows = np.arange(n_items)
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    counts = np.bincount(index, minlength=n_items)
    posterior = np.where(weighted, shifted[rows, winner] / shifted.sum(axis=1), scores[rows, winner] / counts)
    # The dynamic-overlap decision: the leading label's posterior with unknown annotators at the item's
    # mean known accuracy (the vote above fills with the mean weight instead, as a single update does).
    filled = np.where(known_rows, safe, mean_accuracy[index])
    filled = np.where(weighted[index], filled, 0.5)
    odds = np.log(filled * (n_labels - 1) / (1.0 - filled))
    doubt = np.bincount(index * n_labels + codes, weights=odds, minlength=n_items * n_labels).reshape(
        n_items, n_labels
    )
    doubt_shifted = np.exp(doubt - doubt.max(axis=1, keepdims=True))
    leading = doubt_shifted.max(axis=1) / doubt_shifted.sum(axis=1)
    needs_another = weighted & (counts < max_annotations) & (leading < target_posterior)
    return ItemConsensus(
        item_ids.astype(np.int64),
        winner.astype(np.int64),
        posterior.astype(np.float64),
        weighted,
        needs_another,
    )


def needs_another_annotation(
    labels: ArrayLike,
    accuracies: Sequence[float | None],
    *,
    target_posterior: float,
    n_labels: int,
    max_annotations: int,
) -> bool:
    """Should the item go to one more annotator?

    Yes while it has fewer than ``max_annotations`` annotations and the posterior of the
    leading label (:func:`label_posterior`) is below ``target_posterior``.
    """
    if not 0.0 < target_posterior <= 1.0:
        raise ValueError("target_posterior must be in (0, 1]")
    codes = _check_labels(labels, n_labels)
    if len(codes) >= max_annotations:
        return False
    if len(codes) == 0:
        return True
    return float(label_posterior(codes, accuracies, n_labels=n_labels).max()) < target_posterior


# ---------------------------------------------------------------------------------------------
# Boxes
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FusedBoxes:
    """Per cluster: fused box, label by weighted vote, that label's weight share, support, kept."""

    cluster_item: IntArray
    boxes: FloatArray
    label: IntArray
    label_share: FloatArray
    support: FloatArray
    kept: np.ndarray[tuple[int], np.dtype[np.bool_]]


def fuse_clusters(
    table: BoxAnnotationTable,
    clusters: BoxClusters,
    row_weight: FloatArray,
    *,
    n_labels: int,
    min_support: float = 0.5,
) -> FusedBoxes:
    """Fuse every cluster into one box (weighted mean of coordinates) with a weighted-vote label.

    A cluster is kept when the weight behind it exceeds ``min_support`` of the item's annotator
    weight (a strict majority by default). Weights must be non-negative.
    """
    weight = row_weight[clusters.member_row]
    n_clusters = clusters.n_clusters
    mass = np.bincount(clusters.member_cluster, weights=weight, minlength=n_clusters)
    size = np.bincount(clusters.member_cluster, minlength=n_clusters).astype(np.float64)
    # Clusters whose members all weigh zero fall back to an unweighted mean and vote.
    weightless = mass[clusters.member_cluster] <= 0
    effective = np.where(weightless, 1.0, weight)
    effective_mass = np.where(mass > 0, mass, size)
    member_boxes = table.boxes[clusters.member_box]
    fused = (
        np.stack(
            [
                np.bincount(
                    clusters.member_cluster, weights=effective * member_boxes[:, k], minlength=n_clusters
                )
                for k in range(4)
            ],
            axis=1,
        )
        / effective_mass[:, None]
    )
    votes = np.bincount(
        clusters.member_cluster * n_labels + table.labels[clusters.member_box],
        weights=effective,
        minlength=n_clusters * n_labels,
    ).reshape(n_clusters, n_labels)
    label = np.argmax(votes, axis=1)
    share = votes[np.arange(n_clusters), label] / effective_mass
    support = cluster_support(table, clusters, row_weight)
    return FusedBoxes(
        cluster_item=clusters.cluster_item,
        boxes=fused,
        label=label.astype(np.int64),
        label_share=share,
        support=support,
        kept=support > min_support,
    )


@dataclass(frozen=True)
class BoxConsensus:
    """Consensus boxes of one item, plus the support and label share of each, and the support of the
    objects dropped for want of a majority."""

    boxes: FloatArray
    labels: IntArray
    support: FloatArray
    label_share: FloatArray
    n_dropped: int
    dropped_support: FloatArray


def box_consensus(
    annotations: Sequence[BoxAnnotationInput],
    weights: Sequence[float | None] | None = None,
    *,
    n_labels: int,
    min_iou: float = 0.5,
    min_support: float = 0.5,
) -> BoxConsensus:
    """One fused box per object an annotator majority (by weight) agrees on.

    ``weights`` follow ``annotations``; negative weights count as 0, unknown (None) ones as the
    mean of the known, and with none known every annotator weighs 1.
    """
    table = BoxAnnotationTable.from_items([annotations])
    if len(table.labels) and table.labels.max() >= n_labels:
        raise ValueError(f"label codes must lie in [0, {n_labels})")
    if len(table.item) == 1:  # a single annotation is its own consensus
        n = len(table.boxes)
        return BoxConsensus(table.boxes, table.labels, np.ones(n), np.ones(n), 0, np.zeros(0))
    first, second = annotation_pairs(table)
    matches = match_annotation_pairs(table, first, second, n_labels=n_labels, min_iou=min_iou)
    clusters = cluster_boxes(table, matches, min_iou=min_iou)
    by_annotator = dict(
        zip(
            (int(a) for a, _, _ in annotations),
            box_vote_weights(weights, len(annotations)).tolist(),
            strict=True,
        )
    )
    row_weight = np.array([by_annotator[int(a)] for a in table.annotator.tolist()], dtype=np.float64)
    fused = fuse_clusters(table, clusters, row_weight, n_labels=n_labels, min_support=min_support)
    kept = fused.kept
    return BoxConsensus(
        boxes=fused.boxes[kept],
        labels=fused.label[kept],
        support=fused.support[kept],
        label_share=fused.label_share[kept],
        n_dropped=int((~kept).sum()),
        dropped_support=fused.support[~kept],
    )


#: An object (or a kept box's label) is contested while the weight for and against it is within this
#: margin of an even split: two annotators who disagree, or two against two.
BOX_TIE_MARGIN = 0.1


def box_needs_another_annotation(
    consensus: BoxConsensus, *, n_annotations: int, max_annotations: int, margin: float = BOX_TIE_MARGIN
) -> bool:
    """Should a bbox item go to one more annotator?

    Yes while it has fewer than ``max_annotations`` annotations and some object is near a tie: its
    support (weight of the annotators who drew it) within ``margin`` of one half, whether it was kept
    or dropped, or a kept box whose label won at most ``0.5 + margin`` of the vote. Two annotators
    who agree on everything settle the item; one box drawn by only one of them does not.
    """
    if not 0.0 <= margin < 0.5:
        raise ValueError("margin must be in [0, 0.5)")
    if n_annotations >= max_annotations:
        return False
    support = np.concatenate([consensus.support, consensus.dropped_support])
    near_tie = np.abs(support - 0.5) <= margin
    return bool(near_tie.any() or (consensus.label_share <= 0.5 + margin).any())


def box_vote_weights(weights: Sequence[float | None] | None, n: int) -> FloatArray:
    """Non-negative weights for box support and fusion from skill weights (None = unknown).

    Negative (worse than chance) weights count as 0, unknown ones as the mean of the known; with
    nothing known, or every weight 0, every annotator weighs 1.
    """
    if weights is None:
        return np.ones(n)
    if len(weights) != n:
        raise ValueError("give one weight (or None) per annotation")
    known = [max(w, 0.0) for w in weights if w is not None]
    if not known:
        return np.ones(n)
    fill = float(np.mean(known))
    result = np.array([fill if w is None else max(w, 0.0) for w in weights], dtype=np.float64)
    return result if result.sum() > 0 else np.ones(n)
