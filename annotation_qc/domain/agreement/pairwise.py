"""Agreement between pairs of annotators, of each annotator with the others, and per item.

All of it is computed from :class:`~annotation_qc.domain.agreement.coincidences.CoderPairs`
(every pair of codings of one unit) with bincounts, never a loop over pairs or annotators.

* Per pair of annotators, over the units both coded: observed agreement, Cohen's kappa (each
  annotator's own label shares as chance) and the two-coder nominal alpha (pooled shares).
* Per annotator: agreement with peers over all pairs the annotator is in, and
  ``alpha_with_peers = 1 - D_o(annotator) / D_e(project)``: the annotator's observed
  disagreement with peers against the project's expected (chance) disagreement, the same
  scale as the project alpha.
* Per item: ``1 - D_o(item) / D_e(project)``, defined on any item with a compared unit (an
  alpha of a single item would be undefined whenever the item holds one label).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from annotation_qc.domain.agreement._arrays import FloatArray, IntArray
from annotation_qc.domain.agreement.coincidences import CoderPairs


@dataclass(frozen=True)
class PairStatistics:
    """One entry per pair of annotators who share units; NaN marks an undefined coefficient."""

    coder_a: IntArray
    coder_b: IntArray
    n_shared: IntArray
    agreement: FloatArray
    kappa: FloatArray
    alpha: FloatArray


def _sparse_counts(group: IntArray, value: IntArray, n_values: int) -> tuple[IntArray, IntArray]:
    keys, counts = np.unique(group * n_values + value, return_counts=True)
    return keys, counts.astype(np.int64)


def pair_statistics(pairs: CoderPairs, *, n_coders: int, n_values: int) -> PairStatistics:
    keys, group = np.unique(pairs.coder_a * n_coders + pairs.coder_b, return_inverse=True)
    n_groups = len(keys)
    n = np.bincount(group, minlength=n_groups).astype(np.float64)
    agree = np.bincount(group, weights=(pairs.value_a == pairs.value_b), minlength=n_groups)
    # Label counts per (pair, label), kept sparse: products only where both annotators used a label.
    keys_a, counts_a = _sparse_counts(group, pairs.value_a, n_values)
    keys_b, counts_b = _sparse_counts(group, pairs.value_b, n_values)
    shared, in_a, in_b = np.intersect1d(keys_a, keys_b, assume_unique=True, return_indices=True)
    cross = np.bincount(
        shared // n_values, weights=counts_a[in_a] * counts_b[in_b].astype(np.float64), minlength=n_groups
    )
    squares_a = np.bincount(keys_a // n_values, weights=counts_a.astype(np.float64) ** 2, minlength=n_groups)
    squares_b = np.bincount(keys_b // n_values, weights=counts_b.astype(np.float64) ** 2, minlength=n_groups)
    observed = agree / n
    chance = cross / (n * n)
    kappa = np.full(n_groups, np.nan)
    ok = chance < 1.0
    kappa[ok] = (observed[ok] - chance[ok]) / (1.0 - chance[ok])
    # Two-coder alpha: 2n pooled values; expected disagreement from the pooled label totals.
    pooled = 2.0 * n
    pooled_squares = squares_a + squares_b + 2.0 * cross
    expected = (pooled * pooled - pooled_squares) / (pooled * (pooled - 1.0))
    alpha = np.full(n_groups, np.nan)
    ok = expected > 0
    alpha[ok] = 1.0 - (1.0 - observed[ok]) / expected[ok]
    return PairStatistics(
        coder_a=keys // n_coders,
        coder_b=keys % n_coders,
        n_shared=n.astype(np.int64),
        agreement=observed,
        kappa=kappa,
        alpha=alpha,
    )


def expected_disagreement(coincidence: FloatArray) -> float | None:
    """Nominal expected disagreement ``D_e`` of a coincidence matrix (None when it is zero)."""
    totals = coincidence.sum(axis=0)
    n = float(totals.sum())
    if n <= 1:
        return None
    value = (n * n - float((totals * totals).sum())) / (n * (n - 1.0))
    return value if value > 0 else None


@dataclass(frozen=True)
class CoderStatistics:
    """Per annotator (index = coder): comparisons with peers, agreement, alpha with peers (NaN if none)."""

    n_comparisons: IntArray
    agreement: FloatArray
    alpha_with_peers: FloatArray


def coder_statistics(pairs: CoderPairs, *, n_coders: int, expected: float | None) -> CoderStatistics:
    coder = np.concatenate([pairs.coder_a, pairs.coder_b])
    weight = np.concatenate([pairs.weight, pairs.weight])
    agrees = np.concatenate([pairs.value_a == pairs.value_b] * 2)
    n_comparisons = np.bincount(coder, minlength=n_coders).astype(np.int64)
    total_weight = np.bincount(coder, weights=weight, minlength=n_coders)
    with np.errstate(divide="ignore", invalid="ignore"):
        agreement = np.bincount(coder, weights=agrees, minlength=n_coders) / n_comparisons
        disagreement = np.bincount(coder, weights=weight * ~agrees, minlength=n_coders) / total_weight
    alpha = np.full(n_coders, np.nan) if expected is None else 1.0 - disagreement / expected
    return CoderStatistics(n_comparisons, agreement.astype(np.float64), alpha.astype(np.float64))


def item_scores(
    pairs: CoderPairs, unit_item: IntArray, *, n_items: int, expected: float | None
) -> FloatArray:
    """``1 - D_o(item) / D_e(project)`` per item; NaN for items with nothing compared or no D_e."""
    item = unit_item[pairs.unit]
    total = np.bincount(item, weights=pairs.weight, minlength=n_items)
    disagree = np.bincount(item, weights=pairs.weight * (pairs.value_a != pairs.value_b), minlength=n_items)
    scores = np.full(n_items, np.nan)
    if expected is None:
        return scores
    compared = total > 0
    scores[compared] = 1.0 - disagree[compared] / total[compared] / expected
    return scores
