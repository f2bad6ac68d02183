"""Input checks shared by the active-learning modules: probabilities and feature matrices.

Every check names the first offending row, so a bad upload can be answered with a message the
ML team can act on ("row 17 sums to 0.8") rather than a bare failure.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: How far a row of probabilities may sum away from 1.
SUM_TOLERANCE = 1e-3
#: How far a single probability may stray outside [0, 1] (float rounding, e.g. 1.0000001 in float32).
RANGE_SLACK = 1e-6


class InvalidProbabilities(ValueError):
    """Class probabilities that are not a valid distribution per row."""


class InvalidFeatures(ValueError):
    """A feature matrix with the wrong shape or non-finite values."""


def as_probabilities(proba: ArrayLike, *, name: str = "proba") -> FloatArray:
    """Check an ``(n, k)`` array of class probabilities and return it as float64.

    Rows must be finite, within [0, 1] (up to :data:`RANGE_SLACK`, then clipped) and sum to 1
    within :data:`SUM_TOLERANCE`. ``n`` may be 0; ``k`` must be at least 1.
    """
    array = _as_float_array(proba, name, InvalidProbabilities)
    if array.ndim != 2:
        raise InvalidProbabilities(f"{name} must be 2-D (items x classes), got shape {array.shape}")
    if array.shape[1] == 0:
        raise InvalidProbabilities(f"{name} must have at least one class column, got shape {array.shape}")
    _check_rows(array, lambda row: f"row {row} of {name}")
    return np.clip(array, 0.0, 1.0)


def as_committee_probabilities(committee_proba: ArrayLike, *, name: str = "committee_proba") -> FloatArray:
    """Check an ``(m, n, k)`` array (m committee members, n items, k classes) and return it as float64."""
    array = _as_float_array(committee_proba, name, InvalidProbabilities)
    if array.ndim != 3:
        raise InvalidProbabilities(f"{name} must be 3-D (members x items x classes), got shape {array.shape}")
    members, items, classes = array.shape
    if members == 0 or classes == 0:
        raise InvalidProbabilities(f"{name} needs at least one member and one class, got shape {array.shape}")
    _check_rows(
        array.reshape(members * items, classes),
        lambda flat: f"member {flat // items}, row {flat % items} of {name}",
    )
    return np.clip(array, 0.0, 1.0)


def as_features(
    features: ArrayLike, *, n_features: int | None = None, name: str = "features"
) -> NDArray[np.floating]:
    """Check an ``(n, d)`` feature matrix: finite, and ``d == n_features`` when given.

    float32 input stays float32 (feature vectors are stored that way); anything else becomes float64.
    """
    array = np.asarray(features)
    if array.dtype != np.float32:
        array = _as_float_array(array, name, InvalidFeatures)
    if array.ndim != 2:
        raise InvalidFeatures(f"{name} must be 2-D (items x features), got shape {array.shape}")
    if n_features is not None and array.shape[1] != n_features:
        raise InvalidFeatures(f"{name} have {array.shape[1]} columns, expected {n_features}")
    finite = np.isfinite(array).all(axis=1)
    if not finite.all():
        row = int(np.argmin(finite))
        raise InvalidFeatures(f"row {row} of {name} has NaN or infinite values")
    return array


def _as_float_array(values: ArrayLike, name: str, error: type[ValueError]) -> FloatArray:
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise error(f"{name} must be a rectangular array of numbers ({exc})") from exc


def _check_rows(rows: FloatArray, describe: Callable[[int], str]) -> None:
    """Raise :class:`InvalidProbabilities` naming the first bad row of a 2-D array."""
    if rows.shape[0] == 0:
        return
    finite = np.isfinite(rows).all(axis=1)
    if not finite.all():
        raise InvalidProbabilities(f"{describe(int(np.argmin(finite)))} has NaN or infinite values")
    in_range = ((rows >= -RANGE_SLACK) & (rows <= 1.0 + RANGE_SLACK)).all(axis=1)
    if not in_range.all():
        row = int(np.argmin(in_range))
        low, high = rows[row].min(), rows[row].max()
        raise InvalidProbabilities(
            f"{describe(row)} has values outside [0, 1] (min {low:.4g}, max {high:.4g})"
        )
    sums = rows.sum(axis=1)
    sums_to_one = np.abs(sums - 1.0) <= SUM_TOLERANCE
    if not sums_to_one.all():
        row = int(np.argmin(sums_to_one))
        raise InvalidProbabilities(
            f"{describe(row)} sums to {sums[row]:.6g}; each row must sum to 1 (tolerance {SUM_TOLERANCE:g})"
        )
