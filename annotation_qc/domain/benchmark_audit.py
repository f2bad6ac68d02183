"""The benchmark audit: can anything an annotator sees tell benchmarks from work?

Given one row per served task of annotator-visible features and whether the task was a
benchmark, a classifier (scikit-learn's histogram gradient boosting, which takes missing values
as they are) is trained with stratified k-fold cross-validation; the ROC AUC of its out-of-fold
scores says how well a client could separate benchmarks from work (0.5: not at all, 1: always),
with a percentile bootstrap interval over tasks. Beside it, every feature's own AUC (oriented, so
0.5 to 1) names the most telling single features: a tell that is enough alone shows there first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import rankdata
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

FloatArray = NDArray[np.float64]

DEFAULT_FOLDS = 5
DEFAULT_BOOTSTRAP = 200
TOP_FEATURES = 10
#: The fewest tasks of each class the audit needs before it says anything.
MIN_PER_CLASS = 5


@dataclass(frozen=True)
class FeatureTell:
    name: str
    auc: float  # oriented: max(AUC, 1 - AUC)
    higher_on_benchmarks: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "auc": round(self.auc, 4),
            "higher_on_benchmarks": self.higher_on_benchmarks,
        }


@dataclass(frozen=True)
class AuditResult:
    """``auc`` is None (with ``reason``) when there are too few tasks of a class to judge."""

    n_tasks: int
    n_benchmarks: int
    auc: float | None
    low: float | None
    high: float | None
    folds: int
    features: tuple[FeatureTell, ...] = field(default_factory=tuple)
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_tasks": self.n_tasks,
            "n_benchmarks": self.n_benchmarks,
            "auc": None if self.auc is None else round(self.auc, 4),
            "low": None if self.low is None else round(self.low, 4),
            "high": None if self.high is None else round(self.high, 4),
            "folds": self.folds,
            "features": [f.to_dict() for f in self.features],
            "reason": self.reason,
        }


def feature_aucs(features: ArrayLike, labels: ArrayLike) -> FloatArray:
    """Each column's ROC AUC for ``labels`` (Mann-Whitney, ties averaged; a missing value ranks lowest,
    so a field missing on one kind of task only shows)."""
    x = np.array(features, dtype=np.float64, copy=True)
    y = np.asarray(labels, dtype=np.bool_)
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError("features must be a 2-d array with one row per label")
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return np.full(x.shape[1], 0.5)
    floor = np.nanmin(np.where(np.isnan(x).all(axis=0), 0.0, x), axis=0) - 1.0
    x = np.where(np.isnan(x), floor, x)
    ranks = rankdata(x, axis=0)
    u = ranks[y].sum(axis=0) - n1 * (n1 + 1) / 2.0
    return np.asarray(u / (n1 * n0), dtype=np.float64)


def benchmark_audit(
    features: ArrayLike,
    labels: ArrayLike,
    names: Sequence[str],
    *,
    folds: int = DEFAULT_FOLDS,
    bootstrap: int = DEFAULT_BOOTSTRAP,
    confidence: float = 0.95,
    seed: int = 0,
) -> AuditResult:
    """Cross-validated ROC AUC of telling benchmarks (``labels`` True) from work by ``features``."""
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.bool_).reshape(-1)
    if x.ndim != 2 or x.shape[0] != len(y) or x.shape[1] != len(names):
        raise ValueError("features must have one row per label and one column per name")
    if np.isinf(x).any():
        raise ValueError("features must be finite or missing (NaN)")
    n_bench, n_work = int(y.sum()), int((~y).sum())
    if min(n_bench, n_work) < MIN_PER_CLASS:
        reason = f"needs at least {MIN_PER_CLASS} benchmarks and {MIN_PER_CLASS} other tasks served"
        return AuditResult(len(y), n_bench, None, None, None, 0, reason=reason)
    k = int(min(folds, n_bench, n_work))
    scores = np.zeros(len(y))
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    # One thread: OpenMP threads fighting over a busy machine's cores make the fit 50x slower.
    with threadpool_limits(limits=1):
        for train, test in splitter.split(x, y):
            model = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, random_state=seed)
            model.fit(x[train], y[train])
            scores[test] = model.predict_proba(x[test])[:, 1]
    auc = float(roc_auc_score(y, scores))
    low, high = _bootstrap_interval(y, scores, bootstrap=bootstrap, confidence=confidence, seed=seed)
    single = feature_aucs(x, y)
    oriented = np.maximum(single, 1.0 - single)
    order = np.argsort(-oriented, kind="stable")[:TOP_FEATURES]
    tells = tuple(FeatureTell(names[i], float(oriented[i]), bool(single[i] > 0.5)) for i in order.tolist())
    return AuditResult(len(y), n_bench, auc, low, high, k, tells)


def _bootstrap_interval(
    y: NDArray[np.bool_], scores: FloatArray, *, bootstrap: int, confidence: float, seed: int
) -> tuple[float | None, float | None]:
    if bootstrap < 1:
        return None, None
    rng = np.random.default_rng(seed)
    samples = rng.integers(0, len(y), size=(bootstrap, len(y)))
    sampled_y = y[samples]
    valid = sampled_y.any(axis=1) & (~sampled_y).any(axis=1)
    # One AUC per replicate from ranks within the replicate (vectorised over replicates).
    s = scores[samples[valid]]
    t = sampled_y[valid]
    ranks = rankdata(s, axis=1)
    n1 = t.sum(axis=1)
    n0 = t.shape[1] - n1
    aucs = ((ranks * t).sum(axis=1) - n1 * (n1 + 1) / 2.0) / (n1 * n0)
    alpha = (1.0 - confidence) / 2.0
    return float(np.quantile(aucs, alpha)), float(np.quantile(aucs, 1.0 - alpha))


# ---------------------------------------------------------------------------------------------
# Features of served tasks, from the bytes the annotator received
# ---------------------------------------------------------------------------------------------

FEATURE_NAMES: tuple[str, ...] = (
    "body_bytes",
    "top_key_order",
    "item_key_order",
    "box_key_order",
    "task_id_value",
    "task_id_length",
    "item_id_value",
    "item_id_length",
    "url_length",
    "url_digits",
    "url_last_number",
    "url_depth",
    "width",
    "height",
    "lease_seconds",
    "has_pre_annotation",
    "pre_annotation_bytes",
    "boxes",
    "distinct_labels",
    "score_mean",
    "score_min",
    "score_max",
    "has_model_version",
    "max_decimals",
    "integer_share",
    "position",
    "seconds_since_previous",
    "skipped",
)

_NUMBER = re.compile(rb"(?<![\w.])-?\d+(?:\.(\d+))?(?:[eE][-+]?\d+)?")
_DIGIT_RUN = re.compile(r"\d+")


def _id_features(value: Any) -> tuple[float, float]:
    text = str(value)
    number = float(value) if isinstance(value, int) and not isinstance(value, bool) else np.nan
    return number, float(len(text))


def _signature_codes(signatures: Sequence[str]) -> FloatArray:
    """Each signature's rank by frequency (0: the most common), so a rare shape stands out."""
    values, inverse, counts = np.unique(
        np.asarray(signatures, dtype=object), return_inverse=True, return_counts=True
    )
    rank = np.empty(len(values), dtype=np.float64)
    rank[np.argsort(-counts, kind="stable")] = np.arange(len(values))
    return np.asarray(rank[inverse], dtype=np.float64)


