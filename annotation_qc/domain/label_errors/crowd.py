"""Consensus and annotator quality for items labelled by several annotators, combining the
annotators with a model (after CROWDLAB, Goh, Tkachenko and Mueller, 2022).

Input: ``labels`` ``(n, m)`` class columns, ``-1`` where annotator ``j`` did not label item ``i``;
optional model probabilities ``(n, k)`` (out-of-fold).

1. Initial consensus: majority vote per item, ties broken by the model's probabilities.
2. Weights against that consensus, relative to the baseline of always answering the most common
   class (agreement ``P``): annotator ``j`` gets ``1 - (1 - A_j) / (1 - P)`` from its agreement
   ``A_j`` with the others' consensus on the items it shares with them, the model the same from
   its accuracy on the multi-annotated items (both floored at a small positive weight).
3. Each item's posterior: the weighted mean of the model's probabilities and, per annotator who
   labelled it, the likelihood of that answer (the mean annotator agreement on the given class, the
   rest spread evenly over the other classes).
4. Consensus = the posterior's argmax, its quality the posterior there; an annotator's quality is
   the mean of (the posterior of each of its labels) and (its agreement with the final consensus).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from annotation_qc.domain.label_errors.classification import FloatArray, IntArray, LabelErrorInputError

MIN_WEIGHT = 1e-3


@dataclass(frozen=True)
class CrowdResult:
    consensus: IntArray  # (n,)
    consensus_quality: FloatArray  # (n,)
    posterior: FloatArray  # (n, k)
    #: Per (item, annotator) the posterior of the label given, NaN where no label.
    label_quality: FloatArray  # (n, m)
    annotator_agreement: FloatArray  # (m,), NaN for an annotator who shares no item
    annotator_quality: FloatArray  # (m,), NaN for an annotator with no label
    annotator_weight: FloatArray  # (m,)
    model_weight: float


def crowd_consensus(
    labels: ArrayLike, pred_probs: ArrayLike | None = None, *, n_classes: int | None = None
) -> CrowdResult:
    matrix = np.asarray(labels, dtype=np.int64)
    if matrix.ndim != 2:
        raise LabelErrorInputError(f"labels must be items x annotators, got shape {matrix.shape}")
    n, m = matrix.shape
    observed = matrix >= 0
    if n == 0 or not observed.any(axis=1).all():
        raise LabelErrorInputError("every item needs at least one annotator's label")
    proba: FloatArray | None = None
    if pred_probs is not None:
        proba = np.asarray(pred_probs, dtype=np.float64)
        if proba.shape[0] != n or proba.ndim != 2:
            raise LabelErrorInputError(f"probabilities must be ({n}, k), got {proba.shape}")
    k = int(n_classes or (proba.shape[1] if proba is not None else matrix.max() + 1))
    if matrix.max() >= k:
        raise LabelErrorInputError(f"labels must be class columns in [0, {k})")
    if k < 2:
        raise LabelErrorInputError("consensus needs at least two classes")
    rows, cols = np.nonzero(observed)
    given = matrix[rows, cols]

    votes = np.zeros((n, k), dtype=np.float64)
    np.add.at(votes, (rows, given), 1.0)
    tie_break = proba if proba is not None else np.zeros((n, k))
    initial = (votes + 1e-3 * tie_break).argmax(axis=1)

    counts = observed.sum(axis=1)
    shared = counts[rows] >= 2
    # Agreement of each label with the others' majority (the label itself left out of the vote).
    others = votes[rows] - np.eye(k)[given]
    others_best = (others + 1e-3 * tie_break[rows]).argmax(axis=1)
    agrees = (others_best == given).astype(np.float64)
    annotator_agreement = _per_annotator(agrees[shared], cols[shared], m)
    label_share = np.bincount(initial, minlength=k) / n
    baseline = float(min(label_share.max(), 1.0 - 1e-6))
    mean_agreement = float(agrees[shared].mean()) if shared.any() else 1.0 - 1e-6
    mean_agreement = min(max(mean_agreement, 1.0 / k + 1e-6), 1.0 - 1e-6)

    annotator_weight = np.nan_to_num(
        1.0 - (1.0 - annotator_agreement) / (1.0 - baseline), nan=MIN_WEIGHT
    ).clip(MIN_WEIGHT, None)
    model_weight = 0.0
    multi = counts >= 2
    if proba is not None:
        reference = multi if multi.any() else np.ones(n, dtype=bool)
        model_accuracy = float((proba[reference].argmax(axis=1) == initial[reference]).mean())
        model_weight = max(1.0 - (1.0 - model_accuracy) / (1.0 - baseline), MIN_WEIGHT)

    posterior = np.zeros((n, k), dtype=np.float64)
    if proba is not None:
        posterior += model_weight * proba
    off = (1.0 - mean_agreement) / (k - 1)
    weights = annotator_weight[cols]
    posterior += np.bincount(rows, weights=weights * off, minlength=n)[:, None]
    np.add.at(posterior, (rows, given), weights * (mean_agreement - off))
    posterior /= posterior.sum(axis=1, keepdims=True)

    consensus = posterior.argmax(axis=1).astype(np.int64)
    consensus_quality = posterior[np.arange(n), consensus]
    label_quality = np.full((n, m), np.nan)
    label_quality[rows, cols] = posterior[rows, given]
    final_agreement = _per_annotator((consensus[rows] == given).astype(np.float64), cols, m)
    mean_label_quality = _per_annotator(posterior[rows, given], cols, m)
    return CrowdResult(
        consensus=consensus,
        consensus_quality=np.asarray(consensus_quality, dtype=np.float64),
        posterior=posterior,
        label_quality=label_quality,
        annotator_agreement=annotator_agreement,
        annotator_quality=(mean_label_quality + final_agreement) / 2.0,
        annotator_weight=np.asarray(annotator_weight, dtype=np.float64),
        model_weight=float(model_weight),
    )


def _per_annotator(values: FloatArray, annotators: IntArray, m: int) -> FloatArray:
    totals = np.bincount(annotators, weights=values, minlength=m)
    counts = np.bincount(annotators, minlength=m).astype(np.float64)
    result: FloatArray = np.divide(totals, counts, out=np.full(m, np.nan), where=counts > 0)
    return result
