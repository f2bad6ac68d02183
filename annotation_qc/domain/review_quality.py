"""Review outcomes as a quality signal (pure): per person rates with intervals, and the alert check.

One row per review that a reviewer acted on at least once: who made the annotation (or, for the
reviewer scorecard, who reviewed it), whether the first action was an accept, whether it was ever
rejected, how many objects were changed after review (reviewer fixes and rework), the reviewers'
working seconds on it (NaN where no action was timed), the rework rounds and the seconds it waited
in the queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import norm

from annotation_qc.domain.alerts import AlertCondition, annotator_subject
from annotation_qc.domain.skill import wilson_interval


def _mean_interval(values: np.ndarray[Any, Any], confidence: float) -> dict[str, float | None]:
    n = len(values)
    if n == 0:
        return {"value": None, "low": None, "high": None}
    mean = float(values.mean())
    if n < 2:
        return {"value": round(mean, 4), "low": None, "high": None}
    half = float(norm.ppf(0.5 + confidence / 2) * values.std(ddof=1) / np.sqrt(n))
    return {"value": round(mean, 4), "low": round(max(mean - half, 0.0), 4), "high": round(mean + half, 4)}


def _rate(successes: int, trials: int, confidence: float) -> dict[str, float | None]:
    if trials == 0:
        return {"value": None, "low": None, "high": None}
    low, high = wilson_interval(successes, trials, confidence=confidence)
    return {"value": round(successes / trials, 4), "low": round(low, 4), "high": round(high, 4)}


def review_stats(
    people: ArrayLike,
    first_pass_accepted: ArrayLike,
    rejected: ArrayLike,
    objects_changed: ArrayLike,
    seconds_in_review: ArrayLike,
    rework_rounds: ArrayLike,
    *,
    seconds_queued: ArrayLike | None = None,
    confidence: float = 0.95,
) -> dict[int, dict[str, Any]]:
    """Per person id: reviews, first-pass acceptance and rejection rates (Wilson intervals), objects
    changed per review, rework rounds per review (normal intervals), time in review (the reviewers'
    working time: median, mean and how many reviews were timed; NaN entries left out) and, given
    ``seconds_queued``, time in the queue the same way."""
    ids = np.asarray(people, dtype=np.int64).reshape(-1)
    accepted = np.asarray(first_pass_accepted, dtype=bool).reshape(-1)
    rejected_a = np.asarray(rejected, dtype=bool).reshape(-1)
    changed = np.asarray(objects_changed, dtype=np.float64).reshape(-1)
    seconds = np.asarray(seconds_in_review, dtype=np.float64).reshape(-1)
    rounds = np.asarray(rework_rounds, dtype=np.float64).reshape(-1)
    queued = None if seconds_queued is None else np.asarray(seconds_queued, dtype=np.float64).reshape(-1)
    if not len(ids) == len(accepted) == len(rejected_a) == len(changed) == len(seconds) == len(rounds):
        raise ValueError("every column needs one value per review")
    if queued is not None and len(queued) != len(ids):
        raise ValueError("every column needs one value per review")
    result: dict[int, dict[str, Any]] = {}
    order = np.argsort(ids, kind="stable")
    unique, starts = np.unique(ids[order], return_index=True)
    for person, rows in zip(unique.tolist(), np.split(order, starts[1:]), strict=True):
        n = len(rows)
        result[int(person)] = {
            "reviews": n,
            "first_pass_acceptance": _rate(int(accepted[rows].sum()), n, confidence),
            "rejection_rate": _rate(int(rejected_a[rows].sum()), n, confidence),
            "objects_fixed_per_review": _mean_interval(changed[rows], confidence),
            "rework_rounds_per_review": _mean_interval(rounds[rows], confidence),
            "time_in_review_seconds": _times(seconds[rows]),
        }
        if queued is not None:
            result[int(person)]["time_in_queue_seconds"] = _times(queued[rows])
    return result


def object_rejection_rate(reviewed: int, rejected: int, *, confidence: float = 0.95) -> dict[str, Any]:
    """Boxes rejected of the boxes reviewers gave a verdict to (per-object review), with a Wilson
    interval (boxes of one annotation are not independent, so it is on the narrow side), and ``n``
    the boxes given a verdict; ``None`` values when no box was judged on its own."""
    if not 0 <= rejected <= reviewed:
        raise ValueError(f"rejected ({rejected}) must be between 0 and reviewed ({reviewed})")
    return {**_rate(rejected, reviewed, confidence), "n": reviewed}


def _times(values: np.ndarray[Any, Any]) -> dict[str, Any]:
    measured = values[~np.isnan(values)]
    if not len(measured):
        return {"median": None, "mean": None, "n": 0}
    return {
        "median": round(float(np.median(measured)), 1),
        "mean": round(float(measured.mean()), 1),
        "n": len(measured),
    }


def first_pass_acceptance_below(
    annotator_ids: Sequence[int],
    names: Sequence[str],
    accepted: ArrayLike,
    reviews: ArrayLike,
    *,
    threshold: float,
    statistic: str,
    min_reviews: int,
    confidence: float,
) -> tuple[AlertCondition, ...]:
    """Annotators whose first-pass acceptance is below ``threshold`` (its upper Wilson bound, or the
    observed rate with ``statistic="point"``), judged after ``min_reviews`` reviews."""
    ok = np.asarray(accepted, dtype=np.int64).reshape(-1)
    n = np.asarray(reviews, dtype=np.int64).reshape(-1)
    if not len(annotator_ids) == len(names) == len(ok) == len(n):
        raise ValueError("annotator_ids, names, accepted and reviews must have the same length")
    low, high = wilson_interval(ok, n, confidence=confidence)
    rate = ok / np.maximum(n, 1)
    measured = high if statistic == "upper" else rate
    conditions = []
    for i in np.flatnonzero((n >= min_reviews) & (measured < threshold)).tolist():
        conditions.append(
            AlertCondition(
                subject=annotator_subject(int(annotator_ids[i])),
                message=(
                    f"{names[i]}: first-pass review acceptance {rate[i]:.0%} over {n[i]} reviews "
                    f"({confidence:.0%} interval {low[i]:.0%} to {high[i]:.0%}), "
                    f"below the {threshold:.0%} threshold."
                ),
                data={
                    "annotator_id": int(annotator_ids[i]),
                    "username": names[i],
                    "reviews": int(n[i]),
                    "accepted_first_pass": int(ok[i]),
                    "rate": round(float(rate[i]), 4),
                    "low": round(float(low[i]), 4),
                    "high": round(float(high[i]), 4),
                    "threshold": threshold,
                    "statistic": statistic,
                },
            )
        )
    return tuple(conditions)


def pooled_evidence(
    benchmarks: dict[int, tuple[int, int]], reviews: dict[int, tuple[int, int]]
) -> dict[int, tuple[int, int]]:
    """Per person: (successes, trials) of benchmark outcomes and review outcomes (accepted at the first
    review) added together; a person with only one kind of evidence keeps it."""
    pooled: dict[int, tuple[int, int]] = {}
    for person in sorted(set(benchmarks) | set(reviews)):
        b_ok, b_n = benchmarks.get(person, (0, 0))
        r_ok, r_n = reviews.get(person, (0, 0))
        if b_n + r_n > 0:
            pooled[person] = (b_ok + r_ok, b_n + r_n)
    return pooled
