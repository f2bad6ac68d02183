"""Annotator skill on seeded-error benchmarks, with honest uncertainty.

Accuracy is the share of benchmarks whose seeded mistake was fixed. Every figure comes with a
confidence interval (Wilson score by default, or an equal-tailed Beta posterior), overall, per
error kind and per label, plus a rolling-window trend for a plot. An annotator is ``flagged``
only when even the upper bound of the interval is below the project's threshold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import beta, norm

FloatArray = NDArray[np.float64]
IntervalMethod = Literal["wilson", "beta"]
AnnotatorStatus = Literal["calibrating", "ok", "flagged"]
Count = int | np.integer[Any]


# ---------------------------------------------------------------------------------------------
# Intervals
# ---------------------------------------------------------------------------------------------


def _counts(successes: ArrayLike, trials: ArrayLike) -> tuple[FloatArray, FloatArray]:
    s = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    if not (np.isfinite(s).all() and np.isfinite(n).all()):
        raise ValueError("successes and trials must be finite")
    if (n < 0).any() or (s < 0).any() or (s > n).any():
        raise ValueError("need 0 <= successes <= trials")
    s_b, n_b = np.broadcast_arrays(s, n)
    return s_b, n_b


def _alpha(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return 1.0 - confidence


@overload
def wilson_interval(successes: Count, trials: Count, *, confidence: float = 0.95) -> tuple[float, float]: ...
@overload
def wilson_interval(
    successes: NDArray[Any] | Sequence[int], trials: NDArray[Any] | Sequence[int], *, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray]: ...
def wilson_interval(
    successes: ArrayLike, trials: ArrayLike, *, confidence: float = 0.95
) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    """Wilson score interval for a binomial proportion (no continuity correction).

    Scalars give a pair of floats, arrays a pair of arrays. ``trials == 0`` gives ``(0, 1)``.
    """
    s, n = _counts(successes, trials)
    z = float(norm.ppf(1.0 - _alpha(confidence) / 2.0))
    z2 = z * z
    safe_n = np.where(n > 0, n, 1.0)
    p = s / safe_n
    denominator = 1.0 + z2 / safe_n
    centre = (p + z2 / (2.0 * safe_n)) / denominator
    half = z / denominator * np.sqrt(p * (1.0 - p) / safe_n + z2 / (4.0 * safe_n**2))
    low = np.where((n > 0) & (s > 0), np.clip(centre - half, 0.0, 1.0), 0.0)
    high = np.where((n > 0) & (s < n), np.clip(centre + half, 0.0, 1.0), 1.0)
    return _shaped(low, high)


@overload
def beta_interval(
    successes: Count, trials: Count, *, prior: tuple[float, float] = ..., confidence: float = 0.95
) -> tuple[float, float]: ...
@overload
def beta_interval(
    successes: NDArray[Any] | Sequence[int],
    trials: NDArray[Any] | Sequence[int],
    *,
    prior: tuple[float, float] = ...,
    confidence: float = 0.95,
) -> tuple[FloatArray, FloatArray]: ...
def beta_interval(
    successes: ArrayLike,
    trials: ArrayLike,
    *,
    prior: tuple[float, float] = (1.0, 1.0),
    confidence: float = 0.95,
) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    """Equal-tailed credible interval of the Beta posterior ``Beta(a + s, b + n - s)``.

    ``prior = (a, b)``; the default is uniform. ``trials == 0`` gives ``(0, 1)``: no benchmark,
    no claim (rather than the prior's own interval).
    """
    s, n = _counts(successes, trials)
    a, b = prior
    if not (a > 0 and b > 0):
        raise ValueError(f"prior parameters must be positive, got {prior}")
    alpha = _alpha(confidence)
    low = beta.ppf(alpha / 2.0, a + s, b + n - s)
    high = beta.ppf(1.0 - alpha / 2.0, a + s, b + n - s)
    return _shaped(np.where(n > 0, low, 0.0), np.where(n > 0, high, 1.0))


def _shaped(low: FloatArray, high: FloatArray) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    if low.ndim == 0:
        return float(low), float(high)
    return low.astype(np.float64), high.astype(np.float64)


def _intervals(
    correct: NDArray[Any], n: NDArray[Any], *, confidence: float, method: IntervalMethod
) -> tuple[FloatArray, FloatArray]:
    if method == "wilson":
        return wilson_interval(correct, n, confidence=confidence)
    if method == "beta":
        return beta_interval(correct, n, confidence=confidence)
    raise ValueError(f"unknown interval method {method!r}")


# ---------------------------------------------------------------------------------------------
# Estimates
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccuracyEstimate:
    """``correct`` of ``n`` benchmarks fixed; ``accuracy`` is ``None`` when ``n == 0``."""

    n: int
    correct: int
    accuracy: float | None
    low: float
    high: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "low": self.low,
            "high": self.high,
        }


def estimate_accuracy(
    correct: int, n: int, *, confidence: float = 0.95, method: IntervalMethod = "wilson"
) -> AccuracyEstimate:
    """One :class:`AccuracyEstimate` from counts."""
    (estimate,) = _estimates(np.array([correct]), np.array([n]), confidence=confidence, method=method)
    return estimate


def _estimates(
    correct: NDArray[Any], n: NDArray[Any], *, confidence: float, method: IntervalMethod
) -> list[AccuracyEstimate]:
    correct_i = np.rint(correct).astype(np.int64)
    n_i = np.asarray(n, dtype=np.int64)
    low, high = _intervals(correct_i, n_i, confidence=confidence, method=method)
    accuracy = correct_i / np.where(n_i > 0, n_i, 1)
    return [
        AccuracyEstimate(n=k, correct=c, accuracy=a if k > 0 else None, low=lo, high=hi)
        for k, c, a, lo, hi in zip(
            n_i.tolist(), correct_i.tolist(), accuracy.tolist(), low.tolist(), high.tolist(), strict=True
        )
    ]


@dataclass(frozen=True)
class Trend:
    """Accuracy over the last ``window`` benchmarks, at each benchmark in time order.

    Parallel tuples (one entry per benchmark), ready for a plot: ``submitted_at`` (epoch
    seconds), ``n`` (benchmarks in the window), ``correct``, ``accuracy``, ``low``, ``high``.
    """

    window: int
    submitted_at: tuple[float, ...] = ()
    n: tuple[int, ...] = ()
    correct: tuple[int, ...] = ()
    accuracy: tuple[float, ...] = ()
    low: tuple[float, ...] = ()
    high: tuple[float, ...] = ()

    def to_dict(self) -> list[dict[str, Any]]:
        """One point per benchmark: ``{"t", "n", "correct", "accuracy", "low", "high"}``."""
        return [
            {"t": t, "n": k, "correct": c, "accuracy": a, "low": lo, "high": hi}
            for t, k, c, a, lo, hi in zip(
                self.submitted_at, self.n, self.correct, self.accuracy, self.low, self.high, strict=True
            )
        ]


@dataclass(frozen=True)
class SkillSummary:
    overall: AccuracyEstimate
    by_error_kind: Mapping[str, AccuracyEstimate]
    by_label: Mapping[str, AccuracyEstimate]
    trend: Trend
    confidence: float = 0.95
    method: IntervalMethod = "wilson"

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.to_dict(),
            "by_error_kind": {kind: est.to_dict() for kind, est in self.by_error_kind.items()},
            "by_label": {label: est.to_dict() for label, est in self.by_label.items()},
            "trend": self.trend.to_dict(),
            "window": self.trend.window,
            "confidence": self.confidence,
            "method": self.method,
        }


def _grouped(
    keys: NDArray[np.str_], fixed: NDArray[np.bool_], *, confidence: float, method: IntervalMethod
) -> dict[str, AccuracyEstimate]:
    groups, inverse = np.unique(keys, return_inverse=True)
    n = np.bincount(inverse, minlength=len(groups))
    correct = np.bincount(inverse, weights=fixed.astype(np.float64), minlength=len(groups))
    estimates = _estimates(correct, n, confidence=confidence, method=method)
    return dict(zip(groups.tolist(), estimates, strict=True))


def skill_summary(
    fixed: ArrayLike,
    *,
    error_kinds: Sequence[str],
    labels: Sequence[str | None],
    submitted_at: ArrayLike,
    window: int = 20,
    confidence: float = 0.95,
    method: IntervalMethod = "wilson",
) -> SkillSummary:
    """Benchmark accuracy of one annotator: overall, per error kind, per label and over time.

    One entry per benchmark in every argument. ``labels`` entries that are ``None`` (no label
    concerned) count overall and per kind, not per label. ``submitted_at`` is in epoch seconds.
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    fixed_array = np.asarray(fixed, dtype=np.bool_).reshape(-1)
    times = np.asarray(submitted_at, dtype=np.float64).reshape(-1)
    kinds = np.asarray(error_kinds, dtype=np.str_).reshape(-1)
    label_array = np.asarray(labels, dtype=object).reshape(-1)
    lengths = {len(fixed_array), len(times), len(kinds), len(label_array)}
    if len(lengths) != 1:
        raise ValueError(
            "fixed, error_kinds, labels and submitted_at must have one entry per benchmark, got lengths "
            f"{len(fixed_array)}, {len(kinds)}, {len(label_array)}, {len(times)}"
        )
    if not np.isfinite(times).all():
        raise ValueError("submitted_at must be finite epoch seconds")

    total = len(fixed_array)
    (overall,) = _estimates(
        np.array([np.count_nonzero(fixed_array)]), np.array([total]), confidence=confidence, method=method
    )
    has_label = np.not_equal(label_array, np.array(None, dtype=object)).astype(np.bool_)
    by_kind = _grouped(kinds, fixed_array, confidence=confidence, method=method)
    by_label = _grouped(
        label_array[has_label].astype(np.str_), fixed_array[has_label], confidence=confidence, method=method
    )
    return SkillSummary(
        overall=overall,
        by_error_kind=by_kind,
        by_label=by_label,
        trend=_trend(fixed_array, times, window=window, confidence=confidence, method=method),
        confidence=confidence,
        method=method,
    )


def _trend(
    fixed: NDArray[np.bool_], times: FloatArray, *, window: int, confidence: float, method: IntervalMethod
) -> Trend:
    order = np.argsort(times, kind="stable")
    cumulative = np.concatenate([[0], np.cumsum(fixed[order], dtype=np.int64)])
    end = np.arange(1, len(order) + 1)
    start = np.maximum(0, end - window)
    n = end - start
    correct = cumulative[end] - cumulative[start]
    low, high = _intervals(correct, n, confidence=confidence, method=method)
    return Trend(
        window=window,
        submitted_at=tuple(times[order].tolist()),
        n=tuple(n.tolist()),
        correct=tuple(correct.tolist()),
        accuracy=tuple((correct / np.maximum(n, 1)).tolist()),
        low=tuple(low.tolist()),
        high=tuple(high.tolist()),
    )


def annotator_status(estimate: AccuracyEstimate, *, threshold: float, min_benchmarks: int) -> AnnotatorStatus:
    """``calibrating`` below ``min_benchmarks``; then ``flagged`` when the interval's upper bound is
    below ``threshold`` (the evidence says the annotator is worse than required), else ``ok``."""
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], got {threshold}")
    if min_benchmarks < 0:
        raise ValueError(f"min_benchmarks must be >= 0, got {min_benchmarks}")
    if estimate.n < min_benchmarks:
        return "calibrating"
    if estimate.high < threshold:
        return "flagged"
    return "ok"


