"""Sequential flagging of annotators from their benchmark outcomes, with a stated error rate.

Each scored benchmark is a fix (1) or a miss (0, a skipped benchmark counts as a miss). From the
project's flag threshold ``t`` the rule derives two rates:

- ``p_good = t + margin`` (0.65 for the default threshold 0.6): an annotator at or above this
  rate is good; flagging one is a false flag.
- the bad rates: any ``p`` in ``[0, t]``.

Two tests watch the outcomes; an annotator is flagged when either crosses its boundary.

**Overall: a mixture sequential probability ratio test.** The statistic is the likelihood ratio
of the outcomes under "the rate is some ``p`` uniform on ``[0, t]``" against "the rate is
``p_good``" (Robbins' mixture SPRT; in closed form through the regularised incomplete beta
function). For an annotator whose true rate is ``p_good`` or more, this ratio is a non-negative
supermartingale with mean at most 1, so by Ville's inequality the probability that it *ever*
reaches ``1 / alpha`` is at most ``alpha``, however many benchmarks the annotator does and however
often it is looked at: checking after every benchmark costs nothing. Why this rather than a
Bayesian posterior with a prior fitted to the population: the guarantee holds for every annotator
whatever the project's population looks like, needs no fitting (a new project has no population),
and an unlucky prior cannot raise the false-flag rate. The mixture (rather than one alternative
rate) makes it fast for spammers (about 6 straight misses at ``t = 0.6``) while still
accumulating evidence against a rate just below the threshold.

**Recent: a CUSUM.** The overall test weighs an annotator's whole history, so one who was good
for a while and then degrades takes long to cross it. Page's CUSUM of the log likelihood ratio of
``p_bad = t / 2`` against ``p_good`` restarts its sum whenever the evidence favours ``p_good``, so
it reacts to a drop within a few benchmarks of it whatever came before. Its false-alarm guarantee
is an average run length: at ``p_good`` the expected number of benchmarks before a false alarm
is at least ``1 / recent_alpha`` (Lorden), i.e. within ``N`` benchmarks a false alarm has
probability at most about ``N * recent_alpha`` at exactly ``p_good`` and far less above it
(measured in ``bench/``).

A flag stays until the statistic that raised it falls back to zero (the evidence no longer
favours a bad rate), so the status does not flap on a single fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betainc, betaln

FloatArray = NDArray[np.float64]
FlagReason = Literal["overall", "recent"]
Status = Literal["calibrating", "ok", "flagged"]

#: How far above the threshold the "good" rate lies (false flags are bounded for rates >= t + margin).
DEFAULT_MARGIN = 0.05
#: Probability that the overall test ever flags an annotator at the good rate.
DEFAULT_ALPHA = 0.01
#: Reciprocal of the CUSUM's average run length to a false alarm at the good rate.
DEFAULT_RECENT_ALPHA = 0.005


@dataclass(frozen=True)
class FlagRule:
    """The rates and boundaries derived from a project's flag threshold."""

    threshold: float
    margin: float = DEFAULT_MARGIN
    alpha: float = DEFAULT_ALPHA
    recent_alpha: float = DEFAULT_RECENT_ALPHA

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {self.threshold}")
        if not 0.0 < self.margin < 1.0:
            raise ValueError(f"margin must be in (0, 1), got {self.margin}")
        for name in ("alpha", "recent_alpha"):
            value = getattr(self, name)
            if not 0.0 < value < 0.5:
                raise ValueError(f"{name} must be in (0, 0.5), got {value}")

    @property
    def p_good(self) -> float:
        return min(self.threshold + self.margin, 0.99)

    @property
    def p_bad(self) -> float:
        return max(self.threshold / 2.0, 0.01)

    @property
    def overall_boundary(self) -> float:
        return float(np.log(1.0 / self.alpha))

    @property
    def recent_boundary(self) -> float:
        return float(np.log(1.0 / self.recent_alpha))

    def to_dict(self) -> dict[str, float]:
        return {
            "threshold": self.threshold,
            "p_good": self.p_good,
            "p_bad": self.p_bad,
            "alpha": self.alpha,
            "recent_alpha": self.recent_alpha,
        }


def mixture_log_lr(successes: ArrayLike, failures: ArrayLike, *, p_good: float, p_max: float) -> FloatArray:
    """log of ``∫_0^p_max p^s (1-p)^f dp / p_max`` over ``p_good^s (1-p_good)^f``, elementwise."""
    s = np.asarray(successes, dtype=np.float64)
    f = np.asarray(failures, dtype=np.float64)
    mass = betainc(s + 1.0, f + 1.0, p_max)
    numerator = betaln(s + 1.0, f + 1.0) + np.log(np.maximum(mass, 1e-300)) - np.log(p_max)
    denominator = s * np.log(p_good) + f * np.log1p(-p_good)
    return np.asarray(numerator - denominator, dtype=np.float64)


