"""Alert rules: the pure checks behind project alerts.

Each check takes figures the services read from the database plus a rule's validated parameters
(see :mod:`annotation_qc.domain.alert_params`; the keyword arguments carry the parameter names)
and returns the conditions that hold now, one :class:`AlertCondition` per subject: ``"project"``
for the project as a whole, ``"annotator:<id>"`` for one annotator. An alert is an episode of a
condition: :func:`episode_changes` says which conditions start an episode, which end one and
which go on, so that a condition alerts once while it stays true.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import chi2_contingency

from annotation_qc.domain.skill import wilson_interval
from annotation_qc.domain.skipping import selective_skip_p_values

PROJECT_SUBJECT = "project"
#: Cochran's rule: a chi-square cell needs about this many expected counts; rarer labels are pooled.
MIN_EXPECTED = 5.0
OTHER_LABELS = "(other labels)"


@dataclass(frozen=True)
class AlertCondition:
    """A condition that holds now: what it is about, a sentence for a person, and its figures."""

    subject: str
    message: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class EpisodeChanges:
    """Subjects whose alert starts (``fire``), ends (``resolve``) or stays open (``ongoing``)."""

    fire: tuple[str, ...]
    resolve: tuple[str, ...]
    ongoing: tuple[str, ...]


def annotator_subject(annotator_id: int) -> str:
    return f"annotator:{annotator_id}"


def reviewer_subject(reviewer_id: int) -> str:
    return f"reviewer:{reviewer_id}"


def episode_changes(open_subjects: Iterable[str], holding: Iterable[str]) -> EpisodeChanges:
    """Compare the subjects with an open alert to those whose condition holds now."""
    open_set, holding_set = set(open_subjects), set(holding)
    return EpisodeChanges(
        fire=tuple(sorted(holding_set - open_set)),
        resolve=tuple(sorted(open_set - holding_set)),
        ongoing=tuple(sorted(open_set & holding_set)),
    )


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _int_array(values: ArrayLike) -> NDArray[np.int64]:
    return np.asarray(values, dtype=np.int64).reshape(-1)


# ---------------------------------------------------------------------------------------------
# Annotator accuracy on benchmarks
# ---------------------------------------------------------------------------------------------


def accuracy_below(
    annotator_ids: Sequence[int],
    names: Sequence[str],
    fixed: ArrayLike,
    benchmarks: ArrayLike,
    *,
    threshold: float,
    statistic: str,
    min_benchmarks: int,
    confidence: float,
) -> tuple[AlertCondition, ...]:
    """Annotators whose benchmark accuracy (``fixed / benchmarks``) is below ``threshold``.

    Only annotators with at least ``min_benchmarks`` scored benchmarks are judged. With
    ``statistic="upper"`` the upper bound of the Wilson interval must be below the threshold (the
    evidence is strong); with ``"point"`` the observed accuracy is.
    """
    fixed_a, n = _int_array(fixed), _int_array(benchmarks)
    if not len(annotator_ids) == len(names) == len(fixed_a) == len(n):
        raise ValueError("annotator_ids, names, fixed and benchmarks must have the same length")
    low, high = wilson_interval(fixed_a, n, confidence=confidence)
    accuracy = fixed_a / np.maximum(n, 1)
    measured = high if statistic == "upper" else accuracy
    firing = np.flatnonzero((n >= min_benchmarks) & (measured < threshold))
    conditions = []
    for i in firing.tolist():
        interval = f"{_pct(confidence)} interval {_pct(low[i])} to {_pct(high[i])}"
        if statistic == "upper":
            why = f"even the upper bound of its {interval} is below the {_pct(threshold)} threshold"
        else:
            why = f"below the {_pct(threshold)} threshold ({interval})"
        conditions.append(
            AlertCondition(
                subject=annotator_subject(int(annotator_ids[i])),
                message=(
                    f"{names[i]}: benchmark accuracy {_pct(accuracy[i])} over {n[i]} benchmarks, {why}."
                ),
                data={
                    "annotator_id": int(annotator_ids[i]),
                    "username": names[i],
                    "benchmarks": int(n[i]),
                    "fixed": int(fixed_a[i]),
                    "accuracy": round(float(accuracy[i]), 4),
                    "low": round(float(low[i]), 4),
                    "high": round(float(high[i]), 4),
                    "threshold": threshold,
                    "statistic": statistic,
                },
            )
        )
    return tuple(conditions)


# ---------------------------------------------------------------------------------------------
# Project agreement
# ---------------------------------------------------------------------------------------------


def agreement_below(
    *,
    alpha: float | None,
    alpha_high: float | None,
    n_items: int,
    threshold: float,
    statistic: str,
    min_items: int,
) -> tuple[AlertCondition, ...]:
    """The project's agreement (Krippendorff's alpha of the latest report) below ``threshold``.

    Quiet without a report, with fewer than ``min_items`` items in it, or (``statistic="upper"``)
    without an interval.
    """
    measured = alpha_high if statistic == "upper" else alpha
    if alpha is None or measured is None or n_items < min_items or measured >= threshold:
        return ()
    if statistic == "upper":
        why = f"even the upper bound of its interval ({measured:.3f}) is below the {threshold:.3f} threshold"
    else:
        why = f"below the {threshold:.3f} threshold"
    return (
        AlertCondition(
            subject=PROJECT_SUBJECT,
            message=f"Agreement between annotators (Krippendorff's alpha) is {alpha:.3f} over {n_items} "
            f"items, {why}.",
            data={
                "alpha": alpha,
                "alpha_high": alpha_high,
                "n_items": n_items,
                "threshold": threshold,
                "statistic": statistic,
            },
        ),
    )


# ---------------------------------------------------------------------------------------------
# Linter findings
# ---------------------------------------------------------------------------------------------


def _span(hours: float) -> str:
    if hours >= 48 and hours % 24 == 0:
        return f"{hours / 24:g} days"
    return f"{hours:g} h"


def lint_rate_above(
    annotator_ids: Sequence[int],
    names: Sequence[str],
    submissions: ArrayLike,
    flagged: ArrayLike,
    *,
    threshold: float,
    window_hours: float,
    min_submissions: int,
    scope: str,
) -> tuple[AlertCondition, ...]:
    """Share of submissions with linter findings above ``threshold``.

    The counts are per annotator over the last ``window_hours``; ``scope="project"`` judges their
    sum, ``scope="annotator"`` each annotator with at least ``min_submissions`` submissions.
    """
    n, bad = _int_array(submissions), _int_array(flagged)
    if not len(annotator_ids) == len(names) == len(n) == len(bad):
        raise ValueError("annotator_ids, names, submissions and flagged must have the same length")
    if scope == "project":
        subjects, labels = [PROJECT_SUBJECT], ["Across the project,"]
        n, bad = n.sum(keepdims=True), bad.sum(keepdims=True)
    else:
        subjects = [annotator_subject(int(a)) for a in annotator_ids]
        labels = [f"{name}:" for name in names]
    rate = bad / np.maximum(n, 1)
    firing = np.flatnonzero((n >= min_submissions) & (rate > threshold))
    return tuple(
        AlertCondition(
            subject=subjects[i],
            message=f"{labels[i]} {bad[i]} of {n[i]} submissions in the last {_span(window_hours)} "
            f"({_pct(rate[i])}) had linter findings, above the {_pct(threshold)} threshold.",
            data={
                **(
                    {"annotator_id": int(annotator_ids[i]), "username": names[i]}
                    if scope != "project"
                    else {}
                ),
                "submissions": int(n[i]),
                "flagged": int(bad[i]),
                "rate": round(float(rate[i]), 4),
                "threshold": threshold,
                "window_hours": window_hours,
            },
        )
        for i in firing.tolist()
    )


# ---------------------------------------------------------------------------------------------
# Label distribution shift
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftTest:
    """Chi-square test of homogeneity between two windows' label counts (no continuity correction).

    ``categories`` are the labels tested, rare ones pooled into :data:`OTHER_LABELS`; the shares
    are per window, in the same order.
    """

    statistic: float
    p_value: float
    dof: int
    cramers_v: float
    categories: tuple[str, ...]
    previous_share: tuple[float, ...]
    recent_share: tuple[float, ...]


def _payload_labels(payload: Mapping[str, Any]) -> list[str]:
    boxes = payload.get("boxes")
    if isinstance(boxes, list):
        return [str(box.get("label")) for box in boxes if isinstance(box, Mapping)]
    label = payload.get("label")
    return [] if label is None else [str(label)]


def label_counts(payloads: Iterable[Mapping[str, Any]], labels: Sequence[str]) -> NDArray[np.int64]:
    """How often each of ``labels`` occurs (boxes of bbox payloads, the label of classification ones).

    Labels outside ``labels`` are not counted.
    """
    index = {label: i for i, label in enumerate(labels)}
    codes = np.fromiter(
        (index.get(label, -1) for payload in payloads for label in _payload_labels(payload)), dtype=np.int64
    )
    return np.bincount(codes[codes >= 0], minlength=len(labels)).astype(np.int64)


def label_shift_test(
    labels: Sequence[str], previous: ArrayLike, recent: ArrayLike, *, min_expected: float = MIN_EXPECTED
) -> ShiftTest | None:
    """Compare two windows' label counts; ``None`` when fewer than two categories can be tested.

    Labels absent from both windows are dropped; labels whose expected count falls below
    ``min_expected`` in either window are pooled into one category so that the chi-square
    approximation holds.
    """
    table = np.vstack([_int_array(previous), _int_array(recent)]).astype(np.float64)
    if table.shape[1] != len(labels):
        raise ValueError("previous and recent need one count per label")
    names = np.asarray(labels, dtype=object)
    present = table.sum(axis=0) > 0
    table, names = table[:, present], names[present]
    rows = table.sum(axis=1)
    if (rows == 0).any():
        return None
    expected = np.outer(rows, table.sum(axis=0)) / rows.sum()
    rare = (expected < min_expected).any(axis=0)
    if rare.any():
        table = np.hstack([table[:, ~rare], table[:, rare].sum(axis=1, keepdims=True)])
        names = np.append(names[~rare], OTHER_LABELS)
    if table.shape[1] < 2:
        return None
    result = chi2_contingency(table, correction=False)
    statistic = float(result.statistic)
    shares = table / rows[:, None]
    return ShiftTest(
        statistic=statistic,
        p_value=float(result.pvalue),
        dof=int(result.dof),
        cramers_v=float(np.sqrt(statistic / rows.sum())),  # two rows: min(r, c) - 1 = 1
        categories=tuple(str(name) for name in names),
        previous_share=tuple(float(s) for s in shares[0]),
        recent_share=tuple(float(s) for s in shares[1]),
    )


def label_shift(
    labels: Sequence[str],
    previous: ArrayLike,
    recent: ArrayLike,
    *,
    window_annotations: int,
    p_value: float,
    min_per_window: int,
    min_effect: float,
) -> tuple[AlertCondition, ...]:
    """A significant and non-trivial change of the label mix between two windows of annotations.

    ``previous`` and ``recent`` count the labels of the ``window_annotations`` annotations before
    and of the last ones. Fires when both windows hold ``min_per_window`` labels, the chi-square
    p-value is below ``p_value`` and Cramér's V reaches ``min_effect``.
    """
    before, after = _int_array(previous), _int_array(recent)
    if before.sum() < min_per_window or after.sum() < min_per_window:
        return ()
    test = label_shift_test(labels, before, after)
    if test is None or test.p_value >= p_value or test.cramers_v < min_effect:
        return ()
    change = np.asarray(test.recent_share) - np.asarray(test.previous_share)
    biggest = np.argsort(-np.abs(change), kind="stable")[:3]
    moves = ", ".join(
        f"{test.categories[i]} {_pct(test.previous_share[i])} → {_pct(test.recent_share[i])}"
        for i in biggest.tolist()
    )
    return (
        AlertCondition(
            subject=PROJECT_SUBJECT,
            message=f"The label mix of the last {window_annotations} annotations differs from the "
            f"{window_annotations} before (chi-square {test.statistic:.1f}, {test.dof} df, "
            f"p = {test.p_value:.2g}, Cramér's V {test.cramers_v:.2f}): {moves}.",
            data={
                "window_annotations": window_annotations,
                "statistic": round(test.statistic, 4),
                "dof": test.dof,
                "p_value": test.p_value,
                "cramers_v": round(test.cramers_v, 4),
                "previous": dict(
                    zip(test.categories, np.round(test.previous_share, 4).tolist(), strict=True)
                ),
                "recent": dict(zip(test.categories, np.round(test.recent_share, 4).tolist(), strict=True)),
                "previous_counts": dict(zip(labels, before.tolist(), strict=True)),
                "recent_counts": dict(zip(labels, after.tolist(), strict=True)),
            },
        ),
    )


# ---------------------------------------------------------------------------------------------
# Queue
# ---------------------------------------------------------------------------------------------


def queue_dry(
    *, open_slots: int, items: int, annotators: int, max_open_slots: int, min_annotators: int
) -> tuple[AlertCondition, ...]:
    """The regular queue has at most ``max_open_slots`` slots left while annotators remain."""
    if annotators < min_annotators or open_slots > max_open_slots:
        return ()
    if items == 0:
        message = (
            f"The queue is empty: no items have been imported for the project's {annotators} annotators."
        )
    elif open_slots == 0:
        message = (
            f"The queue ran dry: every slot of the {items} items is taken, nothing is left to hand out "
            f"to the project's {annotators} annotators."
        )
    else:
        message = (
            f"The queue is nearly dry: {open_slots} open slots left (alert at {max_open_slots} or fewer) "
            f"for {annotators} annotators."
        )
    return (
        AlertCondition(
            subject=PROJECT_SUBJECT,
            message=message,
            data={
                "open_slots": open_slots,
                "items": items,
                "annotators": annotators,
                "max_open_slots": max_open_slots,
            },
        ),
    )


# ---------------------------------------------------------------------------------------------
# Skipping
# ---------------------------------------------------------------------------------------------


def selective_skipping(
    annotator_ids: Sequence[int],
    names: Sequence[str],
    benchmarks_served: ArrayLike,
    benchmarks_skipped: ArrayLike,
    work_served: ArrayLike,
    work_skipped: ArrayLike,
    *,
    p_value: float,
    min_benchmarks: int,
    min_skipped: int,
) -> tuple[AlertCondition, ...]:
    """Annotators who skip benchmarks more often than work (one-sided Fisher exact test).

    Served counts are finished tasks (submitted or skipped). Only annotators with at least
    ``min_benchmarks`` benchmarks served and ``min_skipped`` of them skipped are judged.
    """
    bn, bs = _int_array(benchmarks_served), _int_array(benchmarks_skipped)
    wn, ws = _int_array(work_served), _int_array(work_skipped)
    if not len(annotator_ids) == len(names) == len(bn) == len(bs) == len(wn) == len(ws):
        raise ValueError("every argument needs one entry per annotator")
    p = selective_skip_p_values(bn, bs, wn, ws)
    firing = np.flatnonzero((bn >= min_benchmarks) & (bs >= min_skipped) & (p < p_value))
    conditions = []
    for i in firing.tolist():
        bench_rate, work_rate = bs[i] / bn[i], ws[i] / max(wn[i], 1)
        conditions.append(
            AlertCondition(
                subject=annotator_subject(int(annotator_ids[i])),
                message=(
                    f"{names[i]} skips benchmarks selectively: {bs[i]} of {bn[i]} benchmarks skipped "
                    f"({_pct(bench_rate)}) against {ws[i]} of {wn[i]} other tasks ({_pct(work_rate)}); "
                    f"Fisher's exact test p = {p[i]:.2g}. Benchmarks may be telling themselves apart."
                ),
                data={
                    "annotator_id": int(annotator_ids[i]),
                    "username": names[i],
                    "benchmarks_served": int(bn[i]),
                    "benchmarks_skipped": int(bs[i]),
                    "work_served": int(wn[i]),
                    "work_skipped": int(ws[i]),
                    "p_value": float(p[i]),
                },
            )
        )
    return tuple(conditions)


# ---------------------------------------------------------------------------------------------
# Benchmark audit
# ---------------------------------------------------------------------------------------------


def audit_auc_above(
    *,
    auc: float | None,
    low: float | None,
    high: float | None,
    n_benchmarks: int,
    features: Sequence[Mapping[str, Any]],
    threshold: float,
    statistic: str,
    min_benchmarks: int,
) -> tuple[AlertCondition, ...]:
    """The latest benchmark audit tells benchmarks from work better than ``threshold`` allows."""
    measured = low if statistic == "lower" else auc
    if auc is None or measured is None or n_benchmarks < min_benchmarks or measured <= threshold:
        return ()
    tells = ", ".join(f"{f['name']} ({f['auc']:.2f})" for f in list(features)[:3])
    interval = "" if low is None or high is None else f" (95% interval {low:.2f} to {high:.2f})"
    return (
        AlertCondition(
            subject=PROJECT_SUBJECT,
            message=f"Benchmarks can be told from work: the audit's classifier reaches ROC AUC {auc:.2f}"
            f"{interval} over {n_benchmarks} benchmarks, above the {threshold:.2f} threshold. "
            f"Most telling: {tells or 'no single feature'}.",
            data={
                "auc": auc,
                "low": low,
                "high": high,
                "n_benchmarks": n_benchmarks,
                "threshold": threshold,
                "statistic": statistic,
                "features": [dict(f) for f in list(features)[:5]],
            },
        ),
    )