# ---------------------------------------------------------------------------------------------
# Shrinkage toward the project's population (empirical Bayes over all evidence)
# ---------------------------------------------------------------------------------------------

#: Grid of fix rates on which the population prior and the posteriors live.
RATE_GRID = np.linspace(0.0025, 0.9975, 200)
PRIOR_ITERATIONS = 300


def evidence_log_likelihood(
    owner: ArrayLike, a: ArrayLike, b: ArrayLike, *, n_owners: int, grid: FloatArray = RATE_GRID
) -> FloatArray:
    """Per owner (annotator index), ``Σ log(a_i + b_i p)`` of its evidence at every grid rate.

    Evidence is linear in the rate: a benchmark fix is ``(0, 1)``, a miss ``(1, -1)``, a peer row
    its leave-one-out ``(a, b)`` from ``domain.peer_skill.peer_fit``. Shape ``(n_owners, len(grid))``.
    """
    who = np.asarray(owner, dtype=np.int64).reshape(-1)
    a_arr = np.asarray(a, dtype=np.float64).reshape(-1)
    b_arr = np.asarray(b, dtype=np.float64).reshape(-1)
    if not len(who) == len(a_arr) == len(b_arr):
        raise ValueError("owner, a and b need one entry per piece of evidence")
    if len(who) and (who.min() < 0 or who.max() >= n_owners):
        raise ValueError(f"owner indices must lie in [0, {n_owners})")
    out = np.zeros((n_owners, len(grid)))
    if len(who) == 0:
        return out
    order = np.argsort(who, kind="stable")
    who, a_arr, b_arr = who[order], a_arr[order], b_arr[order]
    log_lik = np.log(np.maximum(a_arr[:, None] + b_arr[:, None] * grid[None, :], 1e-300))
    starts = np.flatnonzero(np.r_[True, who[1:] != who[:-1]])
    out[who[starts]] = np.add.reduceat(log_lik, starts, axis=0)
    return out


