"""Selective skipping: does an annotator skip benchmarks more often than work?

If benchmarks and work look alike, an annotator's skips fall on them in proportion to how many of
each were served. One-sided Fisher's exact test on the 2x2 table (benchmarks / work x skipped /
answered): the p-value is the hypergeometric probability of at least the observed number of
skipped benchmarks given the annotator's total skips. Vectorised over annotators.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import hypergeom

#: Default significance for calling skipping selective (scorecard signal; alert rules set their own).
DEFAULT_P_VALUE = 0.01


@dataclass(frozen=True)
class SkipSignal:
    benchmarks_served: int
    benchmarks_skipped: int
    work_served: int
    work_skipped: int
    p_value: float
    selective: bool

    @property
    def benchmark_skip_rate(self) -> float | None:
        return self.benchmarks_skipped / self.benchmarks_served if self.benchmarks_served else None

    @property
    def work_skip_rate(self) -> float | None:
        return self.work_skipped / self.work_served if self.work_served else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "benchmarks_served": self.benchmarks_served,
            "benchmarks_skipped": self.benchmarks_skipped,
            "benchmark_skip_rate": _round(self.benchmark_skip_rate),
            "work_served": self.work_served,
            "work_skipped": self.work_skipped,
            "work_skip_rate": _round(self.work_skip_rate),
            "p_value": self.p_value,
            "selective": self.selective,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def selective_skip_p_values(
    benchmarks_served: ArrayLike,
    benchmarks_skipped: ArrayLike,
    work_served: ArrayLike,
    work_skipped: ArrayLike,
) -> NDArray[np.float64]:
    """One-sided Fisher exact p-values (benchmarks skipped more than work), one per annotator."""
    bn = np.asarray(benchmarks_served, dtype=np.int64)
    bs = np.asarray(benchmarks_skipped, dtype=np.int64)
    wn = np.asarray(work_served, dtype=np.int64)
    ws = np.asarray(work_skipped, dtype=np.int64)
    if (bs > bn).any() or (ws > wn).any() or (bs < 0).any() or (ws < 0).any():
        raise ValueError("skipped counts must be between 0 and the served counts")
    total, skips = bn + wn, bs + ws
    p = hypergeom.sf(bs - 1, total, skips, bn)
    return np.asarray(np.where((bs == 0) | (total == 0), 1.0, np.clip(p, 0.0, 1.0)), dtype=np.float64)


def skip_signals(
    benchmarks_served: ArrayLike,
    benchmarks_skipped: ArrayLike,
    work_served: ArrayLike,
    work_skipped: ArrayLike,
    *,
    p_value: float = DEFAULT_P_VALUE,
) -> list[SkipSignal]:
    """A :class:`SkipSignal` per annotator; ``selective`` when the p-value is below ``p_value``."""
    p = selective_skip_p_values(benchmarks_served, benchmarks_skipped, work_served, work_skipped)
    columns = [
        np.asarray(c, dtype=np.int64).reshape(-1).tolist()
        for c in (benchmarks_served, benchmarks_skipped, work_served, work_skipped)
    ]
    return [
        SkipSignal(bn, bs, wn, ws, float(pv), bool(pv < p_value))
        for bn, bs, wn, ws, pv in zip(*columns, p.reshape(-1).tolist(), strict=True)
    ]
