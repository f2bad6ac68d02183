"""Confident learning for classification labels (Northcutt, Jiang and Chuang, JAIR 2021).

Input: each item's given label (a class column, ``(n,)`` ints) and out-of-fold class
probabilities ``(n, k)`` (each row predicted by a model that never saw that item's label).

1. Per-class thresholds ``t_j``: the mean probability of class ``j`` over the items labelled ``j``
   (the model's expected self-confidence for that class).
2. The confident joint ``C[i, j]``: items labelled ``i`` whose probability of class ``j`` reaches
   ``t_j``, counted under the most probable such ``j``; calibrated so that row ``i`` sums to the
   number of items labelled ``i`` and the whole to ``n``. Divided by ``n`` it estimates the joint
   distribution of given and true labels, off-diagonal mass being the noise rate.
3. Prune by noise rate: for every off-diagonal cell ``(i, j)`` the ``round(n * Q[i, j])`` items
   labelled ``i`` with the largest margin ``p_j - p_i`` are flagged as label errors.
4. Rank the flagged items by a label-quality score: self-confidence ``p[label]`` or the normalised
   margin ``(p[label] - max_{j != label} p_j + 1) / 2`` (lower = more likely wrong).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: Fewer labelled items than this and no detection is attempted.
MIN_ITEMS = 10


class Ranking(StrEnum):
    SELF_CONFIDENCE = "self_confidence"
    NORMALIZED_MARGIN = "normalized_margin"


class LabelErrorInputError(ValueError):
    """Inputs that cannot be scored (bad shapes, too few items, a single class)."""


@dataclass(frozen=True)
class ConfidentLearningResult:
    """Per item: whether it is flagged, its label quality (lower = worse) and the model's best class."""

    is_issue: BoolArray
    quality: FloatArray
    predicted: IntArray
    predicted_proba: FloatArray
    given_proba: FloatArray
    confident_joint: FloatArray  # calibrated, (k, k), rows = given label
    thresholds: FloatArray

    @property
    def noise_rate(self) -> float:
        total = float(self.confident_joint.sum())
        if total <= 0:
            return 0.0
        return float(1.0 - np.trace(self.confident_joint) / total)

    def ranked_issues(self) -> IntArray:
        """Indices of the flagged items, most suspicious first (lowest quality, ties by index)."""
        flagged = np.flatnonzero(self.is_issue)
        order = np.lexsort((flagged, self.quality[flagged]))
        return np.asarray(flagged[order], dtype=np.int64)


def check_inputs(labels: ArrayLike, pred_probs: ArrayLike) -> tuple[IntArray, FloatArray]:
    """Validate ``labels`` (n,) class columns and ``pred_probs`` (n, k); raise with a clear reason."""
    proba = np.asarray(pred_probs, dtype=np.float64)
    given = np.asarray(labels)
    if proba.ndim != 2 or proba.shape[1] < 1:
        raise LabelErrorInputError(f"probabilities must be items x classes, got shape {proba.shape}")
    if given.ndim != 1 or given.shape[0] != proba.shape[0]:
        raise LabelErrorInputError(
            f"need one label per probability row ({proba.shape[0]}), got shape {given.shape}"
        )
    if not np.all(np.isfinite(proba)):
        raise LabelErrorInputError("probabilities must be finite")
    if given.size and (given.min() < 0 or given.max() >= proba.shape[1]):
        raise LabelErrorInputError(f"labels must be class columns in [0, {proba.shape[1]})")
    if proba.shape[0] < MIN_ITEMS:
        raise LabelErrorInputError(
            f"only {proba.shape[0]} labelled items, label-error detection needs at least {MIN_ITEMS}"
        )
    if len(np.unique(given)) < 2:
        raise LabelErrorInputError("every labelled item has the same class: nothing to compare against")
    proba = np.clip(proba, 0.0, 1.0)
    sums = proba.sum(axis=1, keepdims=True)
    proba = np.divide(proba, sums, out=np.full_like(proba, 1.0 / proba.shape[1]), where=sums > 0)
    return given.astype(np.int64), proba


def per_class_thresholds(labels: IntArray, proba: FloatArray) -> FloatArray:
    """Mean self-confidence per class; a class nobody labelled gets threshold 1 (never confident)."""
    k = proba.shape[1]
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    sums = np.zeros(k, dtype=np.float64)
    np.add.at(sums, labels, proba[np.arange(len(labels)), labels])
    thresholds = np.ones(k, dtype=np.float64)
    np.divide(sums, counts, out=thresholds, where=counts > 0)
    return thresholds