def cusum_path(fixed: ArrayLike, *, p_good: float, p_bad: float) -> FloatArray:
    """Page's CUSUM of the log likelihood ratio of ``p_bad`` against ``p_good`` after each outcome.

    ``C_n = S_n - min(0, S_1, ..., S_n)`` where ``S`` is the running sum: no Python loop.
    """
    x = np.asarray(fixed, dtype=np.bool_).reshape(-1)
    steps = np.where(x, np.log(p_bad / p_good), np.log((1.0 - p_bad) / (1.0 - p_good)))
    walk = np.cumsum(steps)
    floor = np.minimum(np.minimum.accumulate(walk), 0.0) if len(walk) else walk
    return np.asarray(walk - floor, dtype=np.float64)


def _held(path: FloatArray, boundary: float) -> NDArray[np.bool_]:
    """After each outcome: has ``path`` crossed ``boundary`` without falling back to zero since?"""
    index = np.arange(len(path))
    last_cross = np.maximum.accumulate(np.where(path >= boundary, index, -1)) if len(path) else index
    last_zero = np.maximum.accumulate(np.where(path <= 0.0, index, -1)) if len(path) else index
    return np.asarray((last_cross >= 0) & (last_cross > last_zero), dtype=np.bool_)


@dataclass(frozen=True)
class FlagDecision:
    """The state of both tests after an annotator's outcomes so far."""

    n: int
    flagged: bool
    reason: FlagReason | None
    overall: float
    recent: float
    first_flagged_at: int | None
    rule: FlagRule

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "flagged": self.flagged,
            "reason": self.reason,
            "overall_log_lr": round(self.overall, 4),
            "overall_boundary": round(self.rule.overall_boundary, 4),
            "recent_log_lr": round(self.recent, 4),
            "recent_boundary": round(self.rule.recent_boundary, 4),
            "first_flagged_at": self.first_flagged_at,
            **self.rule.to_dict(),
        }