def population_prior(
    log_lik: FloatArray, *, iterations: int = PRIOR_ITERATIONS, smoothing: float = 1.0
) -> FloatArray:
    """The population's distribution of rates on the grid, fitted to everyone's evidence.

    A nonparametric maximum-likelihood mixing distribution (EM over grid weights), with
    ``smoothing`` pseudo-annotators spread uniformly so no rate gets weight 0. Rows of owners
    without evidence (all zeros) do not move it.
    """
    rows = log_lik[np.ptp(log_lik, axis=1) > 0] if len(log_lik) else log_lik
    g = log_lik.shape[1]
    weights = np.full(g, 1.0 / g)
    if len(rows) == 0:
        return weights
    lik = np.exp(rows - rows.max(axis=1, keepdims=True))
    for _ in range(iterations):
        joint = lik * weights[None, :]
        responsibility = joint / np.maximum(joint.sum(axis=1, keepdims=True), 1e-300)
        weights = (responsibility.sum(axis=0) + smoothing / g) / (len(rows) + smoothing)
    return np.asarray(weights, dtype=np.float64)


@dataclass(frozen=True)
class ShrunkEstimate:
    """Posterior mean and equal-tailed interval of each owner's rate under the population prior."""

    mean: FloatArray
    low: FloatArray
    high: FloatArray

    def row(self, index: int) -> dict[str, float]:
        return {
            "estimate": round(float(self.mean[index]), 4),
            "low": round(float(self.low[index]), 4),
            "high": round(float(self.high[index]), 4),
        }


