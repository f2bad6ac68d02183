"""The arithmetic behind the dashboard's charts: running accuracy per group, last row per key, histograms."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from annotation_qc.domain.skill import wilson_interval


def running_accuracy(
    groups: NDArray[Any], outcomes: NDArray[Any], *, confidence: float = 0.95
) -> dict[str, NDArray[Any]]:
    """Per row: trials and successes so far within its group, the accuracy and its Wilson interval.

    ``groups`` must be sorted so that each group's rows are contiguous and in time order.
    """
    g = np.asarray(groups)
    ok = np.asarray(outcomes, dtype=np.int64)
    if g.shape != ok.shape or g.ndim != 1:
        raise ValueError("groups and outcomes must be 1-d arrays of the same length")
    if g.size == 0:
        empty = np.zeros(0)
        return {"trials": empty, "successes": empty, "accuracy": empty, "low": empty, "high": empty}
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    index = np.arange(g.size)
    start_of_row = starts[np.searchsorted(starts, index, side="right") - 1]
    total = np.cumsum(ok)
    before = np.where(start_of_row > 0, total[start_of_row - 1], 0)
    successes = total - before
    trials = index - start_of_row + 1
    low, high = wilson_interval(successes, trials, confidence=confidence)
    return {
        "trials": trials,
        "successes": successes,
        "accuracy": successes / trials,
        "low": np.asarray(low),
        "high": np.asarray(high),
    }


def last_of_each_run(keys: NDArray[Any]) -> NDArray[np.bool_]:
    """True on the last row of each run of equal keys (rows in order)."""
    k = np.asarray(keys)
    if k.size == 0:
        return np.zeros(0, dtype=bool)
    last: NDArray[np.bool_] = np.r_[k[1:] != k[:-1], True]
    return last


def histogram_bins(values: NDArray[Any], *, bins: int = 20) -> list[dict[str, float | int]]:
    """Equal-width bins over the finite values' range: ``[{start, end, count}]`` (empty for no values)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return []
    lo, hi = float(v.min()), float(v.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(v, bins=bins, range=(lo, hi))
    return [
        {"start": float(edges[i]), "end": float(edges[i + 1]), "count": int(counts[i])} for i in range(bins)
    ]
