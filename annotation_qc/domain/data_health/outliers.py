"""Isolation-forest outlier scores: fitted on a reference (the labeled pool), applied to any items.

The score is the forest's anomaly score negated (higher: more unusual); the threshold is the reference's
``1 - contamination`` quantile, so about ``contamination`` of data like the reference is flagged.
Missing values (NaN) are filled with the reference's median per column; columns with no finite value in
the reference, or constant in it, are left out.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.ensemble import IsolationForest

N_ESTIMATORS = 200
MAX_SAMPLES = 4096


class TooFewToFit(ValueError):
    pass


@dataclass(frozen=True)
class OutlierModel:
    forest: IsolationForest
    columns: NDArray[np.int64]
    fill: NDArray[np.float64]
    threshold: float
    n_reference: int

    def _prepare(self, matrix: ArrayLike) -> NDArray[np.float64]:
        x = np.asarray(matrix, dtype=np.float64)
        if x.ndim != 2:
            raise ValueError("expected an n x k matrix")
        x = x[:, self.columns]
        return np.where(np.isfinite(x), x, self.fill)

    def scores(self, matrix: ArrayLike) -> NDArray[np.float64]:
        x = self._prepare(matrix)
        if x.shape[0] == 0:
            return np.zeros(0)
        return -self.forest.score_samples(x)  # type: ignore[no-any-return]

    def flag(self, matrix: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        scores = self.scores(matrix)
        return scores, scores > self.threshold


def fit_outliers(
    reference: ArrayLike, *, contamination: float = 0.001, min_reference: int = 50, seed: int = 0
) -> OutlierModel:
    """Fit on the reference rows; raises :class:`TooFewToFit` under ``min_reference`` usable rows."""
    x = np.asarray(reference, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("expected an n x k matrix")
    finite = np.isfinite(x)
    rows = finite.any(axis=1)
    x = x[rows]
    finite = finite[rows]
    if x.shape[0] < min_reference:
        raise TooFewToFit(f"{x.shape[0]} reference rows; at least {min_reference} needed")
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns are dropped just below
        masked = np.where(finite, x, np.nan)
        fill = np.nanmedian(masked, axis=0) if x.size else np.zeros(x.shape[1])
        spread = np.nanmax(masked, axis=0) - np.nanmin(masked, axis=0)
    columns = np.flatnonzero(np.isfinite(fill) & (spread > 0)).astype(np.int64)
    if columns.size == 0:
        raise TooFewToFit("no column varies in the reference")
    fill = fill[columns]
    prepared = np.where(finite[:, columns], x[:, columns], fill)
    forest = IsolationForest(
        n_estimators=N_ESTIMATORS, max_samples=min(MAX_SAMPLES, prepared.shape[0]), random_state=seed
    )
    forest.fit(prepared)
    reference_scores = -forest.score_samples(prepared)
    threshold = float(np.quantile(reference_scores, 1.0 - contamination))
    return OutlierModel(
        forest=forest, columns=columns, fill=fill, threshold=threshold, n_reference=int(prepared.shape[0])
    )
