"""Out-of-fold class probabilities: each row predicted by models trained without it.

The folds are stratified where every class has at least ``n_folds`` items (otherwise plain shuffled
folds); each fold trains the prioritisation committee's model families on the other folds and
predicts the held-out rows over the full class list (a class missing from a fold's training rows
gets probability 0 there).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn.model_selection import KFold, StratifiedKFold

from annotation_qc.domain.active_learning.committee import train_committee
from annotation_qc.domain.label_errors.classification import (
    MIN_ITEMS,
    FloatArray,
    IntArray,
    LabelErrorInputError,
)


def out_of_fold_proba(
    features: ArrayLike,
    labels: ArrayLike,
    *,
    n_classes: int | None = None,
    n_folds: int = 5,
    n_members: int = 5,
    seed: int = 0,
) -> FloatArray:
    """``(n, k)`` out-of-fold probabilities from a committee per fold (members averaged)."""
    rows = np.asarray(features, dtype=np.float64)
    given = np.asarray(labels, dtype=np.int64)
    if rows.ndim != 2 or given.ndim != 1 or rows.shape[0] != given.shape[0]:
        raise LabelErrorInputError(
            f"need a feature row per label, got features {rows.shape} and labels {given.shape}"
        )
    if rows.shape[0] < MIN_ITEMS:
        raise LabelErrorInputError(
            f"only {rows.shape[0]} labelled items, label-error detection needs at least {MIN_ITEMS}"
        )
    if len(np.unique(given)) < 2:
        raise LabelErrorInputError("every labelled item has the same class: nothing to compare against")
    k = int(n_classes if n_classes is not None else given.max() + 1)
    counts = np.bincount(given, minlength=k)
    folds = min(n_folds, rows.shape[0])
    splitter: StratifiedKFold | KFold
    if counts[counts > 0].min() >= folds:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    else:
        splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    result = np.zeros((rows.shape[0], k), dtype=np.float64)
    for fold, (train, held_out) in enumerate(splitter.split(rows, given)):
        committee = train_committee(
            rows[train],
            given[train],
            classes=np.arange(k),
            n_members=n_members,
            seed=seed + fold,
            min_labels=2,
        )
        if not committee.is_trained:  # one class in this fold's training rows
            only = int(given[train][0])
            result[held_out, only] = 1.0
            continue
        result[held_out] = committee.consensus_proba(rows[held_out])
    return result


def class_columns(labels: list[str], classes: list[str]) -> IntArray:
    """Map label names to their column in ``classes``; unknown names raise."""
    index = {name: column for column, name in enumerate(classes)}
    unknown = [name for name in labels if name not in index]
    if unknown:
        raise LabelErrorInputError(f"label {unknown[0]!r} is not one of the classes {classes}")
    return np.asarray([index[name] for name in labels], dtype=np.int64)