def shrunk_estimates(
    log_lik: FloatArray, prior: FloatArray, *, grid: FloatArray = RATE_GRID, confidence: float = 0.95
) -> ShrunkEstimate:
    """Posterior of every owner's rate given its evidence and the population prior (vectorised)."""
    alpha = _alpha(confidence)
    post = np.exp(log_lik - log_lik.max(axis=1, keepdims=True)) * prior[None, :]
    post /= np.maximum(post.sum(axis=1, keepdims=True), 1e-300)
    mean = post @ grid
    cdf = np.cumsum(post, axis=1)
    low = grid[np.minimum((cdf < alpha / 2).sum(axis=1), len(grid) - 1)]
    high = grid[np.minimum((cdf < 1 - alpha / 2).sum(axis=1), len(grid) - 1)]
    return ShrunkEstimate(mean.astype(np.float64), low.astype(np.float64), high.astype(np.float64))


def posterior_below_path(
    a: ArrayLike, b: ArrayLike, prior: FloatArray, threshold: float, *, grid: FloatArray = RATE_GRID
) -> FloatArray:
    """After each piece of evidence (in time order): P(rate < threshold | evidence so far, prior)."""
    a_arr = np.asarray(a, dtype=np.float64).reshape(-1)
    b_arr = np.asarray(b, dtype=np.float64).reshape(-1)
    cumulative = np.cumsum(
        np.log(np.maximum(a_arr[:, None] + b_arr[:, None] * grid[None, :], 1e-300)), axis=0
    )
    post = np.exp(cumulative - cumulative.max(axis=1, keepdims=True)) * prior[None, :]
    below = post[:, grid < threshold].sum(axis=1)
    return np.asarray(below / np.maximum(post.sum(axis=1), 1e-300), dtype=np.float64)