def _parse_time(value: Any) -> float:
    if not isinstance(value, str):
        return np.nan
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return np.nan


def served_task_features(
    bodies: Sequence[bytes],
    *,
    annotator: ArrayLike,
    served_at: ArrayLike,
    skipped: ArrayLike,
) -> tuple[FloatArray, tuple[str, ...]]:
    """One row of :data:`FEATURE_NAMES` per served task body (the raw JSON bytes of next-task).

    ``annotator``, ``served_at`` (epoch seconds) and ``skipped`` give each task's place in its
    annotator's sequence and what the annotator did with it. Missing values are NaN.
    """
    who = np.asarray(annotator, dtype=np.int64)
    when = np.asarray(served_at, dtype=np.float64)
    skip = np.asarray(skipped, dtype=np.float64)
    if not len(bodies) == len(who) == len(when) == len(skip):
        raise ValueError("one annotator, served_at and skipped per body")
    rows: list[list[float]] = []
    top_sigs: list[str] = []
    item_sigs: list[str] = []
    box_sigs: list[str] = []
    for raw in bodies:
        body = json.loads(raw)
        item = body.get("item") or {}
        pre = body.get("pre_annotation")
        listed = pre.get("boxes") if isinstance(pre, dict) else None
        boxes: list[Any] = listed if isinstance(listed, list) else []
        top_sigs.append(",".join(body))
        item_sigs.append(",".join(item) if isinstance(item, dict) else "")
        box_sigs.append("|".join(sorted({",".join(b) for b in boxes if isinstance(b, dict)})))
        scores = [
            float(b["score"])
            for b in boxes
            if isinstance(b, dict) and isinstance(b.get("score"), int | float)
        ]
        pre_raw = json.dumps(pre, separators=(",", ":")).encode() if pre is not None else b""
        decimals = [len(m.group(1) or b"") for m in _NUMBER.finditer(pre_raw)]
        url = str(item.get("image_url", "")) if isinstance(item, dict) else ""
        digit_runs = _DIGIT_RUN.findall(url)
        task_value, task_length = _id_features(body.get("id"))
        item_value, item_length = _id_features(item.get("id") if isinstance(item, dict) else None)
        rows.append(
            [
                float(len(raw)),
                0.0,
                0.0,
                0.0,
                task_value,
                task_length,
                item_value,
                item_length,
                float(len(url)),
                float(sum(len(run) for run in digit_runs)),
                float(np.log10(1 + int(digit_runs[-1][-15:]))) if digit_runs else np.nan,
                float(url.count("/")),
                float(item.get("width", np.nan)) if isinstance(item, dict) else np.nan,
                float(item.get("height", np.nan)) if isinstance(item, dict) else np.nan,
                _parse_time(body.get("lease_expires_at")) - _parse_time(body.get("served_at")),
                float(pre is not None),
                float(len(pre_raw)),
                float(len(boxes)),
                float(len({b.get("label") for b in boxes if isinstance(b, dict)})),
                float(np.mean(scores)) if scores else np.nan,
                float(np.min(scores)) if scores else np.nan,
                float(np.max(scores)) if scores else np.nan,
                float(isinstance(pre, dict) and "model_version" in pre),
                float(max(decimals)) if decimals else np.nan,
                float(np.mean([d == 0 for d in decimals])) if decimals else np.nan,
                0.0,
                0.0,
                0.0,
            ]
        )
    x = np.array(rows, dtype=np.float64).reshape(len(bodies), len(FEATURE_NAMES))
    if len(bodies):
        x[:, 1], x[:, 2], x[:, 3] = (
            _signature_codes(top_sigs),
            _signature_codes(item_sigs),
            _signature_codes(box_sigs),
        )
        order = np.lexsort((when, who))
        sorted_who = who[order]
        start = np.r_[True, sorted_who[1:] != sorted_who[:-1]]
        group_start = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))
        position = np.empty(len(order))
        position[order] = np.arange(len(order)) - group_start
        gaps = np.empty(len(order))
        gaps[order] = np.where(start, np.nan, np.diff(when[order], prepend=np.nan))
        x[:, -3], x[:, -2], x[:, -1] = position, gaps, skip
    return x, FEATURE_NAMES
