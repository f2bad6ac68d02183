"""Bootstrap intervals over items, computed from per-item coincidence matrices.

Resampling items with replacement and recomputing the pooled alpha is, in coincidence terms,
drawing how many times each item is taken (a multinomial over items) and summing the items'
coincidence matrices with those counts. Items with identical codings share one row of
:class:`~annotation_qc.domain.agreement.coincidences.ItemCoincidences`, so for them the draw is a
multinomial over the few distinct rows, which is exact and makes 1,000 replicates over a
million classification items cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from annotation_qc.domain.agreement._arrays import FloatArray
from annotation_qc.domain.agreement.coefficients import Level, check_level
from annotation_qc.domain.agreement.coincidences import ItemCoincidences, alphas_from_coincidences

#: Upper bound on the number of random item indices drawn at once (memory of one chunk).
_DRAWS_PER_CHUNK = 4_000_000
#: Largest items x cells matrix the resampling keeps dense.
_DENSE_CELLS = 20_000_000


@dataclass(frozen=True)
class BootstrapInterval:
    """Percentile interval of a bootstrap distribution; ``low``/``high`` are None with a reason."""

    low: float | None
    high: float | None
    confidence: float
    n_resamples: int
    n_undefined: int
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "low": self.low,
            "high": self.high,
            "confidence": self.confidence,
            "n_resamples": self.n_resamples,
            "n_undefined": self.n_undefined,
            "reason": self.reason,
        }


def _replicate_chunks(
    coincidences: ItemCoincidences, n_resamples: int, rng: np.random.Generator
) -> Iterator[FloatArray]:
    """Yield ``(b, V, V)`` stacks of coincidence matrices of resampled item sets."""
    sizes = coincidences.items_per_group
    n_groups = len(sizes)
    n_items = int(sizes.sum())
    n_values = coincidences.n_values
    # Only the cells some item uses; as a dense matrix when small enough (a BLAS product is
    # several times faster than the sparse one).
    matrix = coincidences.matrix.tocsc()
    cells = np.flatnonzero(np.diff(matrix.indptr))
    rows = matrix[:, cells]
    dense: FloatArray | None = None
    sparse_t: Any = None
    if n_groups * len(cells) <= _DENSE_CELLS:
        dense = np.asarray(rows.toarray(), dtype=np.float64)
    else:
        sparse_t = rows.T.tocsr()
    # Few distinct rows: draw group counts directly. Otherwise draw item indices and count them.
    by_group = n_groups * 16 < n_items
    group_of_item = np.repeat(np.arange(n_groups), sizes)
    chunk = n_resamples if by_group else max(1, min(n_resamples, _DRAWS_PER_CHUNK // max(n_items, 1)))
    done = 0
    while done < n_resamples:
        size = min(chunk, n_resamples - done)
        if by_group:
            counts = rng.multinomial(n_items, sizes / n_items, size=size)
        else:
            drawn = rng.integers(0, n_items, size=(size, n_items), dtype=np.int32)
            if n_groups != n_items:
                drawn = group_of_item[drawn]
            drawn += (np.arange(size, dtype=drawn.dtype) * n_groups)[:, None]
            counts = np.bincount(drawn.ravel(), minlength=size * n_groups).reshape(size, n_groups)
        weights = counts.astype(np.float64)
        used = weights @ dense if dense is not None else np.asarray(sparse_t @ weights.T, dtype=np.float64).T
        summed = np.zeros((size, n_values * n_values))
        summed[:, cells] = used
        yield summed.reshape(size, n_values, n_values)
        done += size


def bootstrap_statistics(
    coincidences: ItemCoincidences,
    statistic: Callable[[FloatArray], FloatArray],
    *,
    n_resamples: int = 1000,
    seed: int = 0,
) -> FloatArray:
    """Evaluate ``statistic`` (a ``(b, V, V) -> (b, k)`` map) on every bootstrap replicate."""
    if n_resamples < 1:
        raise ValueError("n_resamples must be at least 1")
    if coincidences.n_items == 0:
        raise ValueError("there are no items to resample")
    rng = np.random.default_rng(seed)
    parts = [statistic(stack) for stack in _replicate_chunks(coincidences, n_resamples, rng)]
    return np.concatenate(parts, axis=0)


def percentile_interval(replicates: ArrayLike, confidence: float = 0.95) -> BootstrapInterval:
    """Equal-tailed percentile interval of one column of replicates (NaN = undefined replicate)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    values = np.asarray(replicates, dtype=np.float64)
    defined = values[~np.isnan(values)]
    n_undefined = len(values) - len(defined)
    if len(defined) == 0:
        return BootstrapInterval(
            None, None, confidence, len(values), n_undefined, "undefined in every resample"
        )
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(defined, [tail, 100.0 - tail])
    return BootstrapInterval(float(low), float(high), confidence, len(values), n_undefined)


def bootstrap_interval(
    coincidences: ItemCoincidences,
    *,
    level: Level = "nominal",
    values: ArrayLike | None = None,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> BootstrapInterval:
    """Percentile bootstrap interval of the pooled alpha, resampling **items** (seeded)."""
    level = check_level(level)
    replicates = bootstrap_statistics(
        coincidences,
        lambda stack: alphas_from_coincidences(stack, level, values)[:, None],
        n_resamples=n_resamples,
        seed=seed,
    )
    return percentile_interval(replicates[:, 0], confidence)