def confident_joint(labels: IntArray, proba: FloatArray, thresholds: FloatArray) -> FloatArray:
    """The calibrated confident joint ``(k, k)``: rows are given labels, columns true labels."""
    k = proba.shape[1]
    # An exact float tie with the threshold counts as confident (cleanlab subtracts 1e-6 too).
    above = proba >= thresholds[None, :] - 1e-6
    masked = np.where(above, proba, -1.0)
    confident_class = masked.argmax(axis=1)
    has_confident = above.any(axis=1)
    joint = np.zeros((k, k), dtype=np.float64)
    np.add.at(joint, (labels[has_confident], confident_class[has_confident]), 1.0)
    # Calibrate: each row sums to the number of items given that label, the whole to n.
    label_counts = np.bincount(labels, minlength=k).astype(np.float64)
    row_sums = joint.sum(axis=1)
    empty_rows = (row_sums == 0) & (label_counts > 0)
    joint[empty_rows, empty_rows.nonzero()[0]] = 1.0  # no evidence: assume those labels right
    row_sums = joint.sum(axis=1)
    scale = np.divide(label_counts, row_sums, out=np.zeros(k), where=row_sums > 0)
    calibrated: FloatArray = joint * scale[:, None]
    return calibrated


def label_quality(labels: IntArray, proba: FloatArray, ranking: Ranking) -> FloatArray:
    """Per item label quality in [0, 1], lower = more likely mislabelled."""
    rows = np.arange(len(labels))
    self_confidence = proba[rows, labels]
    if ranking is Ranking.SELF_CONFIDENCE:
        return np.asarray(self_confidence, dtype=np.float64)
    others = proba.copy()
    others[rows, labels] = -np.inf
    best_other = others.max(axis=1) if proba.shape[1] > 1 else np.zeros(len(labels))
    return np.asarray((self_confidence - best_other + 1.0) / 2.0, dtype=np.float64)


def prune_by_noise_rate(labels: IntArray, proba: FloatArray, joint: FloatArray) -> BoolArray:
    """Flag, for each off-diagonal cell ``(i, j)``, the ``round(n Q[i, j])`` items labelled ``i``
    with the largest margin ``p_j - p_i`` (and at least one: p_j above p_i)."""
    n, k = proba.shape
    flagged = np.zeros(n, dtype=bool)
    rows = np.arange(n)
    given_p = proba[rows, labels]
    total = joint.sum()
    counts = np.rint(joint / total * n).astype(np.int64) if total > 0 else np.zeros((k, k), np.int64)
    np.fill_diagonal(counts, 0)
    # A loop over class pairs (k^2 cells, each vectorised over its items), not over items.
    for given_class, true_class in zip(*np.nonzero(counts), strict=True):
        members = np.flatnonzero(labels == given_class)
        margin = proba[members, true_class] - given_p[members]
        take = min(int(counts[given_class, true_class]), len(members))
        if take <= 0:
            continue
        top = members[np.argsort(-margin, kind="stable")[:take]]
        top = top[proba[top, true_class] > given_p[top]]
        flagged[top] = True
    return flagged


def find_label_issues(
    labels: ArrayLike,
    pred_probs: ArrayLike,
    *,
    ranking: Ranking | str = Ranking.NORMALIZED_MARGIN,
) -> ConfidentLearningResult:
    """Confident learning on out-of-fold probabilities: flagged items and their label quality."""
    given, proba = check_inputs(labels, pred_probs)
    ranking = Ranking(ranking)
    thresholds = per_class_thresholds(given, proba)
    joint = confident_joint(given, proba, thresholds)
    is_issue = prune_by_noise_rate(given, proba, joint)
    predicted = proba.argmax(axis=1).astype(np.int64)
    rows = np.arange(len(given))
    return ConfidentLearningResult(
        is_issue=is_issue,
        quality=label_quality(given, proba, ranking),
        predicted=predicted,
        predicted_proba=proba[rows, predicted],
        given_proba=proba[rows, given],
        confident_joint=joint,
        thresholds=thresholds,
    )


def describe(given: str, predicted: str, predicted_proba: float) -> str:
    """A human reason: ``labelled cat, model 0.97 dog``."""
    return f"labelled {given}, model {predicted_proba:.2f} {predicted}"
