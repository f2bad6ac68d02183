"""Krippendorff's alpha from coincidence matrices, for project-sized data.

Alpha depends on the data only through the coincidence matrix ``o`` (values x values), and
``o`` is a sum over units, hence over items. So a project's alpha is computed from long-format
codings (one row per value an annotator gave a unit) without building the package's
units x values x values array, and a bootstrap over items only has to re-weight per-item
coincidence matrices (:mod:`annotation_qc.domain.agreement.bootstrap`).

The formulas follow Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": a unit
coded ``m_u >= 2`` times adds ``1 / (m_u - 1)`` to ``o[c, k]`` for every ordered pair of its
values ``(c, k)`` from different coders; ``n_c`` are the column sums, ``n`` their total and
``alpha = 1 - (n - 1) * sum(o * d) / sum(n_c n_k d)`` for the level's distance ``d``.
The tests check every level against the ``krippendorff`` package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from annotation_qc.domain.agreement._arrays import FloatArray, IntArray, as_index_array, pairs_within_groups
from annotation_qc.domain.agreement.coefficients import (
    NO_PAIRABLE_UNIT,
    SINGLE_VALUE,
    ZERO_EXPECTED,
    AlphaResult,
    Level,
    check_level,
)

# ---------------------------------------------------------------------------------------------
# Long-format codings
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Codings:
    """Long-format reliability data: one row per value a coder gave a unit, rows sorted by unit.

    ``unit``, ``coder`` and ``value`` are dense codes (``0..n-1``); ``unit_item`` maps every unit
    to its item (a classification item is one unit, a box item holds one unit per object).
    """

    unit: IntArray
    coder: IntArray
    value: IntArray
    unit_item: IntArray
    n_values: int
    n_coders: int
    n_items: int

    @property
    def n_units(self) -> int:
        return len(self.unit_item)


def make_codings(
    unit: ArrayLike,
    coder: ArrayLike,
    value: ArrayLike,
    *,
    n_values: int,
    unit_item: ArrayLike | None = None,
    n_coders: int | None = None,
    n_items: int | None = None,
) -> Codings:
    """Validate dense-coded triples and sort them by unit (then coder).

    Without ``unit_item`` every unit is its own item. A coder may give a unit one value only.
    """
    units = as_index_array(unit, "unit")
    coders = as_index_array(coder, "coder")
    values = as_index_array(value, "value")
    if not len(units) == len(coders) == len(values):
        raise ValueError("unit, coder and value must have the same length")
    n_units = int(units.max()) + 1 if len(units) else 0
    items = (
        np.arange(n_units, dtype=np.int64) if unit_item is None else as_index_array(unit_item, "unit_item")
    )
    if len(items) < n_units:
        raise ValueError("unit_item must name the item of every unit")
    n_coders = (int(coders.max()) + 1 if len(coders) else 0) if n_coders is None else n_coders
    n_items = (int(items.max()) + 1 if len(items) else 0) if n_items is None else n_items
    for name, array, bound in (
        ("unit", units, n_units),
        ("coder", coders, n_coders),
        ("value", values, n_values),
    ):
        if len(array) and (array.min() < 0 or array.max() >= bound):
            raise ValueError(f"{name} codes must lie in [0, {bound})")
    if len(items) and (items.min() < 0 or items.max() >= n_items):
        raise ValueError(f"unit_item codes must lie in [0, {n_items})")
    key = units * max(n_coders, 1) + coders
    if len(key) > 1 and not (np.diff(key) > 0).all():  # not already sorted by (unit, coder)
        order = np.argsort(key, kind="stable")
        units, coders, values, key = units[order], coders[order], values[order], key[order]
        if (np.diff(key) == 0).any():
            raise ValueError("a coder gave one unit two values")
    return Codings(units, coders, values, items, n_values, n_coders, n_items)


def reliability_matrix(unit_index: ArrayLike, observer_index: ArrayLike, value: ArrayLike) -> FloatArray:
    """Build the **observers x units** matrix the ``krippendorff`` package expects.

    Rows are the distinct observers in increasing order, columns the distinct units in
    increasing order, NaN where an observer did not code a unit. Building the matrix from
    triples removes the orientation trap (a transposed matrix silently gives another alpha).
    """
    units = as_index_array(unit_index, "unit_index")
    observers = as_index_array(observer_index, "observer_index")
    values = np.asarray(value, dtype=np.float64)
    if not len(units) == len(observers) == len(values):
        raise ValueError("unit_index, observer_index and value must have the same length")
    unit_ids, unit_codes = np.unique(units, return_inverse=True)
    observer_ids, observer_codes = np.unique(observers, return_inverse=True)
    matrix = np.full((len(observer_ids), len(unit_ids)), np.nan)
    matrix[observer_codes, unit_codes] = values
    return matrix


# ---------------------------------------------------------------------------------------------
# Pairs of codings and coincidences
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoderPairs:
    """Every unordered pair of codings of one unit (``coder_a < coder_b``).

    ``weight`` is ``1 / (m_u - 1)``, the pair's share of the unit in the coincidence matrix.
    """

    unit: IntArray
    coder_a: IntArray
    coder_b: IntArray
    value_a: IntArray
    value_b: IntArray
    weight: FloatArray

    def __len__(self) -> int:
        return len(self.unit)


def coder_pairs(codings: Codings) -> CoderPairs:
    first, second = pairs_within_groups(codings.unit)
    per_unit = np.bincount(codings.unit, minlength=codings.n_units)
    unit = codings.unit[first]
    # Rows are sorted by (unit, coder), so the first row of a pair has the smaller coder.
    return CoderPairs(
        unit=unit,
        coder_a=codings.coder[first],
        coder_b=codings.coder[second],
        value_a=codings.value[first],
        value_b=codings.value[second],
        weight=(1.0 / (per_unit[unit] - 1.0)).astype(np.float64),
    )


def coincidence_matrix(pairs: CoderPairs, n_values: int) -> FloatArray:
    """The values x values coincidence matrix of all the pairs."""
    half = np.bincount(
        pairs.value_a * n_values + pairs.value_b, weights=pairs.weight, minlength=n_values * n_values
    ).reshape(n_values, n_values)
    return np.asarray(half + half.T, dtype=np.float64)


@dataclass(frozen=True)
class ItemCoincidences:
    """Per-item coincidence matrices, flattened to rows of a sparse ``(n_groups, V*V)`` matrix.

    Items with identical codings share one row; ``items_per_group`` says how many items a row
    stands for. Summing rows weighted by those counts gives the project's coincidence matrix,
    and a bootstrap over items only re-draws the counts.
    """

    n_values: int
    matrix: Any  # scipy.sparse.csr_array, shape (n_groups, n_values ** 2)
    items_per_group: IntArray

    @property
    def n_items(self) -> int:
        return int(self.items_per_group.sum())

    def total(self) -> FloatArray:
        summed = np.asarray(self.matrix.T @ self.items_per_group.astype(np.float64), dtype=np.float64)
        return summed.reshape(self.n_values, self.n_values)

    @classmethod
    def from_dense(cls, matrices: ArrayLike) -> ItemCoincidences:
        """From an ``(n_items, V, V)`` stack of per-item coincidence matrices."""
        stack = np.asarray(matrices, dtype=np.float64)
        if stack.ndim != 3 or stack.shape[1] != stack.shape[2]:
            raise ValueError(f"expected an (n_items, V, V) stack, got shape {stack.shape}")
        n_values = stack.shape[1]
        flat = sp.csr_array(stack.reshape(len(stack), n_values * n_values))
        return cls(n_values, flat, np.ones(len(stack), dtype=np.int64))

    @classmethod
    def from_codings(cls, codings: Codings, pairs: CoderPairs | None = None) -> ItemCoincidences:
        """Per-item coincidences of items with at least one pairable unit.

        When every item is a single unit (classification), items are grouped by the multiset
        of values they received, which turns a million items into a few dozen rows.
        """
        pairs = coder_pairs(codings) if pairs is None else pairs
        n_values = codings.n_values
        item = codings.unit_item[pairs.unit]
        rows = np.concatenate([item, item])
        cells = np.concatenate(
            [pairs.value_a * n_values + pairs.value_b, pairs.value_b * n_values + pairs.value_a]
        )
        weights = np.concatenate([pairs.weight, pairs.weight])
        per_item = sp.csr_array(
            (weights, (rows, cells)), shape=(codings.n_items, n_values * n_values), dtype=np.float64
        )
        compared_items = np.unique(item)
        one_unit_per_item = np.bincount(codings.unit_item, minlength=codings.n_items).max(initial=0) <= 1
        if not one_unit_per_item:
            return cls(n_values, per_item[compared_items], np.ones(len(compared_items), dtype=np.int64))
        # Group single-unit items by the sorted values they received (padded with -1).
        per_unit = np.bincount(codings.unit, minlength=codings.n_units)
        unit_start = np.cumsum(per_unit) - per_unit
        rank = np.arange(len(codings.unit)) - unit_start[codings.unit]
        signature = np.full((codings.n_units, int(per_unit.max(initial=0))), -1, dtype=np.int64)
        signature[codings.unit, rank] = codings.value
        signature = np.sort(signature, axis=1)
        compared_units = np.flatnonzero(per_unit >= 2)
        rows = signature[compared_units] + 1  # 0 = padding
        base = n_values + 1
        if rows.shape[1] * np.log2(base) < 62:  # one integer key per row: much faster than axis=0
            keys = rows @ (base ** np.arange(rows.shape[1], dtype=np.int64))
            _, first, counts = np.unique(keys, return_index=True, return_counts=True)
        else:
            _, first, counts = np.unique(rows, axis=0, return_index=True, return_counts=True)
        representatives = codings.unit_item[compared_units[first]]
        return cls(n_values, per_item[representatives], counts.astype(np.int64))


# ---------------------------------------------------------------------------------------------
# Alpha from coincidence matrices
# ---------------------------------------------------------------------------------------------


def _distances(level: Level, values: FloatArray, totals: FloatArray) -> FloatArray:
    """Distance matrices, shape ``(B, V, V)`` (``totals`` are the ``(B, V)`` value totals)."""
    n_values = len(values)
    if level == "nominal":
        return np.broadcast_to(1.0 - np.eye(n_values), (len(totals), n_values, n_values))
    if level == "interval":
        single = (values[:, None] - values[None, :]) ** 2
        return np.broadcast_to(single, (len(totals), n_values, n_values))
    if level == "ratio":
        sums = values[:, None] + values[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            single = np.where(sums != 0, ((values[:, None] - values[None, :]) / sums) ** 2, 0.0)
        return np.broadcast_to(single, (len(totals), n_values, n_values))
    # ordinal: (sum of n_g for g from c to k) - (n_c + n_k) / 2, squared; codes are ranks.
    cumulative = np.cumsum(totals, axis=1)
    low = np.minimum.outer(np.arange(n_values), np.arange(n_values))
    high = np.maximum.outer(np.arange(n_values), np.arange(n_values))
    between = cumulative[:, high] - cumulative[:, low] + totals[:, low]
    result: FloatArray = (between - (totals[:, :, None] + totals[:, None, :]) / 2.0) ** 2
    return result


def alphas_from_coincidences(
    coincidences: FloatArray, level: Level = "nominal", values: ArrayLike | None = None
) -> FloatArray:
    """Alpha for a ``(B, V, V)`` stack of coincidence matrices; NaN where undefined."""
    level = check_level(level)
    stack = np.asarray(coincidences, dtype=np.float64)
    n_values = stack.shape[-1]
    value_array = np.arange(n_values, dtype=np.float64) if values is None else np.asarray(values, np.float64)
    if value_array.shape != (n_values,):
        raise ValueError(f"values must give one number per value code ({n_values})")
    totals = stack.sum(axis=1)
    n = totals.sum(axis=1)
    distance = _distances(level, value_array, totals)
    observed = (stack * distance).sum(axis=(1, 2))
    expected = np.einsum("bc,bk,bck->b", totals, totals, distance)
    defined = (n > 1) & (expected > 0)
    result = np.full(len(stack), np.nan)
    result[defined] = 1.0 - (n[defined] - 1.0) * observed[defined] / expected[defined]
    return result


def alpha_from_coincidences(
    coincidence: ArrayLike, level: Level = "nominal", values: ArrayLike | None = None
) -> AlphaResult:
    """Alpha of one coincidence matrix, or undefined with the reason.

    ``values`` gives the number behind each value code for interval and ratio data (codes are
    taken as the numbers by default); ordinal alpha uses the code order as the rank order.
    """
    matrix = np.asarray(coincidence, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"a coincidence matrix is square, got shape {matrix.shape}")
    totals = matrix.sum(axis=0)
    if totals.sum() <= 0:
        return AlphaResult(None, NO_PAIRABLE_UNIT)
    if np.count_nonzero(totals) < 2:
        return AlphaResult(None, SINGLE_VALUE)
    value = float(alphas_from_coincidences(matrix[None], level, values)[0])
    if np.isnan(value):
        return AlphaResult(None, ZERO_EXPECTED)
    return AlphaResult(value)


def one_vs_rest_alphas(coincidences: FloatArray) -> FloatArray:
    """Nominal alpha of "label c" versus "any other label", for every label: shape ``(B, V)``.

    From the full coincidence matrix: ``1 - (n - 1) (n_c - o_cc) / (n_c (n - n_c))``; NaN for a
    label that never or always occurs.
    """
    stack = np.asarray(coincidences, dtype=np.float64)
    totals = stack.sum(axis=1)
    n = totals.sum(axis=1, keepdims=True)
    diagonal = np.diagonal(stack, axis1=1, axis2=2)
    expected = totals * (n - totals)
    with np.errstate(divide="ignore", invalid="ignore"):
        result: FloatArray = np.where(
            expected > 0,
            1.0 - (n - 1.0) * (totals - diagonal) / np.where(expected > 0, expected, 1.0),
            np.nan,
        )
    return result


def specific_agreements(coincidence: FloatArray) -> FloatArray:
    """Specific agreement per label: of the pairable values c, the share paired with another c."""
    totals = coincidence.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        result: FloatArray = np.where(
            totals > 0, np.diagonal(coincidence) / np.where(totals > 0, totals, 1.0), np.nan
        )
    return result