def benchmark_evidence(fixed: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Benchmark outcomes as linear likelihoods ``a + b * p``: a fix is ``p``, a miss ``1 - p``."""
    x = np.asarray(fixed, dtype=np.bool_).reshape(-1)
    return np.where(x, 0.0, 1.0), np.where(x, 1.0, -1.0)


def _evidence(a: ArrayLike, b: ArrayLike) -> tuple[FloatArray, FloatArray]:
    a_arr = np.asarray(a, dtype=np.float64).reshape(-1)
    b_arr = np.asarray(b, dtype=np.float64).reshape(-1)
    if len(a_arr) != len(b_arr):
        raise ValueError("a and b need one entry per piece of evidence")
    if not (np.isfinite(a_arr).all() and np.isfinite(b_arr).all()):
        raise ValueError("a and b must be finite")
    if (a_arr < -1e-12).any() or (a_arr + b_arr < -1e-12).any():
        raise ValueError("a + b * p must be a probability: a >= 0 and a + b >= 0")
    return a_arr, b_arr


def _log_lik(a: FloatArray, b: FloatArray, p: float | FloatArray) -> FloatArray:
    return np.asarray(np.log(np.maximum(a + b * p, 1e-300)), dtype=np.float64)


#: Gauss-Legendre nodes for the mixture over ``[0, threshold]`` (exact for up to 255 pieces of evidence).
MIXTURE_NODES = 128


@lru_cache(maxsize=1)
def _legendre() -> tuple[FloatArray, FloatArray]:
    """Gauss-Legendre nodes on [-1, 1] and the logs of their weights over 2 (an average over [0, 1])."""
    nodes, weights = np.polynomial.legendre.leggauss(MIXTURE_NODES)
    return nodes.astype(np.float64), np.log(weights / 2.0).astype(np.float64)


def evidence_mixture_path(a: FloatArray, b: FloatArray, *, p_good: float, p_max: float) -> FloatArray:
    """The overall statistic after each piece of evidence ``a + b * p`` (in time order).

    ``log ∫_0^p_max Π (a_i + b_i p) dp / p_max - Σ log(a_i + b_i p_good)``; for benchmark outcomes
    alone this is :func:`mixture_log_lr`. Every piece's probability is linear in the rate, so under
    a rate of ``p_good`` or more each factor has conditional mean at most 1 whatever came before,
    and Ville's inequality bounds the chance the path ever reaches ``log(1 / alpha)`` by ``alpha``.
    """
    nodes, log_w = _legendre()
    grid = (nodes + 1.0) * p_max / 2.0
    cumulative = np.cumsum(_log_lik(a[:, None], b[:, None], grid[None, :]), axis=0)
    top = cumulative.max(axis=1, keepdims=True) if len(a) else np.zeros((0, 1))
    mixture = np.log(np.exp(cumulative - top + log_w).sum(axis=1)) + top[:, 0]
    null = np.cumsum(_log_lik(a, b, p_good))
    return np.asarray(mixture - null, dtype=np.float64)


def evidence_cusum_path(a: FloatArray, b: FloatArray, *, p_good: float, p_bad: float) -> FloatArray:
    """Page's CUSUM of ``log((a + b p_bad) / (a + b p_good))`` after each piece of evidence."""
    walk = np.cumsum(_log_lik(a, b, p_bad) - _log_lik(a, b, p_good))
    floor = np.minimum(np.minimum.accumulate(walk), 0.0) if len(walk) else walk
    return np.asarray(walk - floor, dtype=np.float64)


def evidence_flag_paths(
    a: ArrayLike, b: ArrayLike, rule: FlagRule
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    """Overall and recent statistics and the flag after each piece of evidence (in time order).

    Benchmarks (:func:`benchmark_evidence`) and peer evidence
    (``domain.peer_skill.PeerFit.row_a`` / ``row_b``) interleaved in the order they arrived.
    """
    a_arr, b_arr = _evidence(a, b)
    overall = evidence_mixture_path(a_arr, b_arr, p_good=rule.p_good, p_max=rule.threshold)
    recent = evidence_cusum_path(a_arr, b_arr, p_good=rule.p_good, p_bad=rule.p_bad)
    flagged = _held(overall, rule.overall_boundary) | _held(recent, rule.recent_boundary)
    return overall, recent, flagged


def flag_paths(fixed: ArrayLike, rule: FlagRule) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    """Overall and recent statistics and the flag after each outcome (in time order)."""
    x = np.asarray(fixed, dtype=np.bool_).reshape(-1)
    successes = np.cumsum(x)
    failures = np.arange(1, len(x) + 1) - successes
    overall = mixture_log_lr(successes, failures, p_good=rule.p_good, p_max=rule.threshold)
    recent = cusum_path(x, p_good=rule.p_good, p_bad=rule.p_bad)
    flagged = _held(overall, rule.overall_boundary) | _held(recent, rule.recent_boundary)
    return overall, recent, flagged


def sequential_flag(fixed: ArrayLike, rule: FlagRule) -> FlagDecision:
    """Both tests over ``fixed`` (outcomes in time order; skipped benchmarks as misses)."""
    overall, recent, flagged = flag_paths(fixed, rule)
    return _decision(overall, recent, flagged, rule)


def evidence_flag(
    a: ArrayLike, b: ArrayLike, rule: FlagRule, *, is_benchmark: ArrayLike | None = None
) -> FlagDecision:
    """Both tests over benchmark and peer evidence in time order (see :func:`evidence_flag_paths`).

    With ``is_benchmark`` (one entry per piece), the decision's ``n`` and ``first_flagged_at`` count
    benchmarks (what the calibration rule counts) rather than pieces of evidence.
    """
    overall, recent, flagged = evidence_flag_paths(a, b, rule)
    decision = _decision(overall, recent, flagged, rule)
    if is_benchmark is None:
        return decision
    bench = np.asarray(is_benchmark, dtype=np.bool_).reshape(-1)
    if len(bench) != len(overall):
        raise ValueError("is_benchmark needs one entry per piece of evidence")
    done = np.cumsum(bench)
    first = int(done[np.argmax(flagged)]) if flagged.any() else None
    n = int(done[-1]) if len(done) else 0
    return FlagDecision(n, decision.flagged, decision.reason, decision.overall, decision.recent, first, rule)


def _decision(
    overall: FloatArray, recent: FloatArray, flagged: NDArray[np.bool_], rule: FlagRule
) -> FlagDecision:
    n = len(overall)
    if n == 0:
        return FlagDecision(0, False, None, 0.0, 0.0, None, rule)
    now_overall, now_recent = float(overall[-1]), float(recent[-1])
    reason: FlagReason | None = None
    if flagged[-1]:
        overall_held = _held(overall, rule.overall_boundary)[-1]
        reason = "overall" if overall_held else "recent"
    first = int(np.argmax(flagged)) + 1 if flagged.any() else None
    return FlagDecision(n, bool(flagged[-1]), reason, now_overall, now_recent, first, rule)


def flag_status(decision: FlagDecision, *, min_benchmarks: int) -> Status:
    """``flagged`` whenever a test says so (the error rate holds from the first benchmark);
    otherwise ``calibrating`` below ``min_benchmarks`` and ``ok`` after."""
    if min_benchmarks < 0:
        raise ValueError(f"min_benchmarks must be >= 0, got {min_benchmarks}")
    if decision.flagged:
        return "flagged"
    return "calibrating" if decision.n < min_benchmarks else "ok"


def first_flag_index(fixed: ArrayLike, rule: FlagRule) -> int | None:
    """1-based number of the outcome at which the annotator was first flagged, or None."""
    _, _, flagged = flag_paths(fixed, rule)
    return int(np.argmax(flagged)) + 1 if flagged.any() else None
